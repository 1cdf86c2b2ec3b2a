#!/usr/bin/env bash
# OpenCHAMI Virtual BMC benchmark: Release build, demo fixture, HTTPS on loopback, driven by wrk on the same machine.
# Prints one markdown table (also written to $BENCH_DIR/results.md). See bench/README.md.
#
# Environment (all optional):
#   BENCH_DURATION  seconds per measured wrk run (5)       BENCH_WARMUP  seconds of warm-up before each run (1)
#   BENCH_PORT      port of every endpoint (18443)         BENCH_DIR     work directory (.demo/bench)
#   BENCH_NO_BUILD  1 = skip the builds (use what is built)
#   BENCH_SERVER    the openchami-vbmc executable to measure; default: what ships, the NativeAOT publish of
#                   packaging/stage.sh (artifacts/packaging/publish/openchami-vbmc, published when missing unless
#                   BENCH_NO_BUILD=1). BENCH_JIT=1 measures `dotnet $SERVER_DLL` (the JIT Release build) instead.
#                   The table says which binary was measured.
#   BENCH_BUILD_LOCK  a file: every dotnet build/run of this script holds `flock` on it (machines shared with other builds)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DUR=${BENCH_DURATION:-5}
WARM=${BENCH_WARMUP:-1}
LONG=$(( DUR > 10 ? DUR : 10 )) # the 256-connection runs: 256 TLS handshakes on 2 cores first
PORT=${BENCH_PORT:-18443}
ADMIN_PORT=$((PORT + 1000))
W=${BENCH_DIR:-$ROOT/.demo/bench}
SERVER_DIR=$ROOT/src/OpenChami.VirtualBmc.Server/bin/Release/net10.0
SERVER_DLL=$SERVER_DIR/openchami-vbmc.dll
if [ -z "${BENCH_SERVER:-}" ] && [ "${BENCH_JIT:-0}" != 1 ]; then
  BENCH_SERVER=$ROOT/artifacts/packaging/publish/openchami-vbmc
  if [ ! -x "$BENCH_SERVER" ] && [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
    printf '[bench] publishing the NativeAOT executable (packaging/stage.sh)\n' >&2
    if [ -n "${BENCH_BUILD_LOCK:-}" ]; then flock "$BENCH_BUILD_LOCK" bash -c 'source packaging/stage.sh && stage_publish' >&2
    else (source packaging/stage.sh && stage_publish) >&2; fi
  fi
fi
if [ -n "${BENCH_SERVER:-}" ]; then
  [ -x "$BENCH_SERVER" ] || { echo "error: BENCH_SERVER=$BENCH_SERVER is not an executable file" >&2; exit 1; }
  BENCH_SERVER=$(readlink -f "$BENCH_SERVER")
  SERVER=("$BENCH_SERVER")
else
  SERVER=(dotnet "$SERVER_DLL")
fi
CEILING_DLL=$ROOT/bench/ceiling/bin/Release/net10.0/vbmc-bench-ceiling.dll
CEILING_ADDR=127.0.0.200
USER_PASS=admin:vbmc-demo
BASIC="Authorization: Basic $(printf '%s' "$USER_PASS" | base64)"
RESULTS=$W/results.tsv
PIDS=()

CLK=$(getconf CLK_TCK)
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM # so that the EXIT trap stops the servers

# ---------------------------------------------------------------------------------------------------- set-up
# apt_install COMMAND PACKAGE: installs the Debian package when the command is missing.
apt_install() {
  command -v "$1" >/dev/null && return
  log "installing $2"
  local sudo; sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1 \
    || { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }
}
apt_install wrk wrk
apt_install go golang-go # the cold client (bench/coldclient, standard library only)
for tool in curl base64 awk getconf; do command -v $tool >/dev/null || { echo "error: $tool is missing" >&2; exit 1; }; done
# dn ARGS...: dotnet, under `flock $BENCH_BUILD_LOCK` when that is set (builds of other work on the same machine wait).
dn() { if [ -n "${BENCH_BUILD_LOCK:-}" ]; then flock "$BENCH_BUILD_LOCK" dotnet "$@"; else dotnet "$@"; fi; }
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  log "building (Release)"
  [ -n "${BENCH_SERVER:-}" ] || dn build src/OpenChami.VirtualBmc.Server -c Release --verbosity quiet -nologo >/dev/null
  dn build bench/ceiling -c Release --verbosity quiet -nologo >/dev/null
fi
[ -d .demo/sysfs ] || dn run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release -- .demo/sysfs >/dev/null
[ -f .demo/images/ubuntu-hpc-base.img ] || dn run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release -- --base-image .demo/images/ubuntu-hpc-base.img >/dev/null
for a in $(seq 10 73) 200; do
  if (exec 3<>/dev/tcp/127.0.0.$a/$PORT) 2>/dev/null; then echo "error: 127.0.0.$a:$PORT is in use (set BENCH_PORT)" >&2; exit 1; fi
done

rm -rf "$W" && mkdir -p "$W/tls" "$W/ceiling"
# The cold client: built here from bench/coldclient with the local Go toolchain only (no module download: stdlib only).
[ -n "${HOME:-}" ] || [ -n "${GOCACHE:-}" ] || export GOCACHE=$ROOT/.demo/go-build-cache # go needs a build cache
(cd bench/coldclient && GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -o "$W/coldclient" .)
COLD=$W/coldclient
: >"$RESULTS"
put() { printf '%s\t%s\n' "$1" "$2" >>"$RESULTS"; }
get() { awk -F'\t' -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "-" : v) }' "$RESULTS"; }

