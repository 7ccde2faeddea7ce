#!/usr/bin/env bash
# Checks that the Dockerfile (and docker-compose.yml) still match the
# project, since no Docker engine runs in CI to build the image:
#   - packages come only from scripts/install-deps.sh (build and --runtime),
#   - the build stage runs the same CMake configure as scripts/run.sh and
#     scripts/test.sh, and builds targets that exist,
#   - the binaries it copies are executables the build defines (and, with
#     --bin-dir, ones a build actually produced),
#   - the config file it copies exists, the port agrees everywhere,
#   - non-root numeric USER, exec-form ENTRYPOINT, HEALTHCHECK with crous-echo,
#   - every CROUS_* variable it sets is a real crous-server setting.
#
#   scripts/check-dockerfile.sh [--dockerfile PATH] [--compose PATH] [--bin-dir DIR]
# Exit 0 when everything holds; otherwise each problem is printed and exit 1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dockerfile=$root/Dockerfile
compose=$root/docker-compose.yml
bin_dir=
while (($#)); do
  case $1 in
    --dockerfile) dockerfile=$2; shift 2 ;;
    --compose) compose=$2; shift 2 ;;
    --bin-dir) bin_dir=$2; shift 2 ;;
    *) echo "usage: $0 [--dockerfile PATH] [--compose PATH] [--bin-dir DIR]" >&2; exit 2 ;;
  esac
done

problems=0
problem() { echo "check-dockerfile: $*" >&2; problems=$((problems + 1)); }

