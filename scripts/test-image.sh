#!/usr/bin/env bash
# Builds the image from the Dockerfile and tests it for real, with whatever
# can run containers here: `docker` where a Docker engine answers, otherwise
# Debian's podman (rootful; installed on demand through
# scripts/install-deps.sh --image).
#
#   scripts/test-image.sh [--bin-dir DIR] [--engine docker|podman]
#
# Against the built image (tagged crous:latest, the name docker-compose.yml
# uses) it checks that:
#   - the server runs as uid 10001, with no capabilities, on a read-only root
#     (--read-only --cap-drop ALL), and answers `ping` from the host through a
#     port published on 127.0.0.1 (the host's crous-echo from --bin-dir);
#   - the HEALTHCHECK command returns 0;
#   - SIGTERM during a pipelined burst loses nothing: every record the client
#     wrote is answered, byte for byte, and the container exits 0 within the
#     drain deadline (8 s);
#   - docker-compose.yml comes up and its one-shot crous-echo reaches the
#     server by its service name.
# No registry is needed: debian:bookworm and debian:bookworm-slim are made
# with debootstrap from the machine's apt mirror when they do not exist yet
# (kept as tarballs in the cache directory, so later runs only import them).
#
# Exit 0: passed; 1: failed; 77: skipped (no engine can run here; the reason
# is printed). Environment: CROUS_IMAGE_CACHE (default /var/cache/crous-image-test)
# holds the base image tarballs, the podman configuration and the lock that
# serialises runs on one machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=$root/build/bin
engine=
while (($#)); do
  case $1 in
    --bin-dir) bin_dir=$2; shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    *) echo "usage: $0 [--bin-dir DIR] [--engine docker|podman]" >&2; exit 2 ;;
  esac
done

readonly skipped=77
readonly image=crous:latest
readonly server=crous-image-test-server
readonly project=crousimagetest      # docker-compose project name
readonly drain_deadline=8            # seconds: the server's drain_timeout
cache=${CROUS_IMAGE_CACHE:-/var/cache/crous-image-test}
started=$SECONDS

say() { printf 'test-image: [%4ds] %s\n' $((SECONDS - started)) "$*"; }
fail() { echo "test-image: FAILED: $*" >&2; exit 1; }
skip() { echo "test-image: SKIPPED: $*" >&2; exit "$skipped"; }

for tool in crous-echo crous; do
  [[ -x $bin_dir/$tool ]] || fail "$bin_dir/$tool is missing (build it, or pass --bin-dir)"
done

# ---- the engine ----
docker_runs() { command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; }
if [[ -z $engine ]]; then
  if docker_runs; then engine=docker; else engine=podman; fi
fi
case $engine in
  docker) docker_runs || skip "--engine docker, but no Docker engine answers (docker info failed)" ;;
  podman)
    if ((EUID != 0)); then
      skip "no Docker engine answers and podman is only set up rootful here: run as root (sudo $0)"
    fi
    timeout 900 "$root/scripts/install-deps.sh" --image || fail "could not install podman (scripts/install-deps.sh --image)"
    ;;
  *) echo "usage: --engine docker|podman" >&2; exit 2 ;;
esac

mkdir -p "$cache"
exec 9>"$cache/lock"
say "waiting for other image tests on this machine (lock $cache/lock)"
flock -w 600 9 || fail "another image test held $cache/lock for 10 minutes"

if [[ $engine == podman ]]; then
  # A private configuration, so nothing in /etc changes: runc (crun refuses
  # the hybrid cgroup layout here), cgroupfs and file events (no systemd),
  # and explicit ulimits (without CAP_SYS_RESOURCE podman cannot raise the
  # defaults it would otherwise set).
  cat >"$cache/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
  export CONTAINERS_CONF=$cache/containers.conf
fi
say "engine: $engine ($($engine --version))"

work=$(mktemp -d /tmp/crous-image-test.XXXXXX)
service_pid=
burst_pids=()   # the drain check's writer and reader

