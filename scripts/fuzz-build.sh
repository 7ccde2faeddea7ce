#!/usr/bin/env bash
# Builds the libFuzzer targets (clang 14, ASan + UBSan, codec only) in
# build-fuzz/. Used by scripts/fuzz-ci.sh and scripts/fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

"$PWD/scripts/install-deps.sh" --clang

jobs=$(nproc 2>/dev/null || echo 2)
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCROUS_BUILD_FUZZERS=ON -DCROUS_SANITIZE=ON -DCROUS_BUILD_TESTS=OFF -DCROUS_BUILD_BENCH=OFF \
  -DCROUS_BUILD_SERVICES=OFF >/dev/null
cmake --build build-fuzz -j "$jobs" --target crous-fuzzers