# A node type of N small slots without devices (1 core, 1 GiB, no hugepages).
small_node_type() {
  local n=$1 f=$W/small-$1.yaml
  { echo "nodeType: bench-small-$n"; echo "description: $n small slots without devices (benchmark)"; echo "vmSlots:"
    for i in $(seq 0 $((n - 1))); do
      printf -- '- name: slot%d\n  image: ""\n  cpu:\n    cores: 1\n    numaPolicy: none\n  memory:\n    sizeGiB: 1\n    hugepages: false\n' "$i"
    done; } >"$f"
  echo "$f"
}

# host_file NAME NODE_TYPE SLOTS: endpoints 127.0.0.10+i:PORT, self-signed TLS (shared by every config), the demo
# accounts, anonymous ReadOnly from loopback (so the "no auth" runs get 200s, not 401s; Basic and session still
# take their own paths: a token or an Authorization header is always checked first), and no practical pre-authentication
# rate limit (every client of the bench is 127.0.0.1: at the default 20/s the anonymous runs would drain the bucket and
# every later request from loopback would get 503 until it refilled).
host_file() {
  local name=$1 node=$2 n=$3 f=$W/$1.yaml
  { cat <<EOF
hostId: x1000c0s0b0n0
nodeType: $node
sysfsRoot: $ROOT/.demo/sysfs
stateDirectory: $W/state-$name
libvirt:
  uri: test:///default
images:
  catalog: $ROOT/examples/demo/images.yaml
accountsFile: $ROOT/examples/demo/accounts.yaml
tls:
  certificate: $W/tls/cert.pem
  key: $W/tls/key.pem
  generateSelfSigned: true
security:
  auditLog: $W/audit-$name.jsonl
  insecureAnonymous:
    networks: [127.0.0.0/8]
    role: ReadOnly
  preAuthRequestsPerSecondPerSource: 100000 # the highest allowed
admin:
  address: 127.0.0.1
  port: $ADMIN_PORT
slots:
EOF
    for i in $(seq 0 $((n - 1))); do printf -- '- name: slot%d\n  bmc:\n    address: 127.0.0.%d\n    port: %d\n' "$i" $((10 + i)) "$PORT"; done
  } >"$f"
  echo "$f"
}

DEMO_HOST=$(host_file demo "$ROOT/examples/demo/dense-gpu-hsn-node.yaml" 4)
HOST8=$(host_file small8 "$(small_node_type 8)" 8)
HOST64=$(host_file small64 "$(small_node_type 64)" 64)

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_200 URL PID: polls with curl (bounded: 3000 attempts, 0.5 s each at most); prints nothing, fails on timeout or
# when process PID has ended.
wait_200() {
  local url=$1 pid=$2
  for _ in $(seq 3000); do
    [ "$(curl -sk -o /dev/null -w '%{http_code}' --max-time 0.5 "$url" 2>/dev/null)" = 200 ] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
  done
  return 1
}
# ticks PID: utime + stime of the process in clock ticks (/proc/PID/stat fields 14 and 15; the name, field 2, may hold spaces).
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# smaps KEY PID: a figure of /proc/PID/smaps_rollup in kB (Pss, Anonymous, Rss).
smaps() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/smaps_rollup"; }
rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

# start_vbmc CONFIG LOG: starts the server, waits for the first 200 on slot0's service root; sets VBMC_PID and START_MS.
start_vbmc() {
  local t0; t0=$(now_ms)
  "${SERVER[@]}" serve --config "$1" --log-level warning >"$2" 2>&1 &
  VBMC_PID=$!; PIDS+=("$VBMC_PID")
  wait_200 "https://127.0.0.10:$PORT/redfish/v1" "$VBMC_PID" || { echo "error: server did not answer; log:" >&2; tail -20 "$2" >&2; exit 1; }
  START_MS=$(( $(now_ms) - t0 ))
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# r A B [DECIMALS]: A / B to 2 decimals (or DECIMALS), "-" when either is missing.
r() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || b == 0) print "-"; else printf "%.*f", d, a / b }'; }
# median N...: the middle value (the lower middle of an even count).
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
# cpu_busy_pct: the share of CPU time not idle over the next 0.5 s, all cores (/proc/stat).
cpu_busy_pct() {
  local a b
  a=$(awk '/^cpu /{ print $2+$3+$4+$5+$6+$7+$8, $5+$6 }' /proc/stat); sleep 0.5
  b=$(awk '/^cpu /{ print $2+$3+$4+$5+$6+$7+$8, $5+$6 }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[1] - x[1]; printf "%d", (t > 0 ? 100 * (t - (y[2] - x[2])) / t : 0) }'
}
# wait_quiet: until the CPU is at most 10 % busy (a server of an earlier run still exiting, the build's servers), at
# most 30 s; prints what it saw. Start-up is a single-shot figure that anything else on 2 cores moves.
wait_quiet() {
  local busy
  for _ in $(seq 60); do busy=$(cpu_busy_pct); [ "$busy" -le 10 ] && break; done
  echo "$busy"
}

# server_pid KEY: the process a run measures (ceil.* -> the ceiling, else the product).
server_pid() { case $1 in ceil.*) echo "$CEIL_PID" ;; *) echo "$VBMC_PID" ;; esac; }

