#!/usr/bin/env bash
# Uses crous from outside its build, as a user would; one ctest test per mode
# (proto-tests/consumers/CMakeLists.txt):
#   find-package      cmake --install the build tree into a temporary prefix, configure and
#                     build find-package/ against it (find_package(crous COMPONENTS ...)), run
#                     its programs: the client one against the installed crous-server
#   pkg-config        the same install; programs compiled with
#                     $CXX $(pkg-config --cflags --libs crous-codec) (and crous-server crous-client)
#   add-subdirectory  configure add-subdirectory/, which adds the crous sources
#                     (EXCLUDE_FROM_ALL), then build it and run its codec program: only the
#                     codec may be compiled
#   deb               cpack -G DEB: the crous-server and libcrous-dev packages, unpacked with
#                     dpkg-deb -x (never installed into the system): their fields, the
#                     unpacked crous-server answering the unpacked crous-echo, and a codec
#                     program compiled with the unpacked crous-codec.pc
# The programs are built with this build's compiler and sanitizer flags.
# Any error fails; the work folder is removed at the end, pass or fail.
#
# run-consumer.sh MODE --source-dir DIR --build-dir DIR --work-dir DIR --cxx COMPILER
#                 [--cxx-flags FLAGS] [--link-flags FLAGS] [--launcher CCACHE]
#                 [--build-type TYPE] [--generator GENERATOR]
set -Eeuo pipefail

mode=${1:-}
shift || true
source_dir="" build_dir="" work="" cxx="" cxx_flags="" link_flags="" launcher="" build_type="" generator=""
while (($# >= 2)); do
  case $1 in
    --source-dir) source_dir=$2 ;;
    --build-dir) build_dir=$2 ;;
    --work-dir) work=$2 ;;
    --cxx) cxx=$2 ;;
    --cxx-flags) cxx_flags=$2 ;;
    --link-flags) link_flags=$2 ;;
    --launcher) launcher=$2 ;;
    --build-type) build_type=$2 ;;
    --generator) generator=$2 ;;
    *) echo "run-consumer: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
