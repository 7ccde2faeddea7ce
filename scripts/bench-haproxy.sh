#!/usr/bin/env bash
# Throughput through HAProxy (deploy/haproxy/haproxy.cfg, as shipped) vs
# direct, all on 127.0.0.1, same client (crous-bench, pipelined echo):
#   direct     one crous-server, clients connect to it
#   haproxy-1  the same behind HAProxy (its three server lines all point at
#              one instance with proxy_protocol on): what the extra hop costs
#   haproxy-3  three instances behind HAProxy (each --threads 1): the
#              deployment; on one machine they share its cores with the
#              proxy and the client, so this shows no scale-out, only that
#              spreading costs nothing more than the hop
# Rounds interleave, the order alternating every round; medians are printed.
# Then, once: how long after a SIGKILL HAProxy marks an instance DOWN.
#
#   scripts/bench-haproxy.sh
#   ROUNDS=5 DURATION=10 scripts/bench-haproxy.sh
#
# Builds nothing: build crous-server and crous-bench (Release) first; needs
# haproxy (scripts/install-deps.sh).
# Environment: BIN_DIR (build/bin), ROUNDS (5), DURATION (5), WARMUP (1),
# CONNECTIONS (50), PIPELINE (64), RECORD_SIZE (130).
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=bench-haproxy
# shellcheck source=scripts/lib/bench-common.sh
source scripts/lib/bench-common.sh

BIN_DIR=${BIN_DIR:-build/bin}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-50}
PIPELINE=${PIPELINE:-64}
RECORD_SIZE=${RECORD_SIZE:-130}
BENCH="$BIN_DIR/crous-bench"
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)

for bin in "$BIN_DIR/crous-server" "$BENCH" "$HAPROXY"; do
  [[ -x $bin ]] || fail "$bin missing (build crous-server and crous-bench; scripts/install-deps.sh installs haproxy)"
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {  # name extra-args...
  local name=$1
  shift
  free_port
  "$BIN_DIR/crous-server" --listen-address 127.0.0.1 --port "$port" --log-level warn "$@" >"$work/$name.log" 2>&1 &
  pids+=("$!")
  wait_listening "$name" "$port" "$!"
  server_pid=$!
}

start_haproxy() {  # name server1 server2 server3
  local name=$1
  free_port
  CROUS_LB_BIND=127.0.0.1:$port CROUS_SERVER_1=$2 CROUS_SERVER_2=$3 CROUS_SERVER_3=$4 \
    CROUS_HAPROXY_STATS_SOCKET=$work/$name.sock "$HAPROXY" -db -f deploy/haproxy/haproxy.cfg >"$work/$name.log" 2>&1 &
  pids+=("$!")
  wait_listening "$name" "$port" "$!"
  haproxy_pid=$!
}

declare -A bench_port cpu_pids
start_server direct
bench_port[direct]=$port
cpu_pids[direct]=$server_pid

start_server behind-1 --proxy-protocol on
one=127.0.0.1:$port
one_pid=$server_pid
start_haproxy haproxy-1 "$one" "$one" "$one"
bench_port[haproxy-1]=$port
cpu_pids[haproxy-1]="$one_pid $haproxy_pid"

three=()
three_pids=()
for i in 1 2 3; do
  start_server "behind-3-$i" --proxy-protocol on --threads 1
  three+=("127.0.0.1:$port")
  three_pids+=("$server_pid")
done
start_haproxy haproxy-3 "${three[@]}"
bench_port[haproxy-3]=$port
cpu_pids[haproxy-3]="${three_pids[*]} $haproxy_pid"
sleep 3  # every health check has passed (rise 2, inter 1 s)

rows=(direct haproxy-1 haproxy-3)
declare -A rates
for round in $(seq "$ROUNDS"); do
  round_order "$round" "${rows[@]}"
  for row in "${order[@]}"; do
    read -r -a watched <<<"${cpu_pids[$row]}"
    bench_run "$work/bench.out" "${watched[0]}" --port "${bench_port[$row]}" --connections "$CONNECTIONS" \
      --pipeline "$PIPELINE" --record-size "$RECORD_SIZE" --duration "$DURATION" --warmup "$WARMUP"
    [[ -n $r && ${errors:-0} == 0 ]] || fail "$row: no rate or errors: $(cat "$work/bench.out")"
    rates[$row]+="$r "
    echo "round $round  $row: $(human "$r") records/s"
  done
done

echo
echo "median of $ROUNDS rounds, $CONNECTIONS connections x pipeline $PIPELINE, ${RECORD_SIZE}-byte echo records:"
direct_median=$(median ${rates[direct]})
for row in "${rows[@]}"; do
  # shellcheck disable=SC2086  # the rates are one word each
  m=$(median ${rates[$row]})
  printf '  %-10s %12s records/s  (%s of direct)\n' "$row" "$(human "$m")" \
    "$(awk -v a="$m" -v b="$direct_median" 'BEGIN { printf "%.2f", a / b }')"
done

# Failover: SIGKILL one of the three, poll HAProxy's stats socket until it
# says DOWN.
status_of() {  # socket server
  printf 'show stat\n' | (command -v socat >/dev/null && socat - "UNIX-CONNECT:$1" ||
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n"); print(s.makefile().read())' "$1") |
    awk -F, -v s="$2" '$1 == "crous_servers" && $2 == s { for (i = 1; i <= NF; i++) if (h[i] == "status") print $i } NR == 1 { sub(/^# /, ""); split($0, h, ",") }'
}
if command -v socat >/dev/null || command -v python3 >/dev/null; then
  start=$(date +%s%N)
  kill -9 "${three_pids[1]}"
  wait "${three_pids[1]}" 2>/dev/null || true
  for _ in $(seq 1000); do
    [[ $(status_of "$work/haproxy-3.sock" crous2) == DOWN ]] && break
    sleep 0.01
  done
  echo "failover: crous2 marked DOWN $((($(date +%s%N) - start) / 1000000)) ms after SIGKILL"
else
  echo "failover: not measured (needs socat or python3 to read HAProxy's stats socket)"
fi
