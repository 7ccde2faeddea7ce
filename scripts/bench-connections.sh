#!/usr/bin/env bash
# Connection-layer benchmark (issue 8), all on 127.0.0.1:
#  1. server memory per connection: CONNECTIONS (10,000) connections held open,
#     the server's VmRSS growth per connection when they are idle and after
#     each has had one ping answered (crous-bench --hold-connections);
#  2. pipelined throughput (echo / Redis SET, 130-byte records, depth 64 and 1),
#     the servers interleaved, ROUNDS rounds, medians and same-round ratios.
# Servers: build/bin/crous-server, redis-server and, if OLD_BIN names one, the
# crous-server of the previous design.
#
#   scripts/bench-connections.sh
#   OLD_BIN=/path/to/old/build/bin/crous-server scripts/bench-connections.sh
#
# Builds nothing: build crous-server and crous-bench (Release) first; install
# redis-server with scripts/install-deps.sh --bench.
# Environment: BIN_DIR (build/bin), OLD_BIN, REDIS_SERVER (redis-server),
# CONNECTIONS (10000), ROUNDS (3), DURATION (10), WARMUP (1).
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=bench-connections
# shellcheck source=scripts/lib/bench-common.sh
source scripts/lib/bench-common.sh

BIN_DIR=${BIN_DIR:-build/bin}
OLD_BIN=${OLD_BIN:-}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
CONNECTIONS=${CONNECTIONS:-10000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
BENCH="$BIN_DIR/crous-bench"

for bin in "$BIN_DIR/crous-server" "$BENCH" ${OLD_BIN:+"$OLD_BIN"}; do
  [[ -x $bin ]] || { echo "bench-connections: $bin missing: build it first (Release)" >&2; exit 1; }
done
command -v "$REDIS_SERVER" >/dev/null || { echo "bench-connections: no $REDIS_SERVER (scripts/install-deps.sh --bench)" >&2; exit 1; }

# Both ends of CONNECTIONS sockets live on this machine; the servers inherit
# this limit, crous-bench raises its own soft limit to it.
ulimit -n 20000 || { echo "bench-connections: cannot raise the open-file limit to 20000" >&2; exit 1; }

make_work

# Fills server_pid[name], server_port[name]. Servers run with their defaults
# (crous-server: one I/O thread per core; Redis: one thread) except what the
# connection count needs; Redis without persistence.
declare -A server_pid server_port server_proto
start_server() {  # name
  local name=$1 port
  free_port
  case $name in
    crous-new) "$BIN_DIR/crous-server" --listen-address 127.0.0.1 --port "$port" --max-connections 20000 \
                 --log-level warn >"$work/$name.log" 2>&1 & server_proto[$name]=crous ;;
    crous-old) "$OLD_BIN" --listen-address 127.0.0.1 --port "$port" --max-connections 20000 \
                 --log-level warn >"$work/$name.log" 2>&1 & server_proto[$name]=crous ;;
    redis) "$REDIS_SERVER" --bind 127.0.0.1 --port "$port" --save '' --appendonly no --maxclients 20000 \
             --daemonize no --loglevel warning >"$work/$name.log" 2>&1 & server_proto[$name]=redis ;;
  esac
  server_pid[$name]=$!
  server_port[$name]=$port
  pids+=("$!")
  wait_listening "$name" "$port" "$!"
}

servers=(crous-new)
[[ -n $OLD_BIN ]] && servers+=(crous-old)
servers+=(redis)

echo "# $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $("$REDIS_SERVER" --version | cut -d' ' -f1-3)"

# ---- 1. memory per connection: each server fresh, measured alone ----
declare -A idle answered
for name in "${servers[@]}"; do
  start_server "$name"
  out="$work/hold-$name.txt"
  if ! "$BENCH" --protocol "${server_proto[$name]}" --port "${server_port[$name]}" \
      --hold-connections "$CONNECTIONS" --requests-per-connection 1 --server-pid "${server_pid[$name]}" \
      --settle 1 --time-limit 120 >"$out" 2>&1; then
    echo "bench-connections: memory run against $name failed:" >&2
    cat "$out" >&2
  fi
  echo "## $name memory"
  cat "$out"
  line=$(grep '^per_connection_kib' "$out" || true)
  idle[$name]=$(sed -n 's/.* idle=\([0-9.-]*\).*/\1/p' <<<"$line")
  answered[$name]=$(sed -n 's/.* answered=\([0-9.-]*\).*/\1/p' <<<"$line")
  stop_pids
