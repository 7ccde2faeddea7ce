# crous-server image: crous-server, crous and crous-echo on debian:bookworm-slim.
#   docker build -t crous .
#   docker run --rm -p 7878:7878 crous
#   docker run --rm -p 7878:7878 -p 9478:9478 -e CROUS_METRICS_PORT=9478 crous   # with /metrics, /healthz, /readyz
# The build steps are the README/CI steps (scripts/install-deps.sh, then a
# Release CMake configure and build). The test suite builds and runs this
# image (scripts/test-image.sh, with podman where no Docker engine runs), and
# scripts/check-dockerfile.sh fails if this file drifts from the project.

# ---- build stage ----
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
# Only the sources of the three programs (and the corpus crous-bench names at
# configure time), so that a change to tests, docs or scripts reuses the
# compiled layer; tests and benchmarks are not configured.
COPY CMakeLists.txt ./
COPY cmake cmake
COPY codec codec
COPY json json
COPY config config
COPY server server
COPY client client
COPY tools tools
COPY bench/corpus bench/corpus
# Parallel compile jobs; the default is every core (scripts/test-image.sh
# passes --build-arg BUILD_JOBS=2).
ARG BUILD_JOBS
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCROUS_BUILD_TESTS=OFF -DCROUS_BUILD_BENCH=OFF \
 && cmake --build build -j "${BUILD_JOBS:-$(nproc)}" --target crous-server crous crous-echo

# ---- runtime stage ----
FROM debian:bookworm-slim AS runtime
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN /tmp/install-deps.sh --runtime && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh
# Fixed IDs so mounted files and Kubernetes runAsUser can rely on them.
RUN groupadd --system --gid 10001 crous \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin crous
COPY --from=build /src/build/bin/crous-server /src/build/bin/crous /src/build/bin/crous-echo /usr/local/bin/
COPY config/crous-server.conf /etc/crous/crous-server.conf
# Settings: flags > CROUS_* variables > the config file > defaults. Mount
# your own file over /etc/crous/crous-server.conf or set CROUS_* at run time.
# Metrics are off unless CROUS_METRICS_PORT is set; the address is set here
# so that, once enabled, they are reachable from outside the container
# (publish the port only where the scraper and the probes are).
ENV CROUS_CONFIG=/etc/crous/crous-server.conf \
    CROUS_LISTEN_ADDRESS=0.0.0.0 \
    CROUS_PORT=7878 \
    CROUS_METRICS_ADDRESS=0.0.0.0
# TLS: mount certificate, key (and CA for mutual TLS) read-only, readable by
# uid 10001, and set CROUS_TLS_PORT=7879 CROUS_TLS_CERT_FILE=...
# CROUS_TLS_KEY_FILE=... [CROUS_TLS_CA_FILE=...] (CROUS_PORT=off for TLS
# only); docker-compose.yml's "tls" profile does exactly that.
USER 10001:10001
# 7878: the record protocol. 9478: HTTP /metrics, /healthz, /readyz, when
# enabled with CROUS_METRICS_PORT=9478.
EXPOSE 7878 9478
# crous-echo reads CROUS_PORT, so the check follows a moved port.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["crous-echo", "--op", "ping", "--quiet", "--timeout", "2000"]
# Exec form: crous-server is PID 1 and receives SIGTERM from `docker stop`
# (it drains within drain_timeout = 8s, inside Docker's 10s grace period).
ENTRYPOINT ["crous-server"]
CMD []
