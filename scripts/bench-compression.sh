#!/usr/bin/env bash
# Compression benchmark (issue 12), all on 127.0.0.1, in one run: crous-server
# echo throughput with and without LZ4 (crous-bench --compress lz4 | none),
# CONNECTIONS (50) connections, pipeline depth 64 and 1, on two record shapes:
#   users   the codec bench's 20,000 user records (~132 bytes with "op")
#   orders  2,000 order records of ~1.8 KB, repetitive in keys and text
# Every request of a batch is the next record of the corpus. Reported per row:
# records/s, bytes on the wire per record both ways (and what they are
# uncompressed), and the server's and the client's CPU time per record.
# The rows are interleaved (the order reversed every other round), ROUNDS
# rounds; the tables give medians and same-round ratios.
#
#   scripts/bench-compression.sh
#   ROUNDS=5 DURATION=10 scripts/bench-compression.sh
#
# One crous-server with its defaults (compression lz4, one I/O thread per
# core). On loopback bandwidth costs nothing, so these rows show what LZ4
# costs in CPU and what it saves on the wire; whether that pays depends on the
# link (the wire columns say how much less it has to carry).
#
# Builds nothing: build crous-server and crous-bench (Release) first.
# Environment: BIN_DIR (build/bin), ROUNDS (3), DURATION (5), WARMUP (1),
# CONNECTIONS (50).
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=bench-compression
# shellcheck source=scripts/lib/bench-common.sh
source scripts/lib/bench-common.sh

BIN_DIR=${BIN_DIR:-build/bin}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-50}
BENCH="$BIN_DIR/crous-bench"

for n in "$ROUNDS" "$DURATION" "$WARMUP" "$CONNECTIONS"; do
  [[ $n =~ ^[0-9]+$ ]] || fail "ROUNDS, DURATION, WARMUP and CONNECTIONS are whole numbers"
done
for bin in "$BIN_DIR/crous-server" "$BENCH"; do
  [[ -x $bin ]] || fail "$bin missing: build it first (Release)"
done
# A crous-bench from before --compress would measure plain rows twice.
bench_help=$("$BENCH" --help 2>&1 || true)
[[ $bench_help == *--compress* && $bench_help == *--records* ]] || fail "$BENCH has no --compress/--records: rebuild it"

work=$(mktemp -d)
server=""
stop_server() {
  if [[ -n $server ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT

free_port
"$BIN_DIR/crous-server" --listen-address 127.0.0.1 --port "$port" --log-level warn >"$work/crous.log" 2>&1 &
server=$!
wait_listening crous "$port" "$server"

echo "# $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores; uptime:$(uptime | sed 's/.*up[^,]*,[^,]*,//')"
echo "# crous-server (compression lz4, defaults) on 127.0.0.1, $CONNECTIONS connections," \
  "${DURATION} s after ${WARMUP} s warm-up, $ROUNDS rounds"

# Rows: records, mode (p64, p1: pipeline depth), compression. Within a shape
# and mode the two compressions sit next to each other.
rows=()
for records in users orders; do
  for mode in p64 p1; do
    rows+=("$records $mode none" "$records $mode lz4")
  done
done

declare -A rate sent received plain_sent plain_received srv_cpu cli_cpu
for round in $(seq "$ROUNDS"); do
  round_order "$round" "${rows[@]}"
  for row in "${order[@]}"; do
    read -r records mode compress <<<"$row"
    args=(--port "$port" --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP"
          --records "$records" --compress "$compress")
    case $mode in
      p64) args+=(--pipeline 64) ;;
      p1) args+=(--pipeline 1) ;;
    esac
    out="$work/$records-$mode-$compress-$round.txt"
    bench_run "$out" "$server" "${args[@]}"
    key="$records,$mode,$compress,$round"
    rate[$key]=${r:-0}
    sent[$key]=$(sed -n 's/^wire_bytes_per_record sent=\([0-9.]*\) .*/\1/p' "$out")
    received[$key]=$(sed -n 's/^wire_bytes_per_record .* received=\([0-9.]*\) uncompressed.*/\1/p' "$out")
    plain_sent[$key]=$(sed -n 's/.* uncompressed sent=\([0-9.]*\) .*/\1/p' "$out")
    plain_received[$key]=$(sed -n 's/.* uncompressed .* received=\([0-9.]*\)$/\1/p' "$out")
    srv_cpu[$key]=$server_us
    cli_cpu[$key]=$client_us
    echo "round $round $records $mode $compress: ${r:-?} records/s, wire ${sent[$key]:-?}/${received[$key]:-?}" \
      "B per record sent/received (uncompressed ${plain_sent[$key]:-?}/${plain_received[$key]:-?})," \
      "server CPU ${srv_cpu[$key]} us/record, client CPU ${cli_cpu[$key]} us/record, errors ${errors:-?}"
    [[ ${errors:-1} == 0 ]] || cat "$out" >&2
  done
done
if [[ -s $work/crous.log ]]; then
  echo "# crous-server logged $(wc -l <"$work/crous.log") lines; the last ones:"
  tail -n 5 "$work/crous.log" | cut -c1-200 | sed 's/^/#   /'
fi
stop_server

values() {  # array records mode compress -> the rounds' values
  local -n a=$1
  local v=()
  for round in $(seq "$ROUNDS"); do v+=("${a[$2,$3,$4,$round]:-0}"); done
  echo "${v[*]}"
}
median_of() {  # array records mode compress
  # shellcheck disable=SC2046  # one word per round
  median $(values "$@")
}
mode_name() { case $1 in p64) echo "pipelined (64)" ;; p1) echo "unpipelined" ;; esac; }

echo
echo "| records | mode | compression | median records/s | per round | wire B/record sent | received |" \
  "uncompressed B/record | wire / uncompressed | server CPU µs/record | client CPU µs/record |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  read -r records mode compress <<<"$row"
  s=$(median_of sent "$records" "$mode" "$compress")
  rcv=$(median_of received "$records" "$mode" "$compress")
  p=$(median_of plain_sent "$records" "$mode" "$compress")
  ratio=$(awk -v w="$s" -v r="$rcv" -v p="$p" 'BEGIN { if (p > 0) printf "%.3f", (w + r) / (2 * p); else print "?" }')
  echo "| $records | $(mode_name "$mode") | $compress | $(human "$(median_of rate "$records" "$mode" "$compress")") |" \
    "$(values rate "$records" "$mode" "$compress") | $s | $rcv | $p | $ratio |" \
    "$(median_of srv_cpu "$records" "$mode" "$compress") | $(median_of cli_cpu "$records" "$mode" "$compress") |"
done

echo
echo "| lz4 / none, same round | per round | median |"
echo "|---|---|---|"
for records in users orders; do
  for mode in p64 p1; do
    ratios=()
    for round in $(seq "$ROUNDS"); do
      ratios+=("$(awk -v x="${rate[$records,$mode,lz4,$round]}" -v y="${rate[$records,$mode,none,$round]}" \
        'BEGIN { if (y > 0) printf "%.2f", x / y; else printf "nan" }')")
    done
    echo "| $records, $(mode_name "$mode"), records/s | ${ratios[*]} | **$(median "${ratios[@]}")** |"
  done
done
echo
echo "Wire bytes count every request and response of the run (warm-up included) and leave out the hello;"
echo "CPU per record counts warm-up and measurement: the server's from /proc/PID/stat, the client's"
echo "(crous-bench) from bash's time."
echo
echo "# done $(date -u '+%H:%M UTC'); uptime:$(uptime | sed 's/.*up[^,]*,[^,]*,//')"