done

# ---- 2. throughput: all servers up, interleaved ----
# Besides records/s, the server's CPU time per record (user + system, over
# warm-up and measurement): far less sensitive than records/s to what else
# the machine is running.
for name in "${servers[@]}"; do start_server "$name"; done
declare -A rate cpu
for round in $(seq "$ROUNDS"); do
  for pipeline in 64 1; do
    for name in "${servers[@]}"; do
      out="$work/rate-$name-$pipeline-$round.txt"
      bench_run "$out" "${server_pid[$name]}" --protocol "${server_proto[$name]}" --port "${server_port[$name]}" --connections 50 \
        --pipeline "$pipeline" --record-size 130 --duration "$DURATION" --warmup "$WARMUP"
      rate[$name,$pipeline,$round]=${r:-0}
      cpu[$name,$pipeline,$round]=$server_us
      echo "round $round pipeline $pipeline $name: ${r:-?} records/s, server CPU ${cpu[$name,$pipeline,$round]} us/record, errors ${errors:-?}"
      [[ ${errors:-1} == 0 ]] || cat "$out" >&2
    done
  done
done
stop_pids

echo
echo "| server | KiB per idle connection | KiB per connection after one request |"
echo "|---|---|---|"
for name in "${servers[@]}"; do echo "| $name | ${idle[$name]:-?} | ${answered[$name]:-?} |"; done

echo
header="| pipeline | $(printf '%s median rec/s | ' "${servers[@]}")"
sep="|---|$(printf -- '---|%.0s' "${servers[@]}")"
ratio_names=()
[[ -n $OLD_BIN ]] && ratio_names+=(crous-old)
ratio_names+=(redis)
for other in "${ratio_names[@]}"; do
  header+="new/$other per round | new/$other median | "
  sep+="---|---|"
done
echo "${header% }"
echo "$sep"
for pipeline in 64 1; do
  row="| $pipeline |"
  for name in "${servers[@]}"; do
    vals=()
    for round in $(seq "$ROUNDS"); do vals+=("${rate[$name,$pipeline,$round]}"); done
    row+=" $(median "${vals[@]}") |"
  done
  for other in "${ratio_names[@]}"; do
    ratios=()
    for round in $(seq "$ROUNDS"); do
      ratios+=("$(awk -v a="${rate[crous-new,$pipeline,$round]}" -v b="${rate[$other,$pipeline,$round]}" \
        'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "nan" }')")
    done
    row+=" ${ratios[*]} | $(median "${ratios[@]}") |"
  done
  echo "$row"
done

echo
echo "Server CPU time per record (us), medians; new/other is the same-round ratio (lower is better):"
echo
header="| pipeline | $(printf '%s | ' "${servers[@]}")$(printf 'new/%s per round → median | ' "${ratio_names[@]}")"
echo "${header% }"
echo "|---|$(printf -- '---|%.0s' "${servers[@]}" "${ratio_names[@]}")"
for pipeline in 64 1; do
  row="| $pipeline |"
  for name in "${servers[@]}"; do
    vals=()
    for round in $(seq "$ROUNDS"); do vals+=("${cpu[$name,$pipeline,$round]}"); done
    row+=" $(median "${vals[@]}") |"
  done
  for other in "${ratio_names[@]}"; do
    ratios=()
    for round in $(seq "$ROUNDS"); do
      ratios+=("$(awk -v a="${cpu[crous-new,$pipeline,$round]}" -v b="${cpu[$other,$pipeline,$round]}" \
        'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "nan" }')")
    done
    row+=" ${ratios[*]} → $(median "${ratios[@]}") |"
  done
  echo "$row"
done