# run_wrk KEY CONNS THREADS URL [wrk args...]: warm-up, then the measured run; records rps, p50, p99 (ms), bad (non-2xx/3xx + socket
# errors) and cpu (the server's utime+stime during the measured run, ms per request).
# RUN_SECONDS overrides the measured duration (the 256-connection runs take longer: see README).
run_wrk() {
  local key=$1 conns=$2 threads=$3 url=$4; shift 4
  local pid; pid=$(server_pid "$key")
  wrk -t"$threads" -c"$conns" -d"${WARM}s" "$@" "$url" >/dev/null 2>&1 || true
  local out=$W/wrk-$key.txt t0 t1
  echo "load $(load)" >"$out"
  t0=$(ticks "$pid")
  wrk -t"$threads" -c"$conns" -d"${RUN_SECONDS:-$DUR}s" --timeout 5s --latency "$@" "$url" >>"$out" 2>&1 || true
  t1=$(ticks "$pid")
  echo "server cpu ticks $((t1 - t0)) (CLK_TCK $CLK)" >>"$out"
  awk -v key="$key" -v cpu_ticks=$((t1 - t0)) -v clk="$CLK" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; if (v ~ /m$/) return v * 60000; return v }
    /^load / { load = $2 " " $3 " " $4 }
    $2 == "requests" && $3 == "in" { n = $1 }
    /Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /Socket errors:/ { gsub(",", ""); bad += $4 + $6 + $8 + $10 }
    END { printf "%s.rps\t%.0f\n%s.p50\t%.3f\n%s.p99\t%.3f\n%s.bad\t%d\n%s.load\t%s\n", key, rps, key, p50, key, p99, key, bad, key, load
          if (n > 0) printf "%s.cpu\t%.3f\n", key, cpu_ticks * 1000 / clk / n }' "$out" >>"$RESULTS"
  log "$key: $(get "$key.rps") req/s, p50 $(get "$key.p50") ms, p99 $(get "$key.p99") ms, bad $(get "$key.bad"), server CPU $(get "$key.cpu") ms/req (load $(get "$key.load"))"
}

# run_cold KEY CLIENTS URL [coldclient args...]: bench/coldclient, a new TCP connection and TLS handshake per request
# (-resume: with a client session cache), ${WARM}s warm-up then ${DUR}s measured, Basic auth; the client reads the
# server's CPU time (/proc/PID/stat) around the measured part itself. Records rps, p50, p99, bad (non-2xx + errors),
# cpu (ms per request), resumed and n (requests).
run_cold() {
  local key=$1 clients=$2 url=$3; shift 3
  local out=$W/cold-$key.txt
  echo "load $(load)" >"$out"
  timeout $((WARM + DUR + 60)) "$COLD" -url "$url" -c "$clients" -d "$DUR" -warmup "$WARM" -basic "$USER_PASS" \
    -pid "$(server_pid "$key")" -clk "$CLK" "$@" >>"$out" 2>&1 || true
  awk -v key="$key" '
    /^load / { load = $2 " " $3 " " $4 }
    /^requests=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
    END { printf "%s.rps\t%s\n%s.p50\t%s\n%s.p99\t%s\n%s.bad\t%d\n%s.cpu\t%s\n%s.resumed\t%s\n%s.n\t%s\n%s.load\t%s\n",
            key, v["rps"], key, v["p50_ms"], key, v["p99_ms"], key, v["non2xx"] + v["errors"] + (v["requests"] == "" ? 1 : 0),
            key, v["cpu_ms_per_req"], key, v["resumed"], key, v["requests"], key, load }' "$out" >>"$RESULTS"
  log "$key: $(get "$key.rps") req/s, p50 $(get "$key.p50") ms, p99 $(get "$key.p99") ms, bad $(get "$key.bad"), resumed $(get "$key.resumed")/$(get "$key.n"), server CPU $(get "$key.cpu") ms/req (load $(get "$key.load"))"
}

PATHS=(root:/redfish/v1 systems:/redfish/v1/Systems system:/redfish/v1/Systems/slot0)

# The ceiling runs beside the product (idle while the product is measured) and each ceiling run is made right before
# the product runs it is compared with: the load of this machine drifts, so a ratio only means something this way.
start_ceiling() {
  local t0; t0=$(now_ms)
  dotnet "$CEILING_DLL" "$W/tls/cert.pem" "$W/tls/key.pem" $CEILING_ADDR "$PORT" "$W/ceiling" >"$W/ceiling.log" 2>&1 &
  CEIL_PID=$!; PIDS+=("$CEIL_PID")
  wait_200 "https://$CEILING_ADDR:$PORT/redfish/v1" "$CEIL_PID" || { echo "error: ceiling did not start" >&2; cat "$W/ceiling.log" >&2; exit 1; }
  CEIL_START_MS=$(( $(now_ms) - t0 ))
}