if (($# != 0)) || [[ -z $source_dir || -z $build_dir || -z $work || -z $cxx ]]; then
  echo "usage: $0 find-package|pkg-config|add-subdirectory|deb --source-dir DIR --build-dir DIR --work-dir DIR --cxx COMPILER [...]" >&2
  exit 2
fi

here="$source_dir/proto-tests/consumers"
prefix="$work/prefix"
server_pid=""

cleanup() {
  if [[ -n $server_pid ]]; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "run-consumer $mode: FAILED: $*" >&2
  if [[ -s $work/server.log ]]; then
    echo "--- the crous-server log:" >&2
    cat "$work/server.log" >&2
  fi
  exit 1
}

step() { echo "== $*"; }

# Anything else that fails says where, instead of ending the test silently.
trap 'fail "a command failed at line $LINENO"' ERR

# The build's own folder under the build tree, so that ccache sees the same
# relative paths every run.
rm -rf "$work"
mkdir -p "$work"

# The add_subdirectory project compiles the codec again: through ccache when
# there is one, even if this build does not use it.
if [[ -z $launcher ]] && command -v ccache >/dev/null; then
  launcher=ccache
fi
# CMake arguments shared by the consumer projects: this build's compiler and flags.
cmake_args=(-DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_EXE_LINKER_FLAGS="$link_flags")
[[ -n $launcher ]] && cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
[[ -n $generator ]] && cmake_args+=(-G "$generator")

install_crous() {
  step "cmake --install $build_dir --prefix $prefix"
  cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "install"; }
  for file in bin/crous-server bin/crous bin/crous-echo include/crous/value.hpp include/crous/client/client.hpp; do
    [[ -e $prefix/$file ]] || fail "$file was not installed"
  done
}

# Starts the crous-server of the prefix given (default: the installed one)
# on an ephemeral port; sets server_port.
start_server() {
  local server_prefix=${1:-$prefix}
  step "starting $server_prefix/bin/crous-server --port 0"
  "$server_prefix/bin/crous-server" --port 0 --threads 1 --workers 1 >"$work/server.log" 2>&1 &
  server_pid=$!
  server_port=""
  local attempt
  for ((attempt = 0; attempt < 600; attempt++)); do  # 60 s: a loaded box, a sanitizer build
    # The log may not exist yet: the server's shell opens it after the fork.
    server_port=$(sed -nE 's/.*listening on 127\.0\.0\.1:([0-9]+).*/\1/p;T;q' "$work/server.log" 2>/dev/null || true)
    [[ -n $server_port ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || fail "crous-server exited at start"
    sleep 0.1
  done
  fail "crous-server did not say where it listens within 60 s"
}

# SIGTERM: the server drains and must exit 0 (within 30 s).
stop_server() {
  kill -TERM "$server_pid"
  local attempt
  for ((attempt = 0; attempt < 300; attempt++)); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$server_pid" 2>/dev/null && fail "crous-server did not stop within 30 s of SIGTERM"
  local status=0
  wait "$server_pid" || status=$?
  server_pid=""
  ((status == 0)) || fail "crous-server exited with status $status"
}

run() {
  step "$*"
  timeout 120 "$@" || fail "$1 exited with status $?"
}

# Points pkg-config at the .pc files in $1 and checks they resolve to the
# tree they are in ($2), wherever it was moved.
use_pc_files() {
  export PKG_CONFIG_PATH=$1
  pkg-config --exists --print-errors crous-codec crous-config crous-client crous-server || fail "pkg-config"
  [[ $(cd "$(pkg-config --variable=prefix crous-codec)" && pwd -P) == $(cd "$2" && pwd -P) ]] ||
    fail "crous-codec.pc's prefix is not $2"
}

# codec_round_trip.cpp compiled with the flags pkg-config gave, then run.
build_codec_consumer() {
  # shellcheck disable=SC2086  # flags are words
  run $launcher "$cxx" -std=c++20 $cxx_flags "$here/codec_round_trip.cpp" -o "$work/codec-consumer" $1 $link_flags
  run "$work/codec-consumer"
}

case $mode in
  find-package)
    install_crous
    step "configure find-package/ with CMAKE_PREFIX_PATH=$prefix"
    cmake -S "$here/find-package" -B "$work/build" "${cmake_args[@]}" -DCMAKE_BUILD_TYPE="$build_type" \
      -DCMAKE_PREFIX_PATH="$prefix" || fail "configure"
    grep -q "^crous_DIR:PATH=$prefix/" "$work/build/CMakeCache.txt" || fail "crous was not found in $prefix"
    cmake --build "$work/build" -j 2 || fail "build"
    run "$work/build/codec-consumer"
    run "$work/build/service-consumer"
    start_server
    run "$work/build/client-consumer" 127.0.0.1 "$server_port"
    stop_server
    ;;
  pkg-config)
    install_crous
    pc_file=$(find "$prefix" -name crous-codec.pc)
    [[ -n $pc_file ]] || fail "crous-codec.pc was not installed"
    use_pc_files "$(dirname "$pc_file")" "$prefix"
    codec_flags="$(pkg-config --cflags --libs crous-codec)"
    echo "pkg-config --cflags --libs crous-codec: $codec_flags"
    if grep -qiE 'boost|spdlog|fmt|ssl|prometheus' <<<"$codec_flags"; then
      fail "the codec's flags name a dependency of the services"
    fi
    build_codec_consumer "$codec_flags"
    service_flags="$(pkg-config --cflags --libs crous-server crous-client)"
    # shellcheck disable=SC2086
    run $launcher "$cxx" -std=c++20 $cxx_flags "$here/service_consumer.cpp" -o "$work/service-consumer" \
      $service_flags $link_flags
    run "$work/service-consumer"
    ;;
  add-subdirectory)
    # No build type: crous must not choose one for its parent (the project checks).
    step "configure add-subdirectory/ with the crous sources"
    cmake -S "$here/add-subdirectory" -B "$work/build" "${cmake_args[@]}" -DCROUS_SOURCE_DIR="$source_dir" ||
      fail "configure"
    cmake --build "$work/build" -j 2 || fail "build"
    for folder in proto-tests bench; do
      [[ ! -e $work/build/crous/$folder ]] || fail "crous configured its $folder/ as a subproject"
    done
    # Only what the program links was compiled.
    [[ -n $(find "$work/build/crous" -name libcrous_codec.a) ]] || fail "no libcrous_codec.a"
    [[ -z $(find "$work/build/crous" -name 'libcrous_server.a' -o -name 'libcrous_client.a') ]] ||
      fail "the server or client library was built though nothing links it"
    run "$work/build/codec-consumer"
    ;;
  deb)
    step "cpack -G DEB"
    (cd "$work" && cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/packages") >"$work/cpack.log" 2>&1 ||
      { cat "$work/cpack.log"; fail "cpack"; }
    root="$work/root"
    for package in crous-server libcrous-dev; do
      deb=$(find "$work/packages" -maxdepth 1 -name "${package}_*.deb")
      [[ -n $deb ]] || { ls "$work/packages"; fail "no $package package"; }
      dpkg-deb --field "$deb" Package Version Architecture Depends
      depends=$(dpkg-deb --field "$deb" Depends)
      # Every dependency is a real Debian package (those of the build are installed here).
      while read -r name; do
        dpkg-query -W "$name" >/dev/null 2>&1 || fail "$package depends on $name, which is no installed package"
      done < <(sed -E 's/\([^)]*\)//g; s/[,|]/\n/g' <<<"$depends" | tr -d ' ' | grep -v '^$')
      dpkg-deb -x "$deb" "$root"
    done
    grep -q libspdlog <<<"$(dpkg-deb --field "$work/packages"/crous-server_*.deb Depends)" ||
      fail "crous-server does not depend on spdlog's library (dpkg-shlibdeps)"
    for file in usr/bin/crous-server usr/bin/crous usr/bin/crous-echo usr/include/crous/value.hpp \
      usr/lib/libcrous_codec.a usr/lib/cmake/crous/crousConfig.cmake usr/lib/pkgconfig/crous-codec.pc; do
      [[ -e $root/$file ]] || fail "the packages have no /$file"
    done
    start_server "$root/usr"
    step "crous-echo --op ping from the package"
    answer=$(timeout 60 "$root/usr/bin/crous-echo" --port "$server_port" --op ping --format json --timeout 10000) ||
      fail "crous-echo exited with status $?"
    [[ $answer == '{"pong":true}' ]] || fail "ping answered '$answer'"
    stop_server
    use_pc_files "$root/usr/lib/pkgconfig" "$root/usr"
    build_codec_consumer "$(pkg-config --cflags --libs crous-codec)"
    ;;
  *)
    echo "run-consumer: unknown mode '$mode'" >&2
    exit 2
    ;;
esac
step "ok"
