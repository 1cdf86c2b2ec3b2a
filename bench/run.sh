#!/usr/bin/env bash
# OpenCHAMI Virtual BMC benchmark: Release build, demo fixture, HTTPS on loopback, driven by wrk on the same machine.
# Prints one markdown table (also written to $BENCH_DIR/results.md). See bench/README.md.
#
# Environment (all optional):
#   BENCH_DURATION  seconds per measured wrk run (5)       BENCH_WARMUP  seconds of warm-up before each run (1)
#   BENCH_PORT      port of every endpoint (18443)         BENCH_DIR     work directory (.demo/bench)
#   BENCH_NO_BUILD  1 = skip the builds (use what is built)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DUR=${BENCH_DURATION:-5}
WARM=${BENCH_WARMUP:-1}
LONG=$(( DUR > 10 ? DUR : 10 )) # the 256-connection runs: 256 TLS handshakes on 2 cores first
PORT=${BENCH_PORT:-18443}
ADMIN_PORT=$((PORT + 1000))
W=${BENCH_DIR:-$ROOT/.demo/bench}
SERVER_DLL=$ROOT/src/OpenChami.VirtualBmc.Server/bin/Release/net10.0/openchami-vbmc.dll
CEILING_DLL=$ROOT/bench/ceiling/bin/Release/net10.0/vbmc-bench-ceiling.dll
CEILING_ADDR=127.0.0.200
USER_PASS=admin:vbmc-demo
BASIC="Authorization: Basic $(printf '%s' "$USER_PASS" | base64)"
RESULTS=$W/results.tsv
PIDS=()

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------------- set-up
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
fi
for tool in curl base64 awk; do command -v $tool >/dev/null || { echo "error: $tool is missing" >&2; exit 1; }; done
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  log "building (Release)"
  dotnet build src/OpenChami.VirtualBmc.Server -c Release --verbosity quiet -nologo >/dev/null
  dotnet build bench/ceiling -c Release --verbosity quiet -nologo >/dev/null
fi
[ -d .demo/sysfs ] || dotnet run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release -- .demo/sysfs >/dev/null
[ -f .demo/images/ubuntu-hpc-base.img ] || dotnet run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release -- --base-image .demo/images/ubuntu-hpc-base.img >/dev/null
for a in $(seq 10 73) 200; do
  if (exec 3<>/dev/tcp/127.0.0.$a/$PORT) 2>/dev/null; then echo "error: 127.0.0.$a:$PORT is in use (set BENCH_PORT)" >&2; exit 1; fi
done

rm -rf "$W" && mkdir -p "$W/tls" "$W/ceiling"
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
# take their own paths: a token or an Authorization header is always checked first).
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
# wait_200 URL [TRIES]: polls with curl (bounded: TRIES attempts, 0.5 s each at most); prints nothing, fails on timeout.
wait_200() {
  local url=$1 tries=${2:-3000}
  for _ in $(seq "$tries"); do
    [ "$(curl -sk -o /dev/null -w '%{http_code}' --max-time 0.5 "$url" 2>/dev/null)" = 200 ] && return 0
  done
  return 1
}
rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