# ---------------------------------------------------------------------------------------------------- demo config (4 slots, dense fixture)
log "demo config: GETs (${DUR}s per run after ${WARM}s warm-up; ceiling run first, then none/basic/session)"
start_vbmc "$DEMO_HOST" "$W/serve-demo.log"
TOKEN=$(curl -sk -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d "{\"UserName\":\"${USER_PASS%%:*}\",\"Password\":\"${USER_PASS#*:}\"}" \
  "https://127.0.0.10:$PORT/redfish/v1/SessionService/Sessions" | awk -F': ' 'tolower($1) == "x-auth-token" { gsub("\r", "", $2); print $2 }')
[ -n "$TOKEN" ] || { echo "error: no session token" >&2; exit 1; }
SESSION="X-Auth-Token: $TOKEN"
# The bytes the ceiling serves: captured from the real server (Basic auth), headers and body.
: >"$W/ceiling/index.tsv"
for p in "${PATHS[@]}"; do
  curl -sk -H "$BASIC" -D "$W/ceiling/${p%%:*}.headers" -o "$W/ceiling/${p%%:*}.body" "https://127.0.0.10:$PORT${p#*:}"
  printf '%s\t%s\n' "${p#*:}" "${p%%:*}" >>"$W/ceiling/index.tsv"
done
start_ceiling
sleep 2
put idle.demo.kb "$(rss_kb "$VBMC_PID" VmRSS)"; put idle.demo.load "$(load)"
put idle.demo.anon "$(smaps Anonymous "$VBMC_PID")"; put idle.demo.pss "$(smaps Pss "$VBMC_PID")"
put ceil.idle.anon "$(smaps Anonymous "$CEIL_PID")"; put ceil.idle.kb "$(rss_kb "$CEIL_PID" VmRSS)"; put ceil.idle.pss "$(smaps Pss "$CEIL_PID")"
for p in "${PATHS[@]}"; do
  for c in 1 16; do
    run_wrk "ceil.${p%%:*}.c$c" "$c" 1 "https://$CEILING_ADDR:$PORT${p#*:}" -H "$BASIC"
    run_wrk "vbmc.${p%%:*}.c$c.none" "$c" 1 "https://127.0.0.10:$PORT${p#*:}"
    run_wrk "vbmc.${p%%:*}.c$c.basic" "$c" 1 "https://127.0.0.10:$PORT${p#*:}" -H "$BASIC"
    run_wrk "vbmc.${p%%:*}.c$c.session" "$c" 1 "https://127.0.0.10:$PORT${p#*:}" -H "$SESSION"
  done
done
# Cold clients: a new TCP connection and TLS handshake per request (bench/coldclient, Go net/http, "Connection: close"),
# full handshakes (no client session cache) and resumed ones (a session cache), TLS 1.3 (what Go negotiates) at 1 and
# 16 clients, and TLS 1.2 at 16 clients; each ceiling run right before the product run it is compared with.
log "cold clients: GET Systems/slot0, Basic, a new connection + TLS handshake per request (full, then resumed)"
COLD_PATH=/redfish/v1/Systems/slot0
for c in 1 16; do
  for mode in full resume; do
    run_cold "ceil.cold13.$mode.c$c" "$c" "https://$CEILING_ADDR:$PORT$COLD_PATH" $([ $mode = resume ] && echo -resume)
    run_cold "vbmc.cold13.$mode.c$c" "$c" "https://127.0.0.10:$PORT$COLD_PATH" $([ $mode = resume ] && echo -resume)
  done
done
for mode in full resume; do
  run_cold "ceil.cold12.$mode.c16" 16 "https://$CEILING_ADDR:$PORT$COLD_PATH" -tls 1.2 $([ $mode = resume ] && echo -resume)
  run_cold "vbmc.cold12.$mode.c16" 16 "https://127.0.0.10:$PORT$COLD_PATH" -tls 1.2 $([ $mode = resume ] && echo -resume)
done
# The ≥ 0.9 × ceiling target compares two 5 s runs, and a pair of them moves by ±10 % from one pair to the next on 2
# shared cores (the client shares them): two more alternating pairs, and the verdict takes the median of the three
# pair ratios. The table's row stays the first pair.
ratios=("$(r "$(get vbmc.cold13.full.c16.rps)" "$(get ceil.cold13.full.c16.rps)" 3)")
for rep in 2 3; do
  run_cold "ceil.cold13.full.c16.r$rep" 16 "https://$CEILING_ADDR:$PORT$COLD_PATH"
  run_cold "vbmc.cold13.full.c16.r$rep" 16 "https://127.0.0.10:$PORT$COLD_PATH"
  ratios+=("$(r "$(get vbmc.cold13.full.c16.r$rep.rps)" "$(get ceil.cold13.full.c16.r$rep.rps)" 3)")
