#!/usr/bin/env bash
# Installs the Debian 12 packages crous needs, skipping those already present.
# One source of truth: the README commands, CI and the Dockerfile all use it.
#   scripts/install-deps.sh            build + test dependencies (promtool, from the
#                                      prometheus package, checks the /metrics output in the tests;
#                                      dpkg-dev and file: cpack -G DEB finds the programs' library
#                                      dependencies with dpkg-shlibdeps; haproxy and iproute2 run the
#                                      scale-out test, deploy/haproxy)
#   scripts/install-deps.sh --runtime  only what the built binaries need to run
#   scripts/install-deps.sh --bench    also the peers the benchmarks compare against, and curl
#                                      (scrapes in scripts/bench-metrics.sh, queries in scripts/prometheus-demo.sh)
#   scripts/install-deps.sh --clang    also clang 14 and its runtimes (sanitizers, libFuzzer), and
#                                      clang-tidy 14 (scripts/tidy.sh) and clang-format 14 (scripts/format.sh)
#   scripts/install-deps.sh --image    only what scripts/test-image.sh needs where no Docker engine
#                                      runs: rootful podman (runc, netavark + aardvark-dns for
#                                      names, iptables for published ports), debootstrap for the
#                                      base images, docker-compose for docker-compose.yml
set -euo pipefail

build_packages=(
  ca-certificates g++ cmake make pkg-config
  libboost-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libmsgpack-cxx-dev
  libssl-dev openssl liblz4-dev
  prometheus-cpp-dev prometheus
  procps
  dpkg-dev file
  haproxy iproute2
)
bench_packages=(redis-server redis-tools libzstd-dev curl)
clang_packages=(clang-14 libclang-rt-14-dev clang-tidy-14 clang-format-14)
image_packages=(podman runc netavark aardvark-dns iptables debootstrap docker-compose)
# liblz4-1: LZ4 connections; prometheus-cpp's core library and civetweb: the metrics listener.
runtime_packages=(libspdlog1.10 libfmt9 libssl3 liblz4-1 libprometheus-cpp-core1.0 libcivetweb1)

case "${1:-}" in
  --runtime) wanted=("${runtime_packages[@]}") ;;
  --bench) wanted=("${build_packages[@]}" "${bench_packages[@]}") ;;
  --clang) wanted=("${build_packages[@]}" "${clang_packages[@]}") ;;
  --image) wanted=("${image_packages[@]}") ;;
  "") wanted=("${build_packages[@]}") ;;
  *) echo "usage: $0 [--runtime|--bench|--clang|--image]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root or install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
