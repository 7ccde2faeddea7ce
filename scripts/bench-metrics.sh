#!/usr/bin/env bash
# Metrics on vs off (issue 11), in one run, all on 127.0.0.1: pipelined
# throughput of crous-server without a metrics listener and of the same
# binary with --metrics-port, scraped every SCRAPE_INTERVAL seconds for the
# whole run (as Prometheus would, only more often), optionally also the
# binary of another checkout (OLD_BIN, e.g. main before the metrics work).
# The servers run side by side and the rounds interleave, the order
# alternating every round, so that each same-round ratio compares runs that
# saw the same machine load. Besides records/s, the server's CPU time per
# record (user + system from /proc/PID/stat), which other processes' load
# moves far less.
#
#   scripts/bench-metrics.sh
#   OLD_BIN=/path/to/main/build/bin/crous-server ROUNDS=9 scripts/bench-metrics.sh
#
# Builds nothing: build crous-server and crous-bench (Release) first.
# Environment: BIN_DIR (build/bin), OLD_BIN, ROUNDS (7), DURATION (5), WARMUP (1),
# PIPELINES ("64"), CONNECTIONS (50), RECORD_SIZE (130), SCRAPE_INTERVAL (1).
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=bench-metrics
# shellcheck source=scripts/lib/bench-common.sh
source scripts/lib/bench-common.sh

BIN_DIR=${BIN_DIR:-build/bin}
OLD_BIN=${OLD_BIN:-}
ROUNDS=${ROUNDS:-7}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
PIPELINES=${PIPELINES:-64}
CONNECTIONS=${CONNECTIONS:-50}
RECORD_SIZE=${RECORD_SIZE:-130}
SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-1}
BENCH="$BIN_DIR/crous-bench"

for bin in "$BIN_DIR/crous-server" "$BENCH" ${OLD_BIN:+"$OLD_BIN"}; do
  [[ -x $bin ]] || { echo "bench-metrics: $bin missing: build it first (Release)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "bench-metrics: curl is needed to scrape (scripts/install-deps.sh --bench)" >&2; exit 1; }

make_work



declare -A server_pid server_port
metrics_port=
start_server() {  # name
  local name=$1 extra=() bin="$BIN_DIR/crous-server"
  free_port
  server_port[$name]=$port
  case $name in
    metrics-on) free_port; metrics_port=$port; extra=(--metrics-port "$metrics_port") ;;
    old) bin=$OLD_BIN ;;
  esac
  "$bin" --listen-address 127.0.0.1 --port "${server_port[$name]}" --log-level warn "${extra[@]}" \
    >"$work/$name.log" 2>&1 &
  server_pid[$name]=$!
  pids+=("$!")
  wait_listening "$name" "${server_port[$name]}" "$!"
}

servers=(metrics-off metrics-on)
[[ -n $OLD_BIN ]] && servers+=(old)
for name in "${servers[@]}"; do start_server "$name"; done
wait_listening metrics-on "$metrics_port" "${server_pid[metrics-on]}"

# The scraper runs for the whole run, so every round has the same extra load.
(
  while :; do
    curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$metrics_port/metrics" || true
    sleep "$SCRAPE_INTERVAL"
  done
) &
pids+=("$!")

echo "# $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores; uptime: $(uptime)"
echo "# $CONNECTIONS connections, pipeline $PIPELINES, $RECORD_SIZE-byte echo records, ${DURATION}s after ${WARMUP}s warm-up, $ROUNDS rounds; /metrics scraped every ${SCRAPE_INTERVAL}s"

declare -A rate cpu
for round in $(seq "$ROUNDS"); do
  round_order "$round" "${servers[@]}"
  for pipeline in $PIPELINES; do
    for name in "${order[@]}"; do
      out="$work/rate-$name-$pipeline-$round.txt"
      bench_run "$out" "${server_pid[$name]}" --port "${server_port[$name]}" --connections "$CONNECTIONS" --pipeline "$pipeline" \
        --record-size "$RECORD_SIZE" --duration "$DURATION" --warmup "$WARMUP"
      rate[$name,$pipeline,$round]=${r:-0}
      cpu[$name,$pipeline,$round]=$server_us
      echo "round $round pipeline $pipeline $name: ${r:-?} records/s, server CPU ${cpu[$name,$pipeline,$round]} us/record, errors ${errors:-?}"
      [[ ${errors:-1} == 0 ]] || cat "$out" >&2
    done
  done
done

# The metrics server counted what it served: its latency histogram's count.
scrape=$(curl -s "http://127.0.0.1:$metrics_port/metrics")
echo "# metrics-on: crous_request_duration_seconds_count{op=\"echo\"} = $(sed -n 's/^crous_request_duration_seconds_count{op="echo"} //p' <<<"$scrape"), crous_received_records_total = $(sed -n 's/^crous_received_records_total //p' <<<"$scrape")"
echo "# end; uptime: $(uptime)"

ratios_of() {  # metric a b pipeline -> "r1 r2 ..."
  local -n table=$1
  local out=()
  for round in $(seq "$ROUNDS"); do
    out+=("$(awk -v a="${table[$2,$4,$round]}" -v b="${table[$3,$4,$round]}" \
      'BEGIN { if (b > 0) printf "%.3f", a / b; else printf "nan" }')")
  done
  echo "${out[*]}"
}

echo
others=(metrics-off)
[[ -n $OLD_BIN ]] && others+=(old)
echo "| pipeline | $(printf '%s rec/s (median) | ' "${servers[@]}")$(printf 'metrics-on/%s rec/s, per round → median | ' "${others[@]}")"
echo "|---|$(printf -- '---|%.0s' "${servers[@]}" "${others[@]}")"
for pipeline in $PIPELINES; do
  row="| $pipeline |"
  for name in "${servers[@]}"; do
    vals=()
    for round in $(seq "$ROUNDS"); do vals+=("${rate[$name,$pipeline,$round]}"); done
    row+=" $(median "${vals[@]}") |"
  done
  for other in "${others[@]}"; do
    read -ra rs <<<"$(ratios_of rate metrics-on "$other" "$pipeline")"
    row+=" ${rs[*]} → **$(median "${rs[@]}")** |"
  done
  echo "$row"
done
echo
echo "| pipeline | $(printf '%s CPU µs/record (median) | ' "${servers[@]}")$(printf 'metrics-on/%s CPU, per round → median | ' "${others[@]}")"
echo "|---|$(printf -- '---|%.0s' "${servers[@]}" "${others[@]}")"
for pipeline in $PIPELINES; do
  row="| $pipeline |"
  for name in "${servers[@]}"; do
    vals=()
    for round in $(seq "$ROUNDS"); do vals+=("${cpu[$name,$pipeline,$round]}"); done
    row+=" $(median "${vals[@]}") |"
  done
  for other in "${others[@]}"; do
    read -ra rs <<<"$(ratios_of cpu metrics-on "$other" "$pipeline")"
    row+=" ${rs[*]} → **$(median "${rs[@]}")** |"
  done
  echo "$row"
done
