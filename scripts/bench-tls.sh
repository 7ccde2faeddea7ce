#!/usr/bin/env bash
# TLS benchmark (issue 10), all on 127.0.0.1, in one run:
#  1. throughput, CONNECTIONS (50) connections, 130-byte records, pipeline
#     depth 64 and 1: crous echo over plain TCP and over TLS, Redis SET over
#     TLS (and over plain TCP, for reference), through the same client;
#  2. connection rate (crous-bench --handshakes): every connection is new and
#     makes a full TLS handshake (no session resumption), sends one ping,
#     reads the answer and closes; crous vs Redis over TLS (plain for reference).
# The rows are interleaved (the order reversed every other round), ROUNDS
# rounds; the tables give medians, same-round ratios against the issue's
# targets, and each server's and the client's CPU time per record/connection.
#
#   scripts/bench-tls.sh
#   ROUNDS=5 DURATION=10 scripts/bench-tls.sh
#
# A throwaway CA and server certificate (SAN IP:127.0.0.1, DNS:localhost) are
# made with openssl in a mktemp directory, which is deleted on exit. One
# crous-server serves a plain and a TLS port, and so does one redis-server
# (Debian's is built with TLS). If this crous-server has no --tls-port, the
# crous TLS rows are skipped and say so.
#
# Builds nothing: build crous-server and crous-bench (Release) first; install
# redis-server with scripts/install-deps.sh --bench.
# Environment: BIN_DIR (build/bin), REDIS_SERVER (redis-server), ROUNDS (3),
# DURATION (5), WARMUP (1), CONNECTIONS (50), KEY_TYPE (rsa: 2048 bits; ec: P-256).
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=bench-tls
# shellcheck source=scripts/lib/bench-common.sh
source scripts/lib/bench-common.sh

BIN_DIR=${BIN_DIR:-build/bin}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-50}
# RSA by default: the server signs (costly) and the client only verifies
# (cheap), so the connection rate depends on the server more than on the
# client; with ECDSA the client's verification costs more than the server's
# signature, and on a small machine the client sets the pace.
KEY_TYPE=${KEY_TYPE:-rsa}
BENCH="$BIN_DIR/crous-bench"

for n in "$ROUNDS" "$DURATION" "$WARMUP" "$CONNECTIONS"; do
  [[ $n =~ ^[0-9]+$ ]] || fail "ROUNDS, DURATION, WARMUP and CONNECTIONS are whole numbers (seconds)"
done
for bin in "$BIN_DIR/crous-server" "$BENCH"; do
  [[ -x $bin ]] || fail "$bin missing: build it first (Release)"
done
command -v "$REDIS_SERVER" >/dev/null || fail "no $REDIS_SERVER (scripts/install-deps.sh --bench)"
command -v openssl >/dev/null || fail "no openssl (scripts/install-deps.sh)"
case $KEY_TYPE in
  ec) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
  rsa) newkey=(-newkey rsa:2048) ;;
  *) fail "KEY_TYPE is ec or rsa" ;;
esac

# Server TLS came in separately from this script; without it only the plain
# crous rows can run. (The help text, not a pipe into grep -q: with pipefail,
# grep closing the pipe early would fail the test.)
server_help=$("$BIN_DIR/crous-server" --help 2>&1 || true)
crous_tls=no
[[ $server_help == *--tls-port* ]] && crous_tls=yes

make_work

# ---- throwaway certificates: keys never leave $work ----
make_certs() {
  local d=$work/tls
  (umask 077 && mkdir "$d")
  {
    openssl req -x509 "${newkey[@]}" -nodes -days 1 -subj "/CN=crous bench-tls throwaway CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout "$d/ca.key" -out "$d/ca.pem"
    openssl req "${newkey[@]}" -nodes -subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr"
    printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
      'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' >"$d/server.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 1 \
      -extfile "$d/server.ext" -out "$d/server.pem"
  } >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; fail "openssl could not make the certificates"; }
}
make_certs
tls_dir=$work/tls

# A port nobody listens on, below the ephemeral range the client's
# connections draw from. Sets `port`.