# docker-compose (Debian's, v1) speaks the Docker API to podman's socket.
if [[ $engine == podman ]]; then
  compose=(env "DOCKER_HOST=unix://$work/podman.sock" docker-compose -p "$project" -f "$root/docker-compose.yml")
else
  compose=(docker compose -p "$project" -f "$root/docker-compose.yml")
fi

# The test's containers and network: left by a run that was killed (a ctest
# timeout kills without running traps), and removed again at the end.
remove_test_containers() {
  local containers container
  mapfile -t containers < <($engine ps -aq --filter "label=com.docker.compose.project=$project" 2>/dev/null || true)
  # One at a time: a name that is already gone must not stop the others.
  for container in "$server" "${containers[@]}"; do
    $engine rm -f "$container" >/dev/null 2>&1 || true
  done
  $engine network rm "${project}_default" >/dev/null 2>&1 || true
}

# Everything this script starts goes, also on failure.
cleanup() {
  local status=$?
  set +e
  remove_test_containers
  ((${#burst_pids[@]})) && kill "${burst_pids[@]}" 2>/dev/null
  if [[ -n $service_pid ]]; then
    kill "$service_pid" 2>/dev/null
    wait "$service_pid" 2>/dev/null
  fi
  rm -rf "$work"
  if ((status == 0)); then
    say "passed"
  elif ((status != skipped)); then
    say "failed (exit $status)"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- base images, made locally when missing ----

# The URI of the first enabled apt source that serves Debian's bookworm suite
# (sources.list or sources.list.d, one-line or deb822 format).
apt_mirror() {
  local files=()
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  for file in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $file ]] && files+=("$file")
  done
  ((${#files[@]})) || return 0
  awk '
    /^deb[ \t]/ { sub(/\[[^]]*\]/, ""); if ($3 == "bookworm") { print $2; exit } }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm" && uri != "") { print uri; exit } }
    /^[ \t]*$/ { uri = "" }
  ' "${files[@]}" | head -n1
}

# Copies the host's apt setup into a root filesystem, so apt inside the
# image builds uses the same mirror: the sources that serve bookworm suites
# and the local settings (apt.conf.d files no package owns; here they allow
# the mirror's frozen snapshot, whose Release files are past Valid-Until).
copy_apt_setup() {  # rootfs
  local rootfs=$1 file
  rm -f "$rootfs/etc/apt/sources.list"
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $file ]] || continue
    grep -Eq '(^|[[:space:]])bookworm(-updates|-security)?([[:space:]]|$)' "$file" || continue
    if [[ $file == /etc/apt/sources.list ]]; then
      cp "$file" "$rootfs/etc/apt/sources.list"
    else
      cp "$file" "$rootfs/etc/apt/sources.list.d/"
    fi
  done
  for file in /etc/apt/apt.conf.d/*; do
    [[ -f $file ]] || continue
    dpkg -S "$file" >/dev/null 2>&1 || cp "$file" "$rootfs/etc/apt/apt.conf.d/"
  done
}

# debootstrap --variant=minbase into $cache/bookworm.tar, and the same with
# documentation, manual pages and locales removed (and kept out by dpkg, as
# the official slim image does) into $cache/bookworm-slim.tar.
make_base_tarballs() {
  local mirror rootfs=$cache/rootfs
  mirror=$(apt_mirror)
  mirror=${mirror:-http://deb.debian.org/debian}
  if ! command -v debootstrap >/dev/null; then   # podman's packages include it
    ((EUID == 0)) || fail "debian:bookworm(-slim) missing: debootstrap makes them, as root"
    timeout 600 apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  say "debootstrap --variant=minbase bookworm from $mirror"
  rm -rf "$rootfs"
  timeout 900 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
  copy_apt_setup "$rootfs"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs/etc/hostname"
  : >"$rootfs/etc/resolv.conf"
  tar --numeric-owner -C "$rootfs" -cf "$cache/bookworm.tar.tmp" . && mv "$cache/bookworm.tar.tmp" "$cache/bookworm.tar"

  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/lintian/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  tar --numeric-owner -C "$rootfs" -cf "$cache/bookworm-slim.tar.tmp" . && mv "$cache/bookworm-slim.tar.tmp" "$cache/bookworm-slim.tar"
  rm -rf "$rootfs"
}

ensure_base_images() {
  local tag missing=()
  for tag in bookworm bookworm-slim; do
    if $engine image inspect "debian:$tag" >/dev/null 2>&1; then
      say "debian:$tag exists; reused"
    elif [[ $engine == docker ]] && timeout 300 docker pull -q "debian:$tag" >/dev/null 2>&1; then
      say "debian:$tag pulled"   # a Docker engine usually has its registry; podman here has none
    else
      missing+=("$tag")
    fi
  done
  ((${#missing[@]})) || return 0
  [[ -f $cache/bookworm.tar && -f $cache/bookworm-slim.tar ]] || make_base_tarballs
  for tag in "${missing[@]}"; do
    say "importing $cache/$tag.tar as debian:$tag"
    $engine import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' "$cache/$tag.tar" "debian:$tag" >"$work/import.log" 2>&1 ||
      { cat "$work/import.log" >&2; fail "could not import $cache/$tag.tar"; }
  done
}

# ---- build ----
build_image() {
  local args=(build --network host --build-arg BUILD_JOBS=2 -t "$image" -f "$root/Dockerfile")
  # podman: docker format keeps HEALTHCHECK (OCI images have no such field);
  # never pull, the base images are the local ones; one stage at a time.
  [[ $engine == podman ]] && args+=(--format docker --pull=never --jobs 1)
  local begin=$SECONDS
  say "building $image ($engine ${args[*]} .)"
  # Each step of the build is shown with the time it started.
  set +e
  timeout 1500 "$engine" "${args[@]}" "$root" 2>&1 | while IFS= read -r line; do
    printf '[%4ds] %s\n' $((SECONDS - begin)) "$line" >>"$work/build.log"
    [[ $line == *STEP\ * || $line == Step\ * ]] && say "  ${line:0:110}"
  done
  local status=${PIPESTATUS[0]}
  set -e
  ((status == 0)) || { tail -n 40 "$work/build.log" >&2; fail "the image did not build (last lines of the build above)"; }
  local size
  size=$($engine image inspect --format '{{.Size}}' "$image")
  say "built $image in $((SECONDS - begin)) s; size $((size / 1000000)) MB"
}

# ---- the running container ----
published_port() {  # container -> host port of 7878/tcp
  { $engine port "$1" 7878/tcp 2>/dev/null || true; } | sed -nE 's/^127\.0\.0\.1:([0-9]+)$/\1/p' | head -n1
}

wait_ping() {  # port: until the server answers ping through it (bounded)
  for _ in $(seq 100); do
    "$bin_dir/crous-echo" --host 127.0.0.1 --port "$1" --op ping --quiet --timeout 1000 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

run_health_check() {  # container
  if [[ $engine == podman ]]; then
    $engine healthcheck run "$1"    # no systemd schedules it here: run it now
  else
    local status
    for _ in $(seq 60); do   # docker runs it on the image's 10 s interval
      status=$($engine inspect --format '{{.State.Health.Status}}' "$1")
      [[ $status == healthy ]] && return 0
      sleep 1
    done
    echo "health status: $status" >&2
    return 1
  fi
}

check_container() {
  say "running $image with --read-only --cap-drop ALL, port 7878 published on 127.0.0.1"
  # (podman's complaint that no systemd runs its health check timer goes to run.log.)
  $engine run -d --name "$server" --read-only --cap-drop ALL -p 127.0.0.1::7878 "$image" >/dev/null 2>"$work/run.log" ||
    { cat "$work/run.log" >&2; fail "the container did not start"; }
  local port pid
  port=$(published_port "$server")
  [[ -n $port ]] || fail "no host port published for 7878/tcp ($($engine port "$server"))"
  wait_ping "$port" || { $engine logs "$server" >&2; fail "no answer to ping on 127.0.0.1:$port"; }
  "$bin_dir/crous-echo" --host 127.0.0.1 --port "$port" --op ping | grep -q 'pong: T' ||
    fail "ping through 127.0.0.1:$port did not answer pong"
  say "ping answered through 127.0.0.1:$port"

  # The server process itself, seen from the host (rootful: same pid and uid
  # namespaces), and from inside.
  pid=$($engine inspect --format '{{.State.Pid}}' "$server")
  local uids caps inside
  uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")
  caps=$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")
  [[ $uids == "10001 10001 10001 10001" ]] || fail "crous-server runs with uids '$uids', not 10001"
  [[ $caps == 0000000000000000 ]] || fail "crous-server has capabilities $caps despite --cap-drop ALL"
  inside=$($engine exec "$server" id -u)
  [[ $inside == 10001 ]] || fail "id -u inside the container says $inside"
  if $engine exec "$server" touch /etc/crous/written 2>/dev/null; then fail "--read-only: the root filesystem is writable"; fi
  say "crous-server runs as uid 10001 with no capabilities on a read-only root"

  run_health_check "$server" >/dev/null || fail "the HEALTHCHECK command did not return 0"
  local healthcheck
  healthcheck=$($engine inspect --format '{{json .Config.Healthcheck.Test}}' "$server")
  say "HEALTHCHECK ($healthcheck) returned 0"

  check_drain "$port"
}

# SIGTERM in the middle of a pipelined burst: a writer sends FLUX records
# back to back on one connection while a reader collects the responses; the
# signal goes once responses are flowing, and the writer stops when the
# signal has been delivered. Every record written must come back (echo
# answers a record with itself, byte for byte), and the server must exit 0
# within the drain deadline.
check_drain() {  # port
  local port=$1 chunk_records=20000 max_chunks=500
  awk -v n="$chunk_records" 'BEGIN { for (i = 0; i < n; i++) printf "{\"id\":%d,\"pad\":\"pppppppppppppppppppp\"}\n", i }' |
    "$bin_dir/crous" convert --from json --to flux -o "$work/chunk.flux"
  local chunk_bytes
  chunk_bytes=$(stat -c %s "$work/chunk.flux")

  exec 3<>"/dev/tcp/127.0.0.1/$port"
  cat <&3 >"$work/responses.flux" &
  local reader=$!
  (
    for ((chunks = 1; chunks <= max_chunks; chunks++)); do
      cat "$work/chunk.flux" >&3 || exit 1
      echo "$chunks" >"$work/chunks.new" && mv "$work/chunks.new" "$work/chunks"   # never read half-written
      [[ -e $work/signalled ]] && exit 0
    done
  ) &
  local writer=$!
  burst_pids=("$reader" "$writer")
  exec 3>&-   # the writer and the reader hold the connection now

  # Signal once the server is visibly in the middle of the burst.
  for _ in $(seq 300); do
    (($(stat -c %s "$work/responses.flux") > chunk_bytes)) && break
    sleep 0.05
  done
  (($(stat -c %s "$work/responses.flux") > chunk_bytes)) || fail "no responses to the burst within 15 s"
  local signal_ns written_before
  written_before=$(cat "$work/chunks")
  signal_ns=$(date +%s%N)
  $engine kill --signal TERM "$server" >/dev/null
  touch "$work/signalled"
  local exit_code
  exit_code=$(timeout 30 "$engine" wait "$server") || fail "the container did not exit within 30 s of SIGTERM"
  local drain_ms=$((($(date +%s%N) - signal_ns) / 1000000))
  wait "$writer" || fail "the writer could not send its records (the server closed early?)"
  timeout 10 tail --pid "$reader" -f /dev/null || fail "the reader never saw the end of the stream"
  local chunks sent answered
  chunks=$(cat "$work/chunks")
  sent=$((chunks * chunk_bytes))
  answered=$(stat -c %s "$work/responses.flux")
  local expected=$work/expected.flux
  for ((i = 0; i < chunks; i++)); do cat "$work/chunk.flux"; done >"$expected"
  cmp -s "$expected" "$work/responses.flux" ||
    fail "records lost in the drain: $((chunks * chunk_records)) records ($sent bytes) sent, $answered bytes answered"
  ((chunks >= 2 && chunks < max_chunks)) || fail "the signal did not land during the burst ($chunks chunks written)"
  [[ $exit_code == 0 ]] || { $engine logs "$server" >&2; fail "crous-server exited $exit_code after SIGTERM, not 0"; }
  ((drain_ms < drain_deadline * 1000)) ||
    fail "the container took ${drain_ms} ms to exit after SIGTERM (drain deadline ${drain_deadline} s)"
  $engine logs "$server" >"$work/server.log" 2>&1
  grep -q 'received SIGTERM' "$work/server.log" || fail "the server's log does not show the SIGTERM"
  say "SIGTERM during a burst ($((written_before * chunk_records)) records written when the kill started," \
    "$(((chunks - written_before) * chunk_records)) more until it returned): all $((chunks * chunk_records)) answered," \
    "exit 0 ${drain_ms} ms after the kill"
  $engine rm "$server" >/dev/null 2>&1
}

# ---- docker-compose.yml ----
check_compose() {
  if [[ $engine == podman ]]; then
    # Bounded, so that not even a killed run leaves it behind for long.
    timeout 600 podman system service --time=0 "unix://$work/podman.sock" >"$work/service.log" 2>&1 &
    service_pid=$!
    for _ in $(seq 100); do [[ -S $work/podman.sock ]] && break; sleep 0.1; done
    [[ -S $work/podman.sock ]] || fail "podman system service did not create its socket"
  fi
  # Host ports chosen by the engine (0), in case 7878/9478 are taken here.
  export CROUS_PUBLISH_PORT=0 CROUS_PUBLISH_METRICS_PORT=0
  say "docker-compose up"
  timeout 180 "${compose[@]}" up --no-build --no-color --exit-code-from crous-echo >"$work/compose.log" 2>&1 &
  local up=$!
  if [[ $engine == podman ]]; then
    # crous-echo waits for the server to be healthy; without systemd nothing
    # runs podman's health checks on their interval, so run them here.
    local ctr
    while kill -0 "$up" 2>/dev/null; do
      ctr=$(podman ps -q --filter "label=com.docker.compose.project=$project" \
        --filter "label=com.docker.compose.service=crous-server" || true)
      # (fails while the server starts, and once compose has removed it)
      [[ -z $ctr ]] || podman healthcheck run "$ctr" >/dev/null 2>&1 || true
      sleep 1
    done
  fi
  local status=0
  wait "$up" || status=$?
  if ((status != 0)) || ! grep -q 'crous-echo.*Alice' "$work/compose.log"; then
    grep -v '^$' "$work/compose.log" | tail -n 40 | sed 's/^/  compose: /' >&2
    ((status == 0)) || fail "docker-compose up ended with $status (crous-echo's exit status, or the timeout)"
    fail "the compose crous-echo did not print the echoed record"
  fi
  grep 'crous-echo.*|' "$work/compose.log" | tr -s ' ' | sed 's/^/  compose: /'
  say "docker-compose.yml: crous-echo reached crous-server by name and got its record back"
}

remove_test_containers
ensure_base_images
build_image
check_container
check_compose

# The clean-up is part of the test: nothing of it may be left.
remove_test_containers
# (filters of different keys combine with AND, hence two queries)
left=$($engine ps -aq --filter "label=com.docker.compose.project=$project"; $engine ps -aq --filter "name=^$server\$")
[[ -z $left ]] || fail "containers left after the clean-up: $left"
if $engine network inspect "${project}_default" >/dev/null 2>&1; then fail "network ${project}_default left"; fi