done
put cold13.full.c16.ratios "${ratios[*]}"
put cold13.full.c16.ratio "$(median "${ratios[@]}")"
log "cold, full TLS 1.3, 16 clients: product/ceiling per pair ${ratios[*]} (median $(get cold13.full.c16.ratio))"
log "Reset POST latency (ForceRestart on slot0, one connection)"
run_wrk vbmc.reset.c1.basic 1 1 "https://127.0.0.10:$PORT/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset" -H "$BASIC" -s bench/lua/reset.lua
# Memory after the load (keep-alive, cold and Reset runs), 2 s after the last run.
sleep 2
put after.demo.kb "$(rss_kb "$VBMC_PID" VmRSS)"; put after.demo.pss "$(smaps Pss "$VBMC_PID")"; put after.demo.load "$(load)"
put peak.demo.kb "$(rss_kb "$VBMC_PID" VmHWM)"
stop_pid "$VBMC_PID"

# ---------------------------------------------------------------------------------------------------- 64 slots
log "64 slots, 256 keep-alive connections (64 wrk threads x 4 connections, one endpoint each), ${LONG}s"
start_vbmc "$HOST64" "$W/serve-small64.log"
sleep 2
put idle.64.kb "$(rss_kb "$VBMC_PID" VmRSS)"
RUN_SECONDS=$LONG BENCH_PORT=$PORT BENCH_SLOTS=1 BENCH_FIRST=200 BENCH_FIXED_PATH=/redfish/v1/Systems/slot0 \
  run_wrk ceil.spread64.c256 256 64 "https://$CEILING_ADDR:$PORT/" -H "$BASIC" -s bench/lua/spread.lua
RUN_SECONDS=$LONG BENCH_PORT=$PORT BENCH_SLOTS=64 run_wrk vbmc.spread64.c256.basic 256 64 "https://127.0.0.10:$PORT/" -H "$BASIC" -s bench/lua/spread.lua
put peak.64.kb "$(rss_kb "$VBMC_PID" VmHWM)"; put peak.64.load "$(load)"; put ceil.peak.kb "$(rss_kb "$CEIL_PID" VmHWM)"
put ceil.after.kb "$(rss_kb "$CEIL_PID" VmRSS)"; put ceil.after.pss "$(smaps Pss "$CEIL_PID")"
stop_pid "$VBMC_PID"
stop_pid "$CEIL_PID"

# ---------------------------------------------------------------------------------------------------- start-up
# Each start: the process is launched and at once the cold client's start-up mode polls every slot's /redfish/v1 (one
# goroutine per endpoint, a try every 5 ms at most, bounded to 3000 tries and 30 s): the first 200 of slot 0 and the
# moment the last of the 8 endpoints answered 200, both counted from the launch.
log "start-up: 8 slots, 5 starts (median), each on a quiet CPU: first 200 on slot 0 and on all 8 endpoints; each followed by a start of the ceiling"
URLS8=$(for i in $(seq 0 7); do printf 'https://127.0.0.%d:%s/redfish/v1,' $((10 + i)) "$PORT"; done)
starts=() alls=() ceils=() busy=()
for run in 1 2 3 4 5; do
  busy+=("$(wait_quiet)")
  t0=$(now_ms)
  "${SERVER[@]}" serve --config "$HOST8" --log-level warning >"$W/serve-small8.log" 2>&1 &
  VBMC_PID=$!; PIDS+=("$VBMC_PID")
  "$COLD" -wait "${URLS8%,}" -since "$t0" >"$W/start-$run.txt" 2>&1 || { echo "error: not every slot answered; log:" >&2; cat "$W/start-$run.txt" >&2; tail -20 "$W/serve-small8.log" >&2; exit 1; }
  starts+=("$(sed -n 's/.*first_ms=\([0-9]*\).*/\1/p' "$W/start-$run.txt")"); alls+=("$(sed -n 's/.*all_ms=\([0-9]*\).*/\1/p' "$W/start-$run.txt")")
  stop_pid "$VBMC_PID"
  wait_quiet >/dev/null
  t0=$(now_ms)
  dotnet "$CEILING_DLL" "$W/tls/cert.pem" "$W/tls/key.pem" $CEILING_ADDR "$PORT" "$W/ceiling" >"$W/ceiling.log" 2>&1 &
  CEIL_PID=$!; PIDS+=("$CEIL_PID")
  "$COLD" -wait "https://$CEILING_ADDR:$PORT/redfish/v1" -since "$t0" >"$W/start-ceiling-$run.txt" 2>&1 || { echo "error: ceiling did not start" >&2; cat "$W/ceiling.log" >&2; exit 1; }
  ceils+=("$(sed -n 's/.*first_ms=\([0-9]*\).*/\1/p' "$W/start-ceiling-$run.txt")")
  stop_pid "$CEIL_PID"