# Both servers with their defaults (crous-server: one I/O thread per core;
# Redis: one thread), Redis without persistence. Fills server_pid[server],
# port_of[server,plain|tls].
declare -A server_pid port_of
start_servers() {
  local plain tls_port pid
  free_port; plain=$port
  free_port; tls_port=$port
  if [[ $crous_tls == yes ]]; then
    "$BIN_DIR/crous-server" --listen-address 127.0.0.1 --port "$plain" --tls-port "$tls_port" \
      --tls-cert-file "$tls_dir/server.pem" --tls-key-file "$tls_dir/server.key" \
      --log-level warn >"$work/crous.log" 2>&1 &
  else
    "$BIN_DIR/crous-server" --listen-address 127.0.0.1 --port "$plain" --log-level warn >"$work/crous.log" 2>&1 &
  fi
  pid=$!
  pids+=("$pid")
  server_pid[crous]=$pid
  port_of[crous,plain]=$plain
  wait_listening crous "$plain" "$pid"
  if [[ $crous_tls == yes ]]; then
    port_of[crous,tls]=$tls_port
    wait_listening crous "$tls_port" "$pid"
  fi

  free_port; plain=$port
  free_port; tls_port=$port
  "$REDIS_SERVER" --bind 127.0.0.1 --port "$plain" --tls-port "$tls_port" \
    --tls-cert-file "$tls_dir/server.pem" --tls-key-file "$tls_dir/server.key" --tls-ca-cert-file "$tls_dir/ca.pem" \
    --tls-auth-clients no --save '' --appendonly no --daemonize no --loglevel warning >"$work/redis.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  server_pid[redis]=$pid
  port_of[redis,plain]=$plain
  port_of[redis,tls]=$tls_port
  wait_listening redis "$plain" "$pid"
  wait_listening redis "$tls_port" "$pid"
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $("$REDIS_SERVER" --version | cut -d' ' -f1-3), $(openssl version | cut -d' ' -f1-2), server key: $KEY_TYPE" \
  "($([[ $KEY_TYPE == ec ]] && echo ECDSA P-256 || echo RSA 2048))"
echo "# $CONNECTIONS connections, 130-byte records, ${DURATION} s after ${WARMUP} s warm-up, $ROUNDS rounds"
if [[ $crous_tls == no ]]; then
  echo "# crous-server has no --tls-port (server TLS not in this build): the crous TLS rows are SKIPPED"
fi
# The client closes first in the plain connection-rate rows, so its ports sit
# in TIME_WAIT; Linux reuses them on loopback unless tcp_tw_reuse is 0.
if [[ $(cat /proc/sys/net/ipv4/tcp_tw_reuse 2>/dev/null || echo 2) == 0 ]]; then
  echo "# warning: net.ipv4.tcp_tw_reuse=0: the plain connection-rate rows may run out of local ports"
fi

start_servers

# Rows: mode (p64, p1: pipeline depth; hs: connection rate), server, transport.
# Within a mode, crous TLS sits between crous plain and Redis TLS, the two
# things it is compared with.
rows=()
for mode in p64 p1 hs; do
  rows+=("$mode crous plain" "$mode crous tls" "$mode redis tls" "$mode redis plain")
done
runnable() {  # server transport
  [[ $1 != crous || $2 != tls || $crous_tls == yes ]]
}

declare -A rate srv_cpu cli_cpu
for round in $(seq "$ROUNDS"); do
  round_order "$round" "${rows[@]}"
  for row in "${order[@]}"; do
    read -r mode server transport <<<"$row"
    runnable "$server" "$transport" || continue
    args=(--protocol "$server" --port "${port_of[$server,$transport]}" --connections "$CONNECTIONS"
          --duration "$DURATION" --warmup "$WARMUP")
    [[ $transport == tls ]] && args+=(--tls --cacert "$tls_dir/ca.pem")
    case $mode in
      p64) args+=(--pipeline 64 --record-size 130); unit=record ;;
      p1) args+=(--pipeline 1 --record-size 130); unit=record ;;
      hs) args+=(--handshakes); unit=connection ;;
    esac
    out="$work/$mode-$server-$transport-$round.txt"
    bench_run "$out" "${server_pid[$server]}" "${args[@]}"
    key="$mode,$server,$transport,$round"
    # shellcheck disable=SC2034  # read through namerefs (values, ratio_row)
    rate[$key]=${r:-0}
    srv_cpu[$key]=$server_us
    cli_cpu[$key]=$client_us
    echo "round $round $mode $server $transport: ${r:-?} ${unit}s/s, server CPU ${srv_cpu[$key]} us/$unit," \
      "client CPU ${cli_cpu[$key]} us/$unit, errors ${errors:-?}"
    [[ ${errors:-1} == 0 ]] || cat "$out" >&2
  done
done
# What the servers logged (at warning level) besides starting up, before the
# work directory goes: failed handshakes or dropped connections would show here.
for server in crous redis; do
  grep -v -e 'Redis is starting' -e 'Redis version=' -e 'Configuration loaded' -e 'Server initialized' \
    -e 'Memory overcommit' "$work/$server.log" >"$work/$server.log.rest" || true
  if [[ -s $work/$server.log.rest ]]; then
    echo "# $server logged $(wc -l <"$work/$server.log.rest") lines; the last ones:"
    tail -n 5 "$work/$server.log.rest" | cut -c1-200 | sed 's/^/#   /'
  fi
done
stop_pids

