#!/usr/bin/env bash
# Builds everything and runs every test.
#   scripts/test.sh              Release build in build/
#   scripts/test.sh --sanitize   ASan + UBSan build in build-sanitize/ (any report fails)
#   scripts/test.sh --clang      clang 14 + libstdc++ build in build-clang/ (no benchmarks; its
#                                compile_commands.json is what scripts/tidy.sh reads)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--clang" ]]; then
  "$PWD/scripts/install-deps.sh" --clang
else
  "$PWD/scripts/install-deps.sh"
fi

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
if [[ "${1:-}" == "--sanitize" ]]; then
  build_dir=build-sanitize
  cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCROUS_SANITIZE=ON -DCROUS_BUILD_BENCH=OFF)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
elif [[ "${1:-}" == "--clang" ]]; then
  build_dir=build-clang
  cmake_args=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DCROUS_BUILD_BENCH=OFF
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
elif [[ -n "${1:-}" ]]; then
  echo "usage: $0 [--sanitize|--clang]" >&2
  exit 2
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$build_dir" "${cmake_args[@]}" >/dev/null
cmake --build "$build_dir" -j "$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs"