# start_vbmc CONFIG LOG: starts the server, waits for the first 200 on slot0's service root; sets VBMC_PID and START_MS.
start_vbmc() {
  local t0; t0=$(now_ms)
  dotnet "$SERVER_DLL" serve --config "$1" --log-level warning >"$2" 2>&1 &
  VBMC_PID=$!; PIDS+=("$VBMC_PID")
  wait_200 "https://127.0.0.10:$PORT/redfish/v1" || { echo "error: server did not answer; log:" >&2; tail -20 "$2" >&2; exit 1; }
  START_MS=$(( $(now_ms) - t0 ))
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# run_wrk KEY CONNS THREADS URL [wrk args...]: warm-up, then the measured run; records rps, p50, p99 (ms), bad (non-2xx/3xx + socket errors).
# RUN_SECONDS overrides the measured duration (the 256-connection runs take longer: see README).
run_wrk() {
  local key=$1 conns=$2 threads=$3 url=$4; shift 4
  wrk -t"$threads" -c"$conns" -d"${WARM}s" "$@" "$url" >/dev/null 2>&1 || true
  local out=$W/wrk-$key.txt
  echo "load $(load)" >"$out"
  wrk -t"$threads" -c"$conns" -d"${RUN_SECONDS:-$DUR}s" --timeout 5s --latency "$@" "$url" >>"$out" 2>&1 || true
  awk -v key="$key" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; if (v ~ /m$/) return v * 60000; return v }
    /^load / { load = $2 " " $3 " " $4 }
    /Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /Socket errors:/ { gsub(",", ""); bad += $4 + $6 + $8 + $10 }
    END { printf "%s.rps\t%.0f\n%s.p50\t%.3f\n%s.p99\t%.3f\n%s.bad\t%d\n%s.load\t%s\n", key, rps, key, p50, key, p99, key, bad, key, load }' "$out" >>"$RESULTS"
  log "$key: $(get "$key.rps") req/s, p50 $(get "$key.p50") ms, p99 $(get "$key.p99") ms, bad $(get "$key.bad") (load $(get "$key.load"))"
}

PATHS=(root:/redfish/v1 systems:/redfish/v1/Systems system:/redfish/v1/Systems/slot0)