# The Dockerfile with backslash continuations joined, comments dropped.
instructions=$(sed -e '/^[[:space:]]*#/d' "$dockerfile" | sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta')

# ---- base images and stages ----
grep -Eq '^FROM debian:bookworm AS build$' <<<"$instructions" || problem "build stage must be 'FROM debian:bookworm AS build'"
grep -Eq '^FROM debian:bookworm-slim( AS [a-z]+)?$' <<<"$instructions" || problem "runtime stage must be FROM debian:bookworm-slim"
[[ $(grep -c '^FROM ' <<<"$instructions") -eq 2 ]] || problem "expected exactly two stages"

# ---- packages: only through install-deps.sh ----
if grep -Eq 'apt-get|apt |dpkg -i|pip install' <<<"$instructions"; then
  problem "install packages only with scripts/install-deps.sh (found apt-get/apt/dpkg/pip in a RUN)"
fi
build_stage=$(awk '/^FROM /{n++} n==1' <<<"$instructions")
runtime_stage=$(awk '/^FROM /{n++} n==2' <<<"$instructions")
grep -Eq '^RUN (\./)?scripts/install-deps\.sh( |$)' <<<"$build_stage" || problem "build stage must RUN scripts/install-deps.sh"
grep -Eq '^RUN [^ ]*install-deps\.sh --runtime' <<<"$runtime_stage" || problem "runtime stage must RUN install-deps.sh --runtime"
grep -q -- '--runtime' "$root/scripts/install-deps.sh" || problem "scripts/install-deps.sh has no --runtime mode"

# ---- build steps: the README/CI configure, real targets ----
configure_of() { grep -oE 'cmake -S \. -B build [^&>]*-DCMAKE_BUILD_TYPE=Release' "$1" | head -n1; }
reference=$(configure_of "$root/scripts/run.sh")
[[ -n $reference ]] || problem "cannot find the Release configure line in scripts/run.sh"
docker_configure=$(grep -oE 'cmake -S \. -B build [^&>]*-DCMAKE_BUILD_TYPE=Release' <<<"$build_stage" | head -n1 || true)
[[ $docker_configure == "$reference" ]] ||
  problem "configure differs from scripts/run.sh: '$docker_configure' vs '$reference'"
# test.sh spells the same configure through variables (build dir, Release args).
grep -q '^build_dir=build$' "$root/scripts/test.sh" && grep -qF 'cmake_args=(-DCMAKE_BUILD_TYPE=Release)' "$root/scripts/test.sh" ||
  problem "scripts/test.sh no longer configures build/ with -DCMAKE_BUILD_TYPE=Release"

executables=$(grep -rhoE --include=CMakeLists.txt 'add_executable\([A-Za-z0-9_-]+' "$root" --exclude-dir='build*' | sed 's/add_executable(//' | sort -u)
is_executable() { grep -qx -- "$1" <<<"$executables"; }
targets=$(grep -oE -- '--target( [A-Za-z0-9_-]+)+' <<<"$build_stage" | sed 's/--target//' | tr ' ' '\n' | sed '/^$/d' | sort -u)
[[ -n $targets ]] || problem "build stage builds no explicit --target"
for target in $targets; do is_executable "$target" || problem "--target $target is not an executable of the CMake tree"; done

# The build stage sees only what it COPYs: configure exactly that subset
# (as the image build will) so a directory the CMake tree needs but the
# Dockerfile forgets fails here, not in the image build. Configure only, no
# compile: a few seconds.
if command -v cmake >/dev/null; then
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  while read -r _ src dst; do
    [[ -e $root/$src ]] || { problem "COPY $src: no such file or folder in the repository"; continue; }
    mkdir -p "$context/src/$(dirname "$dst")"
    cp -r "$root/$src" "$context/src/${dst%/}"
  done < <(grep -E '^COPY [^-]' <<<"$build_stage" | awk '$3 != "" {d=$3; if (d=="./") d=$2; print $1, $2, d}')
  if [[ -f $context/src/CMakeLists.txt ]]; then
    configure_args=$(grep -oE 'cmake -S \. -B build [^&]*' <<<"$build_stage" | head -n1 | sed -E 's/^cmake -S \. -B build//')
    # shellcheck disable=SC2086 # the configure line's words are the arguments
    if ! configure_log=$(cd "$context/src" && cmake -S . -B "$context/build" $configure_args 2>&1); then
      problem "the build stage's sources do not configure (a folder missing from its COPY lines?):"
      grep -E 'Error|error|not find|No such' <<<"$configure_log" | head -n 8 | sed 's/^/    /' >&2
    else
      known_targets=$(cmake --build "$context/build" --target help 2>/dev/null | sed -nE 's/^\.\.\. ([A-Za-z0-9_-]+).*/\1/p')
      for target in $targets; do
        grep -qx -- "$target" <<<"$known_targets" || problem "--target $target is not defined when configured from the COPYed sources"
      done
    fi
  else
    problem "the build stage does not COPY CMakeLists.txt"
  fi
fi

# ---- binaries copied into the image ----
copied=$(grep -E '^COPY --from=build ' <<<"$runtime_stage" | tr ' ' '\n' | grep -E '^/src/build/bin/' | sed 's|.*/||' | sort -u)
expected=$(printf '%s\n' crous crous-echo crous-server)
[[ $copied == "$expected" ]] || problem "image must carry exactly crous-server, crous, crous-echo; copies: $(echo $copied)"
for binary in $copied; do
  is_executable "$binary" || problem "copied binary $binary is not built by any add_executable"
  grep -qx -- "$binary" <<<"$targets" || problem "copied binary $binary is not among the built --targets"
  if [[ -n $bin_dir && ! -x $bin_dir/$binary ]]; then problem "$bin_dir/$binary was not produced by the build"; fi
done

# ---- config file ----
config_src=$(grep -E '^COPY [^-].*crous-server\.conf' <<<"$runtime_stage" | awk '{print $2}')
config_dst=$(grep -E '^COPY [^-].*crous-server\.conf' <<<"$runtime_stage" | awk '{print $3}')
[[ -n $config_src && -f $root/$config_src ]] || problem "config file copied ('$config_src') does not exist in the repository"
grep -Eq "CROUS_CONFIG=$config_dst( |$)" <<<"$runtime_stage" || problem "CROUS_CONFIG must point at the copied config $config_dst"

# ---- port: one number everywhere ----
conf_port=$(sed -nE 's/^port[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' "$root/config/crous-server.conf")
# The plain port is optional since TLS (port = off): std::optional<std::uint16_t> port = N;
header_port=$(sed -nE 's/.*std::(optional<std::uint16_t>|uint16_t) port = ([0-9]+);.*/\2/p' "$root/config/include/crous/config/server_config.hpp")
client_port=$(sed -nE 's/.*default_port = ([0-9]+);.*/\1/p' "$root/client/include/crous/client/options.hpp")
expose_port=$(sed -nE 's/^EXPOSE ([0-9]+).*/\1/p' <<<"$runtime_stage")
env_port=$(grep -oE 'CROUS_PORT=[0-9]+' <<<"$runtime_stage" | cut -d= -f2)
for pair in "config/crous-server.conf:$conf_port" "server_config.hpp:$header_port" "client options.hpp:$client_port" \
            "EXPOSE:$expose_port" "CROUS_PORT:$env_port"; do
  [[ ${pair#*:} == "$expose_port" && -n ${pair#*:} ]] || problem "port mismatch: ${pair%%:*} says '${pair#*:}', EXPOSE says '$expose_port'"
done
grep -Eq 'CROUS_LISTEN_ADDRESS=0\.0\.0\.0' <<<"$runtime_stage" || problem "the image must listen on 0.0.0.0 (CROUS_LISTEN_ADDRESS)"

# ---- metrics: off by default; once enabled reachable, exposed, published ----
grep -Eq 'CROUS_METRICS_ADDRESS=0\.0\.0\.0' <<<"$runtime_stage" ||
  problem "the image must set CROUS_METRICS_ADDRESS=0.0.0.0 (enabled metrics must be reachable from outside)"
if grep -Eq 'CROUS_METRICS_PORT=' <<<"$runtime_stage"; then
  problem "metrics are off by default: the image must not set CROUS_METRICS_PORT"
fi
# A host port in docker-compose.yml: the number, or a variable defaulting to
# it ("${CROUS_PUBLISH_PORT:-7878}:7878"; scripts/test-image.sh moves it).
published_as() { echo "(\\\$\\{[A-Z_]+:-$1\\}|$1)"; }
exposed=" $(sed -nE 's/^EXPOSE (.*)/\1/p' <<<"$runtime_stage" | tr -s ' ') "
compose_metrics_port=$(sed -nE 's/^[[:space:]]*CROUS_METRICS_PORT:[[:space:]]*"?([0-9]+)"?.*/\1/p' "$compose" 2>/dev/null | head -n1)
if [[ -z $compose_metrics_port ]]; then
  problem "docker-compose.yml must enable metrics on crous-server (CROUS_METRICS_PORT)"
else
  [[ $exposed == *" $compose_metrics_port "* ]] || problem "EXPOSE must list the metrics port $compose_metrics_port (EXPOSE:$exposed)"
  grep -Eq ":$(published_as "$compose_metrics_port"):$compose_metrics_port\"" "$compose" ||
    problem "docker-compose.yml must publish the metrics port $compose_metrics_port"
fi

# ---- CROUS_* variables are real settings ----
for variable in $(grep -oE 'CROUS_[A-Z_]+=' <<<"$runtime_stage" | tr -d = | sort -u); do
  key=$(tr 'A-Z' 'a-z' <<<"${variable#CROUS_}")
  [[ $variable == CROUS_CONFIG ]] || grep -Eq "^#?[[:space:]]*$key[[:space:]]*=" "$root/config/crous-server.conf" ||
    problem "$variable is not a crous-server setting (no '$key' in config/crous-server.conf)"
done

# ---- process model and health ----
user=$(sed -nE 's/^USER (.*)/\1/p' <<<"$runtime_stage" | tail -n1)
[[ $user =~ ^[1-9][0-9]*:[1-9][0-9]*$ ]] || problem "USER must be a fixed non-root UID:GID, got '$user'"
grep -Eq '^ENTRYPOINT \["crous-server"' <<<"$runtime_stage" || problem "ENTRYPOINT must be exec form starting with crous-server"
grep -Eq '^HEALTHCHECK .*CMD \["crous-echo", "--op", "ping"' <<<"$runtime_stage" || problem "HEALTHCHECK must run crous-echo --op ping (exec form)"

# ---- docker-compose.yml ----
if [[ -f $compose ]]; then
  grep -q "$config_src:$config_dst" "$compose" || problem "docker-compose.yml must mount $config_src at $config_dst"
  grep -Eq "\"$(published_as "$expose_port"):$expose_port\"" "$compose" || problem "docker-compose.yml must publish port $expose_port"
  grep -q 'crous-echo' "$compose" || problem "docker-compose.yml needs the one-shot crous-echo service"
else
  problem "missing $compose"
fi

if ((problems)); then
  echo "check-dockerfile: $problems problem(s) in $dockerfile" >&2
  exit 1
fi
echo "check-dockerfile: $dockerfile matches the project"
