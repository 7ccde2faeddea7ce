#!/usr/bin/env bash
# The cost of a service-to-service hop (issue 15), in one run, all on
# 127.0.0.1: crous-bench echoing records directly against a
# crous-example-backend ("direct", op echo), and the same crous-bench, same
# records, against crous-example-gateway with op relay, whose async handler
# passes each record (less its op) through its client Pool to that
# backend's echo and returns the answer ("gateway": one more hop). Rounds interleave, the
# order alternating every round; reported: medians of records/s, of
# crous-bench's p50/p99 latency and of the CPU per record of the process
# crous-bench talks to (the backend, or the gateway alone), and the
# same-round gateway/direct ratios.
# Both processes share the machine's cores with crous-bench, as they would.
#
#   scripts/bench-gateway.sh
#   ROUNDS=9 PIPELINES="1 16" scripts/bench-gateway.sh
#
# Builds nothing: build crous-bench, crous-example-backend and
# crous-example-gateway (Release) first.
# Environment: BIN_DIR (build/bin), ROUNDS (5), DURATION (5), WARMUP (1),
# PIPELINES ("1 16"), CONNECTIONS (16), RECORDS (users), IO_THREADS (1: the
# I/O threads of each service).
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=bench-gateway
# shellcheck source=scripts/lib/bench-common.sh
source scripts/lib/bench-common.sh

BIN_DIR=${BIN_DIR:-build/bin}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
PIPELINES=${PIPELINES:-1 16}
CONNECTIONS=${CONNECTIONS:-16}
RECORDS=${RECORDS:-users}
IO_THREADS=${IO_THREADS:-1}
BENCH="$BIN_DIR/crous-bench"

for bin in "$BENCH" "$BIN_DIR/crous-example-backend" "$BIN_DIR/crous-example-gateway"; do
  [[ -x $bin ]] || fail "$bin missing: build it first (Release)"
done

make_work

declare -A pid_of port_of
start() {  # name binary args...
  local name=$1 bin=$2
  shift 2
  free_port
  port_of[$name]=$port
  "$BIN_DIR/$bin" --port "$port" --threads "$IO_THREADS" --workers 1 --log-level warn "$@" >"$work/$name.log" 2>&1 &
  pid_of[$name]=$!
  pids+=("$!")
  wait_listening "$name" "$port" "$!"
}
start direct crous-example-backend
start second crous-example-backend
start gateway crous-example-gateway \
  --backend "127.0.0.1:${port_of[direct]}" --backend "127.0.0.1:${port_of[second]}"

echo "# $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores; uptime: $(uptime)"
echo "# $CONNECTIONS connections, pipelines $PIPELINES, $RECORDS records, ${DURATION}s after ${WARMUP}s warm-up, $ROUNDS rounds, $IO_THREADS I/O thread(s) per service"

rows=(direct gateway)
declare -A rate p50 p99 cpu op_of=([direct]=echo [gateway]=relay)
for round in $(seq "$ROUNDS"); do
  round_order "$round" "${rows[@]}"
  for pipeline in $PIPELINES; do
    for name in "${order[@]}"; do
      out="$work/$name-$pipeline-$round.txt"
      bench_run "$out" "${pid_of[$name]}" --port "${port_of[$name]}" --op "${op_of[$name]}" --connections "$CONNECTIONS" \
        --pipeline "$pipeline" --records "$RECORDS" --duration "$DURATION" --warmup "$WARMUP"
      rate[$name,$pipeline,$round]=${r:-0}
      p50[$name,$pipeline,$round]=$(sed -n 's/.* p50=\([0-9.]*\) .*/\1/p' "$out")
      p99[$name,$pipeline,$round]=$(sed -n 's/.* p99=\([0-9.]*\) .*/\1/p' "$out")
      cpu[$name,$pipeline,$round]=$server_us
      echo "round $round pipeline $pipeline $name: ${r:-?} records/s, p50 ${p50[$name,$pipeline,$round]:-?} us," \
        "p99 ${p99[$name,$pipeline,$round]:-?} us, $server_us CPU us/record, errors ${errors:-?}"
      [[ ${errors:-1} == 0 ]] || cat "$out" >&2
    done
  done
done
echo "# end; uptime: $(uptime)"

# Median over the rounds of `table` for row/pipeline, and of the per-round
# gateway/direct ratio.
median_of() {  # table row pipeline
  local -n table=$1
  local values=()
  for round in $(seq "$ROUNDS"); do values+=("${table[$2,$3,$round]}"); done
  median "${values[@]}"
}
ratio_of() {  # table pipeline
  local -n table=$1
  local values=()
  for round in $(seq "$ROUNDS"); do
    values+=("$(awk -v a="${table[gateway,$2,$round]}" -v b="${table[direct,$2,$round]}" \
      'BEGIN { if (b > 0) printf "%.3f", a / b; else printf "nan" }')")
  done
  median "${values[@]}"
}

echo
echo "| pipeline | direct rec/s | gateway rec/s | gateway/direct rec/s | direct p50 / p99 µs | gateway p50 / p99 µs | gateway/direct p50 | gateway/direct p99 | CPU µs/record backend (direct) / gateway |"
echo "|---|---|---|---|---|---|---|---|---|"
for pipeline in $PIPELINES; do
  echo "| $pipeline | $(human "$(median_of rate direct "$pipeline")") | $(human "$(median_of rate gateway "$pipeline")") |" \
    "$(ratio_of rate "$pipeline") | $(median_of p50 direct "$pipeline") / $(median_of p99 direct "$pipeline") |" \
    "$(median_of p50 gateway "$pipeline") / $(median_of p99 gateway "$pipeline") | $(ratio_of p50 "$pipeline") |" \
    "$(ratio_of p99 "$pipeline") | $(median_of cpu direct "$pipeline") / $(median_of cpu gateway "$pipeline") |"
done
