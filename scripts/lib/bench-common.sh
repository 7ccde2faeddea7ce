# Helpers shared by the benchmark and demo scripts; sourced, not run.
# The caller sets `bench_name` (for messages) and `work` (a temporary
# directory where a server called NAME logs to NAME.log) before using them.
# shellcheck shell=bash
# shellcheck disable=SC2154  # bench_name and work come from the sourcing script

fail() { echo "$bench_name: $*" >&2; exit 1; }

# Stops (and waits for) the processes the script started, listed in `pids`.
stop_pids() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

# Sets `work` to a new temporary directory and `pids` to none; at exit the
# processes in `pids` are stopped and the directory removed.
make_work() {
  work=$(mktemp -d)
  pids=()
  trap 'stop_pids; rm -rf "$work"' EXIT
}

# A port nobody listens on, below the ephemeral range the clients'
# connections draw from, and never the same one twice in a run. Sets `port`.
used_ports=" "
free_port() {
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 12000))
    [[ $used_ports == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      used_ports+="$port "
      return
    fi
  done
  fail "no free port found"
}

# Waits until the process `pid` listens on 127.0.0.1:`port`, looking in
# /proc/net/tcp rather than connecting: a probe connection would count as a
# client (on a TLS port, as a failed handshake in the server's log).
wait_listening() {  # name port pid
  local hex
  hex=$(printf '%04X' "$2")
  for _ in $(seq 100); do
    grep -q ":$hex 00000000:0000 0A " /proc/net/tcp && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 0.1
  done
  echo "$bench_name: $1 did not start on port $2 (log: $work/$1.log)" >&2
  cat "$work/$1.log" >&2 2>/dev/null || true
  exit 1
}

# CPU time a process has used so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# shellcheck disable=SC2034  # used by the sourcing scripts
ticks_per_s=$(getconf CLK_TCK)

# The median of the arguments; "?" when there are none.
median() {
  (($# == 0)) && { echo "?"; return; }
  printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}

# A rate in k or M ("?" passes through).
human() {
  awk -v r="$1" 'BEGIN { if (r == "?") print "?"; else if (r >= 1e6) printf "%.2f M", r / 1e6;
                         else if (r >= 1e3) printf "%.1f k", r / 1e3; else printf "%.0f", r }'
}

# The rows of round `round`, reversed every other round so that no row
# always runs right after the same one. Sets `order`.
round_order() {  # round row...
  local round=$1 i
  shift
  order=("$@")
  if ((round % 2 == 0)); then
    order=()
    for ((i = $#; i >= 1; i--)); do order+=("${!i}"); done
  fi
}

# CPU microseconds per unit: `seconds` of CPU over the units done at `rate`
# in warm-up + measurement (DURATION + WARMUP).
per_unit() {  # seconds rate
  awk -v c="$1" -v r="$2" -v s="$DURATION" -v w="$WARMUP" \
    'BEGIN { if (r > 0) printf "%.3f", c * 1e6 / (r * (s + w)); else printf "nan" }'
}

# Runs $BENCH with the given arguments, its output in `out`, bounded by
# `timeout` (crous-bench bounds its run, not its connect phase), and reads
# off what it said. Sets `r` (its rate, empty if none), `errors`,
# `server_us` (CPU µs per unit of the server process `pid`) and `client_us`
# (crous-bench's own).
# shellcheck disable=SC2034  # r, errors, server_us, client_us are for the caller
bench_run() {  # out pid crous-bench-args...
  local out=$1 pid=$2 ticks TIMEFORMAT='%U %S'
  shift 2
  ticks=$(cpu_ticks "$pid")
  { time timeout $((DURATION + WARMUP + 60)) "$BENCH" "$@" >"$out" 2>&1; } 2>"$out.time" || true
  r=$(sed -n 's/.* rate=\([0-9]*\) .*/\1/p' "$out")
  errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' "$out")
  server_us=$(per_unit "$(awk -v t=$(($(cpu_ticks "$pid") - ticks)) -v hz="$ticks_per_s" 'BEGIN { print t / hz }')" "${r:-0}")
  client_us=$(per_unit "$(awk '{ print $1 + $2 }' "$out.time")" "${r:-0}")
}