# The ceiling runs beside the product (idle while the product is measured) and each ceiling run is made right before
# the product runs it is compared with: the load of this machine drifts, so a ratio only means something this way.
start_ceiling() {
  local t0; t0=$(now_ms)
  dotnet "$CEILING_DLL" "$W/tls/cert.pem" "$W/tls/key.pem" $CEILING_ADDR "$PORT" "$W/ceiling" >"$W/ceiling.log" 2>&1 &
  CEIL_PID=$!; PIDS+=("$CEIL_PID")
  wait_200 "https://$CEILING_ADDR:$PORT/redfish/v1" || { echo "error: ceiling did not start" >&2; cat "$W/ceiling.log" >&2; exit 1; }
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
put idle.demo.anon "$(awk '$1 == "Anonymous:" { print $2 }' "/proc/$VBMC_PID/smaps_rollup")"; put idle.demo.pss "$(awk '$1 == "Pss:" { print $2 }' "/proc/$VBMC_PID/smaps_rollup")"
put ceil.idle.anon "$(awk '$1 == "Anonymous:" { print $2 }' "/proc/$CEIL_PID/smaps_rollup")"; put ceil.idle.kb "$(rss_kb "$CEIL_PID" VmRSS)"
for p in "${PATHS[@]}"; do
  for c in 1 16; do
    run_wrk "ceil.${p%%:*}.c$c" "$c" 1 "https://$CEILING_ADDR:$PORT${p#*:}" -H "$BASIC"
    run_wrk "vbmc.${p%%:*}.c$c.none" "$c" 1 "https://127.0.0.10:$PORT${p#*:}"
    run_wrk "vbmc.${p%%:*}.c$c.basic" "$c" 1 "https://127.0.0.10:$PORT${p#*:}" -H "$BASIC"
    run_wrk "vbmc.${p%%:*}.c$c.session" "$c" 1 "https://127.0.0.10:$PORT${p#*:}" -H "$SESSION"
  done
done
log "Reset POST latency (ForceRestart on slot0, one connection)"
run_wrk vbmc.reset.c1.basic 1 1 "https://127.0.0.10:$PORT/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset" -H "$BASIC" -s bench/lua/reset.lua
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
stop_pid "$VBMC_PID"
stop_pid "$CEIL_PID"

# ---------------------------------------------------------------------------------------------------- start-up
log "start-up to first 200: 8 slots, 3 starts (median), each followed by a start of the ceiling"
starts=() ceils=()
for _ in 1 2 3; do
  start_vbmc "$HOST8" "$W/serve-small8.log"; starts+=("$START_MS"); stop_pid "$VBMC_PID"
  start_ceiling; ceils+=("$CEIL_START_MS"); stop_pid "$CEIL_PID"
done
put start.ms "$(printf '%s\n' "${starts[@]}" | sort -n | sed -n 2p)"; put start.all "${starts[*]}"; put start.load "$(load)"
put ceil.start.ms "$(printf '%s\n' "${ceils[@]}" | sort -n | sed -n 2p)"
log "start-up: ${starts[*]} ms (ceiling ${ceils[*]} ms)"

log "validation of the dense fixture (validate --timings, 3 runs, last one kept)"
for _ in 1 2 3; do
  t0=$(now_ms); dotnet "$SERVER_DLL" validate --config "$DEMO_HOST" --timings >/dev/null 2>"$W/validate.err" || true; t1=$(now_ms)
done
put validate.wall "$((t1 - t0))"
put validate.inproc "$(awk '/^timings:/ { gsub("ms,?", ""); printf "%.1f", $4 + $6 }' "$W/validate.err")"
put validate.detail "$(grep '^timings:' "$W/validate.err" | sed 's/^timings: //')"
put validate.load "$(load)"

# ---------------------------------------------------------------------------------------------------- audit page
log "audit page of the 64-VF node: 2 NUMA nodes, 8 GPUs, 64 VFs (validate --html --timings, 3 runs, last one kept)"
dotnet run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release -- --large "$W/large" >/dev/null
for _ in 1 2 3; do
  t0=$(now_ms); dotnet "$SERVER_DLL" validate --config "$W/large/host.yaml" --html "$W/large.html" --timings >/dev/null 2>"$W/large.err" || true; t1=$(now_ms)
done
put html.render "$(awk '/^timings:/ { for (i = 1; i < NF; i++) if ($i == "html") { print $(i + 1); exit } }' "$W/large.err")"
put html.bytes "$(stat -c %s "$W/large.html" 2>/dev/null || echo -)"
put html.wall "$((t1 - t0))"
put html.load "$(load)"
log "audit page: render $(get html.render) ms in process ($(get html.bytes) bytes), whole validate --html $(get html.wall) ms"

# ---------------------------------------------------------------------------------------------------- table
r() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.0f %%", 100 * a / b }'; }
ok() { if awk "BEGIN { exit !($1) }"; then echo "**met**"; else echo "**MISSED**"; fi; }
{
  echo "## OpenCHAMI Virtual BMC benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, wrk on the same machine"
  echo
  echo "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') · ${DUR}s per run after ${WARM}s warm-up · HTTPS keep-alive on loopback · load average (1/5/15 min) recorded with each run"
  echo
  echo "| scenario | conns | auth | req/s | p50 ms | p99 ms | non-2xx | ceiling req/s | ratio req/s | ratio p50 | ratio p99 | load | target | verdict |"
  echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"
  for p in "${PATHS[@]}"; do
    name=${p%%:*}
    for c in 1 16; do
      ck=ceil.$name.c$c
      for a in none basic session; do
        k=vbmc.$name.c$c.$a
        target="" verdict=""
        if [ "$name.$c.$a" = system.16.basic ]; then
          target="≥ 15000/s, p99 ≤ 5 ms, ≥ 50 % ceiling"
          verdict=$(ok "$(get $k.rps) >= 15000 && $(get $k.p99) <= 5 && $(get $k.rps) >= 0.5 * $(get $ck.rps)")
        fi
        echo "| GET ${p#*:} | $c | $a | $(get $k.rps) | $(get $k.p50) | $(get $k.p99) | $(get $k.bad) | $(get $ck.rps) | $(pct "$(get $k.rps)" "$(get $ck.rps)") | $(r "$(get $k.p50)" "$(get $ck.p50)") | $(r "$(get $k.p99)" "$(get $ck.p99)") | $(get $k.load) | $target | $verdict |"
      done
    done
  done
  k=vbmc.spread64.c256.basic ck=ceil.spread64.c256
  echo "| GET Systems/slotN, 64 endpoints (${LONG}s) | 256 | basic | $(get $k.rps) | $(get $k.p50) | $(get $k.p99) | $(get $k.bad) | $(get $ck.rps) | $(pct "$(get $k.rps)" "$(get $ck.rps)") | $(r "$(get $k.p50)" "$(get $ck.p50)") | $(r "$(get $k.p99)" "$(get $ck.p99)") | $(get $k.load) | | |"
  k=vbmc.reset.c1.basic
  echo "| POST ComputerSystem.Reset (ForceRestart, test driver) | 1 | basic | $(get $k.rps) | $(get $k.p50) | $(get $k.p99) | $(get $k.bad) | (GET $(get ceil.system.c1.p50) ms) | | $(r "$(get $k.p50)" "$(get ceil.system.c1.p50)") | | $(get $k.load) | p50 ≤ 2 ms | $(ok "$(get $k.p50) <= 2") |"
  echo
  echo "| figure | value | ceiling | ratio | load | target | verdict |"
  echo "| --- | ---: | ---: | ---: | --- | --- | --- |"
  echo "| process start → first 200 on /redfish/v1, 8 slots (median of $(get start.all) ms) | $(get start.ms) ms | $(get ceil.start.ms) ms | $(r "$(get start.ms)" "$(get ceil.start.ms)") | $(get start.load) | ≤ 1000 ms | $(ok "$(get start.ms) <= 1000") |"
  echo "| idle RSS, demo config (4 slots) | $(mb "$(get idle.demo.kb)") MB | $(mb "$(get ceil.idle.kb)") MB | $(r "$(get idle.demo.kb)" "$(get ceil.idle.kb)") | $(get idle.demo.load) | ≤ 80 MB | $(ok "$(get idle.demo.kb) <= 80 * 1024") |"
  echo "| idle, demo config: PSS / private anonymous (RSS counts shared DLL pages) | $(mb "$(get idle.demo.pss)") / $(mb "$(get idle.demo.anon)") MB | – / $(mb "$(get ceil.idle.anon)") MB | | | | |"
  echo "| idle RSS, 64 slots | $(mb "$(get idle.64.kb)") MB | $(mb "$(get ceil.idle.kb)") MB | $(r "$(get idle.64.kb)" "$(get ceil.idle.kb)") | $(get peak.64.load) | ≤ 80 MB | $(ok "$(get idle.64.kb) <= 80 * 1024") |"
  echo "| peak RSS (VmHWM), demo config after its runs | $(mb "$(get peak.demo.kb)") MB | | | | | |"
  echo "| peak RSS (VmHWM), 64-slot load | $(mb "$(get peak.64.kb)") MB | $(mb "$(get ceil.peak.kb)") MB | $(r "$(get peak.64.kb)" "$(get ceil.peak.kb)") | $(get peak.64.load) | ≤ 200 MB | $(ok "$(get peak.64.kb) <= 200 * 1024") |"
  echo "| validate the dense fixture: in process (read host + validate) | $(get validate.inproc) ms | | | $(get validate.load) | | |"
  echo "| validate the dense fixture: whole process (\`validate --timings\`) | $(get validate.wall) ms | | | | | |"
  echo "| audit page (\`validate --html\`) of the 64-VF node (2 NUMA nodes, 8 GPUs, 64 VFs): render, in process | $(get html.render) ms | | | $(get html.load) | < 1000 ms | $(ok "$(get html.render) < 1000") |"
  echo "| the same: whole \`validate --html\` process ($(get html.bytes) bytes written) | $(get html.wall) ms | | | | | |"
  bad=$(awk -F'\t' '$1 ~ /^vbmc\..*\.bad$/ { s += $2 } END { print s + 0 }' "$RESULTS")
  echo "| non-2xx responses (and socket errors), all product runs | $bad | | | | 0 | $(ok "$bad == 0") |"
  echo
  echo "Ratios: req/s as a share of the ceiling, latency as a multiple of it. Ceiling = bare Kestrel on one endpoint, same TLS"
  echo "settings and certificate, answering the captured bytes and headers of the same resource (the 64-endpoint row's ceiling"
  echo "is the same 256 connections on that one endpoint; the Reset row compares with the ceiling's 1-connection GET)."
} | tee "$W/results.md"
