#!/usr/bin/env bash
# Builds crous-server (Release) and runs it in the foreground with defaults.
# Extra arguments go to crous-server, e.g. scripts/run.sh --port 9000
set -euo pipefail
cd "$(dirname "$0")/.."

"$PWD/scripts/install-deps.sh"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" --target crous-server
exec build/bin/crous-server "$@"
