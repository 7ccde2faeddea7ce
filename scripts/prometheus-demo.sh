#!/usr/bin/env bash
# A real Prometheus (Debian's prometheus package) scraping a running
# crous-server, all on 127.0.0.1: starts crous-server with a metrics port,
# Prometheus with a one-second scrape of it, drives traffic with crous-bench
# (echo, then a few unknown ops), and asks Prometheus' HTTP API for the
# request rate, p50/p99 per op and errors by code. Everything runs in a
# temporary directory and is stopped at the end.
#
#   scripts/prometheus-demo.sh
#   KEEP=1 scripts/prometheus-demo.sh     # leave both running; prints the URLs (Ctrl-C stops)
#
# Builds nothing: build crous-server, crous-bench and crous-echo (Release)
# first; install prometheus and curl with scripts/install-deps.sh --bench.
# Environment: BIN_DIR (build/bin), DURATION (8 s of traffic), PROMETHEUS (prometheus).
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=prometheus-demo
# shellcheck source=scripts/lib/bench-common.sh
source scripts/lib/bench-common.sh

BIN_DIR=${BIN_DIR:-build/bin}
DURATION=${DURATION:-8}
PROMETHEUS=${PROMETHEUS:-prometheus}
KEEP=${KEEP:-}

for bin in "$BIN_DIR/crous-server" "$BIN_DIR/crous-bench" "$BIN_DIR/crous-echo"; do
  [[ -x $bin ]] || { echo "prometheus-demo: $bin missing: build it first" >&2; exit 1; }
done
for tool in "$PROMETHEUS" promtool curl; do
  command -v "$tool" >/dev/null || { echo "prometheus-demo: no $tool (scripts/install-deps.sh --bench)" >&2; exit 1; }
done

make_work

wait_http() {  # url pid what
  for _ in $(seq 100); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.2
  done
  echo "prometheus-demo: $3 did not come up ($1)" >&2
  cat "$work"/*.log >&2 || true
  exit 1
}

free_port; record_port=$port
free_port; metrics_port=$port
free_port; prometheus_port=$port

"$BIN_DIR/crous-server" --listen-address 127.0.0.1 --port "$record_port" --metrics-port "$metrics_port" \
  --log-level warn >"$work/crous-server.log" 2>&1 &
pids+=("$!")
wait_http "http://127.0.0.1:$metrics_port/readyz" "$!" crous-server

cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: crous
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
EOF
promtool check config "$work/prometheus.yml" >/dev/null
"$PROMETHEUS" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prometheus_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=("$!")
api="http://127.0.0.1:$prometheus_port"
wait_http "$api/-/ready" "$!" Prometheus

echo "# crous-server: records on 127.0.0.1:$record_port, metrics on http://127.0.0.1:$metrics_port/metrics"
echo "# Prometheus $("$PROMETHEUS" --version 2>&1 | head -n1 | cut -d' ' -f3) on $api, scraping every 1 s"

query() {  # PromQL -> one line per series: {labels} value
  curl -sf --get "$api/api/v1/query" --data-urlencode "query=$1" |
    if command -v jq >/dev/null; then
      jq -r '.data.result[] | "\(.metric | del(.__name__) | to_entries | map("\(.key)=\"\(.value)\"") | join(",") | "{" + . + "}")  \(.value[1])"'
    else
      cat; echo
    fi
}

# Wait for Prometheus to have scraped the target once.
for _ in $(seq 50); do
  [[ $(query 'up{job="crous"}') == *" 1" ]] && break
  sleep 0.2
done

echo "# traffic: crous-bench, 10 connections, pipeline 16, ${DURATION} s; then 25 unknown ops"
"$BIN_DIR/crous-bench" --port "$record_port" --connections 10 --pipeline 16 --record-size 130 \
  --duration "$DURATION" --warmup 0 >"$work/bench.txt" 2>&1 &
bench=$!
sleep $((DURATION > 5 ? DURATION - 2 : 3))
for i in $(seq 25); do "$BIN_DIR/crous-echo" --port "$record_port" --quiet --op "made-up-$i" '{}' 2>/dev/null || true; done

echo
echo '$ query: sum(rate(crous_request_duration_seconds_count[5s]))     # requests/s, all ops'
query 'sum(rate(crous_request_duration_seconds_count[5s]))'
echo '$ query: sum by (op) (rate(crous_request_duration_seconds_count[5s]))'
query 'sum by (op) (rate(crous_request_duration_seconds_count[5s]))'
echo '$ query: histogram_quantile(0.5 | 0.99, sum by (op, le) (rate(crous_request_duration_seconds_bucket{op="echo"}[5s])))'
query 'histogram_quantile(0.5, sum by (op, le) (rate(crous_request_duration_seconds_bucket{op="echo"}[5s])))'
query 'histogram_quantile(0.99, sum by (op, le) (rate(crous_request_duration_seconds_bucket{op="echo"}[5s])))'
wait "$bench" || true
sleep 2
echo '$ query: sum by (code) (increase(crous_errors_total[30s])) > 0'
query 'sum by (code) (increase(crous_errors_total[30s])) > 0'
echo '$ query: crous_connections_open, process_resident_memory_bytes'
query 'crous_connections_open'
query 'process_resident_memory_bytes'
echo
echo "# crous-bench's own count: $(grep -E 'rate=' "$work/bench.txt" || tail -n 2 "$work/bench.txt")"

if [[ -n $KEEP ]]; then
  echo
  echo "# running: Prometheus UI $api/graph, metrics http://127.0.0.1:$metrics_port/metrics, records 127.0.0.1:$record_port (Ctrl-C stops)"
  wait "${pids[0]}"
fi