values() {  # array mode server transport -> the rounds' values
  local -n a=$1
  local v=()
  runnable "$3" "$4" || return 0
  for round in $(seq "$ROUNDS"); do v+=("${a[$2,$3,$4,$round]}"); done
  echo "${v[*]}"
}
median_of() {  # array mode server transport
  # shellcheck disable=SC2046  # one word per round
  median $(values "$@")
}
mode_name() { case $1 in p64) echo "pipelined (64)" ;; p1) echo "unpipelined" ;; hs) echo "new connection per ping" ;; esac; }

echo
echo "| mode | server | transport | median /s | per round | server CPU µs per unit | client CPU µs per unit |"
echo "|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  read -r mode server transport <<<"$row"
  if ! runnable "$server" "$transport"; then
    echo "| $(mode_name "$mode") | $server | $transport | skipped: no server TLS | | | |"
    continue
  fi
  echo "| $(mode_name "$mode") | $server | $transport | $(human "$(median_of rate "$mode" "$server" "$transport")") |" \
    "$(values rate "$mode" "$server" "$transport") | $(median_of srv_cpu "$mode" "$server" "$transport") |" \
    "$(median_of cli_cpu "$mode" "$server" "$transport") |"
done
echo
echo "Units: records (p64, p1) or connections (new connection per ping). CPU per unit counts warm-up and"
echo "measurement; the servers' from /proc/PID/stat, the client's (crous-bench) from bash's time."

# Same-round ratio a/b of one array, then the median over rounds.
ratio_row() {  # label array a_row b_row target
  local label=$1 arr=$2 target=$5 ratios=() a b
  read -r -a a <<<"$3"
  read -r -a b <<<"$4"
  if ! runnable "${a[1]}" "${a[2]}" || ! runnable "${b[1]}" "${b[2]}"; then
    echo "| $label | skipped: no server TLS | | $target | |"
    return
  fi
  local -n values_of=$arr
  for round in $(seq "$ROUNDS"); do
    ratios+=("$(awk -v x="${values_of[${a[0]},${a[1]},${a[2]},$round]}" -v y="${values_of[${b[0]},${b[1]},${b[2]},$round]}" \
      'BEGIN { if (y > 0 && x != "nan" && y != "nan") printf "%.2f", x / y; else printf "nan" }')")
  done
  local m verdict=""
  m=$(median "${ratios[@]}")
  if [[ $target == "≥ "* ]]; then
    verdict=$(awk -v m="$m" -v t="${target#≥ }" 'BEGIN { print (m + 0 >= t + 0) ? "met" : "**missed**" }')
  fi
  echo "| $label | ${ratios[*]} | **$m** | $target | $verdict |"
}

echo
echo "| ratio (same round) | per round | median | target | |"
echo "|---|---|---|---|---|"
ratio_row "crous TLS / Redis TLS, pipelined rec/s" rate "p64 crous tls" "p64 redis tls" "≥ 1.0"
ratio_row "crous TLS / Redis TLS, unpipelined rec/s" rate "p1 crous tls" "p1 redis tls" "—"
ratio_row "crous TLS / crous plain, pipelined rec/s" rate "p64 crous tls" "p64 crous plain" "≥ 0.6"
ratio_row "crous TLS / crous plain, unpipelined rec/s" rate "p1 crous tls" "p1 crous plain" "≥ 0.6"
ratio_row "crous / Redis, TLS connections/s (full handshakes)" rate "hs crous tls" "hs redis tls" "≥ 1.0"
ratio_row "Redis TLS / Redis plain, pipelined rec/s (reference)" rate "p64 redis tls" "p64 redis plain" "—"
ratio_row "Redis TLS / Redis plain, unpipelined rec/s (reference)" rate "p1 redis tls" "p1 redis plain" "—"
echo
echo "Server CPU per unit, crous / Redis (lower is better; what the machine's load moves least):"
echo
echo "| ratio (same round) | per round | median | target | |"
echo "|---|---|---|---|---|"
ratio_row "TLS, pipelined, µs per record" srv_cpu "p64 crous tls" "p64 redis tls" "—"
ratio_row "TLS, unpipelined, µs per record" srv_cpu "p1 crous tls" "p1 redis tls" "—"
ratio_row "TLS, µs per connection (full handshake)" srv_cpu "hs crous tls" "hs redis tls" "—"
if runnable crous tls; then
  client_bound=$(awk -v c="$(median_of cli_cpu hs crous tls)" -v s="$(median_of srv_cpu hs crous tls)" \
    'BEGIN { print (c + 0 > s + 0) ? "yes" : "no" }')
  if [[ $client_bound == yes ]]; then
    echo
    echo "Note: crous-bench spent more CPU per TLS connection than the server did; on a machine this size the"
    echo "client limits the connection-rate rows, and the server CPU per connection is the fairer comparison."
  fi
fi
echo
echo "# done $(date -u '+%H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