done
put start.ms "$(median "${starts[@]}")"; put start.all "${starts[*]}"; put start.load "$(load)"
put startall.ms "$(median "${alls[@]}")"; put startall.all "${alls[*]}"
put ceil.start.ms "$(median "${ceils[@]}")"
put start.busy "${busy[*]}"
log "start-up: first 200 on slot 0 ${starts[*]} ms, all 8 slots ${alls[*]} ms (ceiling ${ceils[*]} ms); CPU busy before each: ${busy[*]} %"

log "validation of the dense fixture (validate --timings, 3 runs, last one kept)"
for _ in 1 2 3; do
  t0=$(now_ms); "${SERVER[@]}" validate --config "$DEMO_HOST" --timings >/dev/null 2>"$W/validate.err" || true; t1=$(now_ms)
done
put validate.wall "$((t1 - t0))"
put validate.inproc "$(awk '/^timings:/ { gsub("ms,?", ""); printf "%.1f", $4 + $6 }' "$W/validate.err")"
put validate.detail "$(grep '^timings:' "$W/validate.err" | sed 's/^timings: //')"
put validate.load "$(load)"

# ---------------------------------------------------------------------------------------------------- audit page
log "audit page of the 64-VF node: 2 NUMA nodes, 8 GPUs, 64 VFs (validate --html --timings, 3 runs, last one kept)"
dn run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release -- --large "$W/large" >/dev/null
for _ in 1 2 3; do
  t0=$(now_ms); "${SERVER[@]}" validate --config "$W/large/host.yaml" --html "$W/large.html" --timings >/dev/null 2>"$W/large.err" || true; t1=$(now_ms)
done
put html.render "$(awk '/^timings:/ { for (i = 1; i < NF; i++) if ($i == "html") { print $(i + 1); exit } }' "$W/large.err")"
put html.bytes "$(stat -c %s "$W/large.html" 2>/dev/null || echo -)"
put html.wall "$((t1 - t0))"
put html.load "$(load)"
log "audit page: render $(get html.render) ms in process ($(get html.bytes) bytes), whole validate --html $(get html.wall) ms"

# ---------------------------------------------------------------------------------------------------- package size
# What ships is the .deb of `make package` (one NativeAOT executable). When there is none, the size of the Release
# build directory is given instead, said as such (framework-dependent JIT build: not what ships).
PKG_OUT=${VBMC_PACKAGES_OUT:-$ROOT/artifacts/packages}
DEB=$(ls -t "$PKG_OUT"/openchami-vbmc_*_amd64.deb 2>/dev/null | head -n1 || true)
if [ -n "$DEB" ]; then
  from=$(dpkg-deb --fsys-tarfile "$DEB" 2>/dev/null | tar -xO ./usr/share/doc/openchami-vbmc/changelog.Debian.gz 2>/dev/null | gunzip 2>/dev/null \
    | sed -n 's/.*built from \(.*\)\.$/\1/p' | head -n1 || true)
  put pkg.what ".deb \`${DEB#"$ROOT"/}\` (built from ${from:-?}, $(date -u -r "$DEB" '+%Y-%m-%d %H:%M UTC')): file size"
  put pkg.kb "$(( $(stat -c %s "$DEB") / 1024 ))"
  put pkg.installed "$(dpkg-deb -f "$DEB" Installed-Size 2>/dev/null || echo -)"
else
  put pkg.what "no .deb in \`${PKG_OUT#"$ROOT"/}\` (run \`make package\`): Release build directory \`${SERVER_DIR#"$ROOT"/}\` without .pdb (framework-dependent, no runtime: NOT what ships)"
  put pkg.kb "$(du -sk --exclude='*.pdb' "$SERVER_DIR" | cut -f1)"
fi
if [ -n "${BENCH_SERVER:-}" ]; then
  put bin.kb "$(( $(stat -c %s "$BENCH_SERVER") / 1024 ))"
  put bin.dir.kb "$(du -sk --exclude='*.pdb' --exclude='*.dbg' "$(dirname "$BENCH_SERVER")" | cut -f1)"
fi

