#!/usr/bin/env bash
# Real, unmodified Redfish clients against a running openchami-vbmc on a copy of the demo configuration.
#
#   tests/clients/run-clients.sh [RESULTS_DIR]
#
# Installs python3-sushy, redfishtool, ansible, curl and jq with apt-get when missing, builds the server, starts it on
# 127.0.0.20-23:18443 (its own TLS pair, audit file and accounts in a temp dir), runs every client suite and
# prints one line "N passed, N failed". Exit status is non-zero on any failure. With RESULTS_DIR, each suite's
# PASS/FAIL lines are also written to RESULTS_DIR/<suite>.txt.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RESULTS_DIR=${1:-}
ADDRESS_BASE=${VBMC_CLIENTS_ADDRESS_BASE:-127.0.0.2}   # slots on ${ADDRESS_BASE}0 .. ${ADDRESS_BASE}3
PORT=${VBMC_CLIENTS_PORT:-18443}
ADMIN_PORT=${VBMC_CLIENTS_ADMIN_PORT:-19180}          # not the demo's 9180: the tier runs beside `make demo`
PY=/usr/bin/python3                                   # Debian's python, where python3-sushy lives

VBMC_LOG_NAME=run-clients
# shellcheck source=../lib/server.sh
. "$REPO/tests/lib/server.sh"
log() { vbmc_log "$@"; }
give_up() { echo "0 passed, 1 failed"; exit 1; }

# --- packages, build and fixture ---------------------------------------------------------------------------
vbmc_install_packages python3-sushy redfishtool curl jq ansible || give_up
cd "$REPO"
vbmc_build_server || give_up
vbmc_demo_fixture || give_up
SYSFS=$VBMC_SYSFS

# --- configuration: a copy of the demo on our own addresses, TLS pair, audit file --------------------------
WORK=$(mktemp -d /tmp/vbmc-clients.XXXXXX)
cleanup() {
  [ -n "${IMAGES_PID:-}" ] && kill "$IMAGES_PID" 2>/dev/null
  vbmc_stop_server
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM   # exit runs the EXIT trap

cp examples/demo/dense-gpu-hsn-node.yaml examples/demo/accounts.yaml "$WORK/"
sed -e "s|path: .*ubuntu-hpc-base.img|path: $VBMC_BASE_IMAGE|" examples/demo/images.yaml >"$WORK/images.yaml"
sed -e "s|port: 8443|port: $PORT|" \
    -e "s|port: 9180|port: $ADMIN_PORT|" \
    -e "s|stateDirectory: .*|stateDirectory: $WORK/state|" \
    -e "s|address: 127.0.0.1\([0-3]\)|address: ${ADDRESS_BASE}\1|" \
    -e "s|sysfsRoot: .*|sysfsRoot: $SYSFS|" \
    -e "s|\.\./\.\./\.demo/tls/|$WORK/tls/|" \
    -e "s|\.\./\.\./\.demo/audit.jsonl|$WORK/audit.jsonl|" \
    examples/demo/host.yaml >"$WORK/host.yaml"

# The image server the README's virtual-media lines name (make demo's is 127.0.0.1:8099): ours, on a free port.
mkdir -p "$WORK/www/demo-boot"
echo "OpenCHAMI Virtual BMC demo virtual media" >"$WORK/www/demo-boot/README.TXT"
xorriso -as mkisofs -quiet -V DEMOBOOT -o "$WORK/www/demo-boot.iso" "$WORK/www/demo-boot" || give_up
IMAGES_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$PY" -m http.server "$IMAGES_PORT" --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/images.log" 2>&1 &
IMAGES_PID=$!
export VBMC_IMAGE_SERVER=127.0.0.1:$IMAGES_PORT

log "starting openchami-vbmc on ${ADDRESS_BASE}0-3:$PORT (log $WORK/server.log)"
vbmc_start_server "$WORK/host.yaml" "$WORK/server.log"
SERVER_PID=$VBMC_SERVER_PID

export VBMC_HOST=${ADDRESS_BASE}0 VBMC_HOST_SLOT1=${ADDRESS_BASE}1 VBMC_HOST_SLOT2=${ADDRESS_BASE}2 VBMC_PORT=$PORT
export VBMC_URL=https://$VBMC_HOST:$PORT VBMC_CACERT=$WORK/tls/cert.pem VBMC_USER=admin VBMC_PASSWORD=vbmc-demo
if ! vbmc_wait_for_server "$VBMC_CACERT" "$VBMC_URL"; then
  log "the server did not answer /redfish/v1 within 60 s; its log:"
  cat "$WORK/server.log" >&2
  give_up
fi

# --- suites ----------------------------------------------------------------------------------------------
vbmc_run_suite "$WORK" "$RESULTS_DIR" curl_examples      bash "$HERE/curl_examples.sh"
vbmc_run_suite "$WORK" "$RESULTS_DIR" sushy_flow         "$PY" "$HERE/sushy_flow.py"
vbmc_run_suite "$WORK" "$RESULTS_DIR" redfishtool_flow   bash "$HERE/redfishtool_flow.sh"
vbmc_run_suite "$WORK" "$RESULTS_DIR" crawl_replay       "$PY" "$HERE/crawl_replay.py"
# Last: its ClearLogs empties the event log the others might read.
vbmc_run_suite "$WORK" "$RESULTS_DIR" ansible_flow       "$PY" "$HERE/ansible_flow.py"

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "FAIL server: exited during the client suites"; VBMC_FAILED=$((VBMC_FAILED + 1))
fi
if [ "$VBMC_FAILED" -gt 0 ]; then
  log "server log tail:"; tail -30 "$WORK/server.log" >&2
fi
vbmc_summary "$RESULTS_DIR"
