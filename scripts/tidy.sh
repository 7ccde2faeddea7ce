#!/usr/bin/env bash
# clang-tidy (Debian's clang-tidy-14, checks in .clang-tidy) over the codec:
# every source in codec/src and the codec headers they include (codec/src,
# codec/include). Any warning fails (WarningsAsErrors).
#   scripts/tidy.sh [BUILD_DIR]    BUILD_DIR: a clang 14 build's compile database
#                                  (default build-clang, configured here if it has none)
set -euo pipefail
cd "$(dirname "$0")/.."
"$PWD/scripts/install-deps.sh" --clang

build_dir=${1:-build-clang}
if [[ ! -f "$build_dir/compile_commands.json" ]]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCROUS_BUILD_BENCH=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
# run-clang-tidy takes a regex over the database's file names and exits
# non-zero when any file has a warning (.clang-tidy makes them errors). The
# per-file command lines and counts of suppressed (system header) warnings
# are left out of the log.
set +e
run-clang-tidy-14 -quiet -p "$build_dir" -j "$jobs" "$PWD/codec/src/" 2>&1 |
  grep -v -E '[0-9]+ warnings? generated\.$|^clang-tidy-14 '
status=${PIPESTATUS[0]}
set -e
if ((status == 0)); then
  echo "tidy: codec clean"
fi
exit "$status"