# ---------------------------------------------------------------------------------------------------- table
# pct A B: A as a whole percentage of B, truncated (so 89.9 % reads 89 %, as the ≥ 90 % verdict judges it).
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || b == 0) print "-"; else printf "%d %%", int(100 * a / b) }'; }
# verdict COND LABEL [COND LABEL...]: PASS when every condition (an awk expression) holds, else MISS and the failed labels.
# A figure that is missing ("-") makes its condition fail.
verdict() {
  local missed=() failed=0
  while [ $# -ge 2 ]; do
    if ! awk "BEGIN { exit !($1) }" 2>/dev/null; then failed=1; [ -z "$2" ] || missed+=("$2"); fi
    shift 2
  done
  if [ $failed = 0 ]; then echo "**PASS**"; elif [ ${#missed[@]} = 0 ]; then echo "**MISS**"; else local IFS=,; echo "**MISS** (${missed[*]})"; fi
}
# row LABEL CONNS AUTH KEY CEILING_KEY TARGET VERDICT: one line of the scenario table.
row() {
  local k=$4 ck=$5
  echo "| $1 | $2 | $3 | $(get "$k.rps") | $(get "$k.p50") | $(get "$k.p99") | $(get "$k.bad") | $(get "$k.cpu") | $(get "$ck.rps") | $(get "$ck.cpu") | $(pct "$(get "$k.rps")" "$(get "$ck.rps")") | $(r "$(get "$k.p50")" "$(get "$ck.p50")") | $(r "$(get "$k.p99")" "$(get "$ck.p99")") | $(get "$k.load") | $6 | $7 |"
}
if [ -n "${BENCH_SERVER:-}" ]; then
  MEASURED="\`$BENCH_SERVER\` (BENCH_SERVER: a native executable, $(mb "$(get bin.kb)") MB; its directory $(mb "$(get bin.dir.kb)") MB without .pdb/.dbg)"
else
  MEASURED="\`dotnet ${SERVER_DLL#"$ROOT"/}\` (the framework-dependent Release build)"
fi
{
  echo "## OpenCHAMI Virtual BMC benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, wrk and the cold client on the same machine"
  echo
  echo "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') · server measured: $MEASURED · ${DUR}s per run after ${WARM}s warm-up · HTTPS on loopback · load average (1/5/15 min) recorded with each run"
  echo
  echo "| scenario | conns | auth | req/s | p50 ms | p99 ms | non-2xx | server CPU ms/req | ceiling req/s | ceiling CPU ms/req | ratio req/s | ratio p50 | ratio p99 | load | target | verdict |"
  echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"
  for p in "${PATHS[@]}"; do
    name=${p%%:*}
    for c in 1 16; do
      for a in none basic session; do
        k=vbmc.$name.c$c.$a ck=ceil.$name.c$c
        target="" v=""
        if [ "$name.$c.$a" = system.16.basic ]; then
          target="≥ 15000/s, p99 ≤ 5 ms, ≥ 60 % ceiling"
          v=$(verdict "$(get $k.rps) >= 15000" req/s "$(get $k.p99) <= 5" p99 "$(get $k.rps) >= 0.6 * $(get $ck.rps)" ceiling)
        fi
        row "GET ${p#*:} (keep-alive)" "$c" "$a" "$k" "$ck" "$target" "$v"
      done
    done
  done
  k=vbmc.spread64.c256.basic ck=ceil.spread64.c256
  row "GET Systems/slotN, 64 endpoints (${LONG}s, keep-alive)" 256 basic "$k" "$ck" "≥ 50 % ceiling" "$(verdict "$(get $k.rps) >= 0.5 * $(get $ck.rps)" ceiling)"
  for v in 13 12; do
    for c in 1 16; do
      kf=vbmc.cold$v.full.c$c kr=vbmc.cold$v.resume.c$c
      [ "$(get $kf.rps)" != - ] || continue
      tls="TLS 1.${v#1}"
      target="" vd=""
      if [ $v.$c = 13.16 ]; then
        target="≥ 90 % ceiling: median of 3 alternating pairs, $(get cold13.full.c16.ratios) → $(get cold13.full.c16.ratio)"
        vd=$(verdict "$(get cold13.full.c16.ratio) >= 0.9" ceiling)
      fi
      row "GET /redfish/v1/Systems/slot0, cold: new TCP + **full** $tls handshake per request (resumed: $(get $kf.resumed)/$(get $kf.n); ceiling $(get ceil.cold$v.full.c$c.resumed)/$(get ceil.cold$v.full.c$c.n))" \
        "$c" basic "$kf" "ceil.cold$v.full.c$c" "$target" "$vd"
      target="resumed/full: $(r "$(get $kr.rps)" "$(get $kf.rps)")× (ceiling $(r "$(get ceil.cold$v.resume.c$c.rps)" "$(get ceil.cold$v.full.c$c.rps)")×)" vd=""
      if [ $v.$c = 13.16 ]; then
        target="≥ 2 × full; here $(r "$(get $kr.rps)" "$(get $kf.rps)")× (ceiling $(r "$(get ceil.cold13.resume.c16.rps)" "$(get ceil.cold13.full.c16.rps)")×)"
        vd=$(verdict "$(get $kr.rps) >= 2 * $(get $kf.rps)" "2× full" "$(get $kr.resumed) > 0" "no resumption")
      fi
      row "GET /redfish/v1/Systems/slot0, cold: new TCP + **resumed** $tls session per request (resumed: $(get $kr.resumed)/$(get $kr.n); ceiling $(get ceil.cold$v.resume.c$c.resumed)/$(get ceil.cold$v.resume.c$c.n))" \
        "$c" basic "$kr" "ceil.cold$v.resume.c$c" "$target" "$vd"
    done
  done
  k=vbmc.reset.c1.basic
  echo "| POST ComputerSystem.Reset (ForceRestart, test driver) | 1 | basic | $(get $k.rps) | $(get $k.p50) | $(get $k.p99) | $(get $k.bad) | $(get $k.cpu) | (GET $(get ceil.system.c1.p50) ms) | | | $(r "$(get $k.p50)" "$(get ceil.system.c1.p50)") | | $(get $k.load) | p50 ≤ 2 ms | $(verdict "$(get $k.p50) <= 2" p50) |"
  echo
  echo "| figure | value | ceiling | ratio | load | target | verdict |"
  echo "| --- | ---: | ---: | ---: | --- | --- | --- |"
  echo "| process start → first 200 on slot 0's /redfish/v1, 8 slots (median of $(get start.all) ms; CPU busy before each start $(get start.busy) %) | $(get start.ms) ms | $(get ceil.start.ms) ms | $(r "$(get start.ms)" "$(get ceil.start.ms)") | $(get start.load) | ≤ 300 ms | $(verdict "$(get start.ms) <= 300" "") |"
  echo "| process start → all 8 slot endpoints answered 200 on /redfish/v1 (median of $(get startall.all) ms) | $(get startall.ms) ms | | | $(get start.load) | ≤ 500 ms | $(verdict "$(get startall.ms) <= 500" "") |"
  echo "| idle RSS, demo config (4 slots), 2 s after start-up | $(mb "$(get idle.demo.kb)") MB | $(mb "$(get ceil.idle.kb)") MB | $(r "$(get idle.demo.kb)" "$(get ceil.idle.kb)") | $(get idle.demo.load) | ≤ 60 MB | $(verdict "$(get idle.demo.kb) <= 60 * 1024" "") |"
  echo "| idle PSS / private anonymous, demo config (RSS counts shared DLL pages) | $(mb "$(get idle.demo.pss)") / $(mb "$(get idle.demo.anon)") MB | $(mb "$(get ceil.idle.pss)") / $(mb "$(get ceil.idle.anon)") MB | $(r "$(get idle.demo.pss)" "$(get ceil.idle.pss)") | | | |"
  echo "| RSS after the load, demo config (keep-alive, cold and Reset runs done; 2 s later) | $(mb "$(get after.demo.kb)") MB | $(mb "$(get ceil.after.kb)") MB | $(r "$(get after.demo.kb)" "$(get ceil.after.kb)") | $(get after.demo.load) | ≤ 100 MB | $(verdict "$(get after.demo.kb) <= 100 * 1024" "") |"
  echo "| PSS after the load, demo config | $(mb "$(get after.demo.pss)") MB | $(mb "$(get ceil.after.pss)") MB | $(r "$(get after.demo.pss)" "$(get ceil.after.pss)") | | | |"
  echo "| peak RSS (VmHWM), demo config after its runs | $(mb "$(get peak.demo.kb)") MB | | | | | |"
  echo "| idle RSS, 64 slots | $(mb "$(get idle.64.kb)") MB | $(mb "$(get ceil.idle.kb)") MB | $(r "$(get idle.64.kb)" "$(get ceil.idle.kb)") | $(get peak.64.load) | ≤ 80 MB | $(verdict "$(get idle.64.kb) <= 80 * 1024" "") |"
  echo "| peak RSS (VmHWM), 64-slot load | $(mb "$(get peak.64.kb)") MB | $(mb "$(get ceil.peak.kb)") MB | $(r "$(get peak.64.kb)" "$(get ceil.peak.kb)") | $(get peak.64.load) | ≤ 200 MB | $(verdict "$(get peak.64.kb) <= 200 * 1024" "") |"
  echo "| validate the dense fixture: in process (read host + validate) | $(get validate.inproc) ms | | | $(get validate.load) | | |"
  echo "| validate the dense fixture: whole process (\`validate --timings\`) | $(get validate.wall) ms | | | | | |"
  echo "| audit page (\`validate --html\`) of the 64-VF node (2 NUMA nodes, 8 GPUs, 64 VFs): render, in process | $(get html.render) ms | | | $(get html.load) | < 1000 ms | $(verdict "$(get html.render) < 1000" "") |"
  echo "| the same: whole \`validate --html\` process ($(get html.bytes) bytes written) | $(get html.wall) ms | | | | | |"
  installed=$(get pkg.installed)
  echo "| package size: $(get pkg.what) | $(mb "$(get pkg.kb)") MB$([ "$installed" != - ] && echo " (installed $(mb "$installed") MB)") | | | | | |"
  bad=$(awk -F'\t' '$1 ~ /^vbmc\..*\.bad$/ { s += $2 } END { print s + 0 }' "$RESULTS")
  echo "| non-2xx responses (and socket/client errors), all product runs | $bad | | | | 0 | $(verdict "$bad == 0" "") |"
  echo
  echo "Ratios: req/s as a share of the ceiling, latency as a multiple of it. Ceiling = bare Kestrel on one endpoint, same TLS"
  echo "settings and certificate, answering the captured bytes and headers of the same resource (the 64-endpoint row's ceiling"
  echo "is the same 256 connections on that one endpoint; the Reset row compares with the ceiling's 1-connection GET)."
  echo "Cold rows: bench/coldclient (Go net/http, \`Connection: close\`), p50/p99 from the start of the request (connect and"
  echo "handshake included) to the end of the body; \"resumed\" counts handshakes the client saw resume (\`DidResume\`)."
  echo "Server CPU ms/req: utime+stime of the server process (/proc/PID/stat, CLK_TCK $CLK) over the measured run ÷ requests."
} | tee "$W/results.md"
