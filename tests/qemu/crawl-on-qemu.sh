#!/usr/bin/env bash
# The client contract's §7 crawl and PCS sequences (tests/clients/crawl_replay.py, every phase it runs for the demo)
# against the real product binary serving a slot backed by a real QEMU guest: Magellan's scan and crawl, then PCS's
# polls and resets (ForceOff, On, GracefulShutdown through the guest's ACPI handler, GracefulRestart, the PCS operation
# table), each confirmed by polling the BMC.
#
#   tests/qemu/crawl-on-qemu.sh [RESULTS_DIR]
#
# Needs what the QEMU tier sets up (tests/qemu/run-tier.sh runs this after its dotnet tests): libvirtd answering on
# qemu:///system (start-libvirtd.sh) and the guest (build-guest.sh: $VBMC_QEMU_GUEST/disk.img). It writes, in a temp dir,
# a node type with two tiny BIOS slots (1 core, 1 GiB, no host devices, a virtio NIC on a bridge this script creates
# and deletes), a local image catalog listing disk.img (raw, SHA-256 computed here) as slot0's image, accounts made with
# `openchami-vbmc hash-password` (admin: Administrator, for the crawl; pcs: Operator, for Phase D), and a host file:
# qemu:///system, domainType qemu, its own domain prefix, state directory and serial console log directory
# (libvirt.serialLogDirectory), HTTPS with a generated self-signed pair, slot0 on ${ADDRESS_BASE}0 and slot1 (diskless,
# never powered on: the second identity the crawl's step 29 compares with) on ${ADDRESS_BASE}1, one free port. Then it
# runs `openchami-vbmc serve` (the Release build, tests/lib/server.sh) and the crawl, whose VBMC_CRAWL_AFTER_ON_CMD waits
# for the guest's VBMC-READY line (wait-guest-ready.sh): the guest ignores the ACPI button until its init has started
# acpid, and PCS would only ForceOff such a guest after 5 minutes.
#
# Prints PASS/FAIL lines and "N passed, N failed"; with RESULTS_DIR, writes RESULTS_DIR/crawl_replay_qemu.txt,
# RESULTS_DIR/qemu_guest_console.txt and RESULTS_DIR/summary.txt (counted by .ci/trx-summary). Exit status non-zero on
# any failure. On exit it stops the server, destroys and undefines its two domains and deletes its bridge; libvirtd is
# left as it was. Environment: VBMC_QEMU_STATE, VBMC_QEMU_GUEST (as the tier), VBMC_QEMU_CRAWL_ADDRESS_BASE (default
# 127.0.0.5: slots on …50 and …51), VBMC_NO_BUILD=1 (reuse the Release build), KEEP_WORK=1 (keep the temp dir: server
# log, console log, configuration).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RESULTS_DIR=${1:-}
[ -z "$RESULTS_DIR" ] || RESULTS_DIR=$(mkdir -p "$RESULTS_DIR" && cd "$RESULTS_DIR" && pwd) || exit 1
STATE=${VBMC_QEMU_STATE:-/var/tmp/vbmc-qemu}
GUEST=${VBMC_QEMU_GUEST:-$STATE/guest}
ADDRESS_BASE=${VBMC_QEMU_CRAWL_ADDRESS_BASE:-127.0.0.5}
URI=qemu:///system
PY=/usr/bin/python3
SUITE=crawl_replay_qemu

VBMC_LOG_NAME=crawl-on-qemu
# shellcheck source=../lib/server.sh
. "$REPO/tests/lib/server.sh"
log() { vbmc_log "$@"; }
give_up() {
  echo "FAIL $SUITE: $*"
  VBMC_PASSED=0 VBMC_FAILED=1
  vbmc_summary "$RESULTS_DIR"
  exit 1
}
virsh_q() { timeout 60 virsh -c "$URI" "$@"; }
t0=$(date +%s.%N)
elapsed() { awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# --- prerequisites, build ----------------------------------------------------------------------------------
[ -f "$GUEST/disk.img" ] || give_up "no guest disk $GUEST/disk.img (tests/qemu/build-guest.sh $GUEST)"
virsh_q version >/dev/null 2>&1 || give_up "libvirtd does not answer on $URI (tests/qemu/start-libvirtd.sh)"
vbmc_install_packages curl python3 || give_up "cannot install curl and python3"
cd "$REPO"
vbmc_build_server || give_up "the Release build failed"
log "build done at $(elapsed) s"

# --- the node: temp dir, bridge, configuration --------------------------------------------------------------
WORK=$(mktemp -d /tmp/vbmc-qemu-crawl.XXXXXX)
RAND=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
PREFIX=crawl$RAND-               # libvirt domain names: ${PREFIX}slot0, ${PREFIX}slot1
BRIDGE=vbmccr${RAND:0:6}         # at most 15 characters
CONSOLE=$WORK/console/${PREFIX}slot0.serial.log
bridge_made=0
cleanup() {
  vbmc_stop_server
  local slot
  for slot in slot0 slot1; do
    if virsh_q domstate "$PREFIX$slot" >/dev/null 2>&1; then
      virsh_q destroy "$PREFIX$slot" >/dev/null 2>&1
      virsh_q undefine "$PREFIX$slot" >/dev/null 2>&1 || log "could not undefine $PREFIX$slot"
    fi
  done
  if (( bridge_made )); then ip link del "$BRIDGE" 2>/dev/null || log "could not delete bridge $BRIDGE"; fi
  if [ -n "${KEEP_WORK:-}" ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM   # exit runs the EXIT trap

# The slot's virtio NIC (the System's EthernetInterface with its planned IPv4, crawl step 9) needs a host bridge at
# power-on; an isolated one of our own, no uplink, no address.
ip link add "$BRIDGE" type bridge 2>"$WORK/bridge.err" || give_up "cannot create bridge $BRIDGE: $(cat "$WORK/bridge.err")"
bridge_made=1

PORT=$("$PY" -c 'import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "${ADDRESS_BASE}0") || give_up "no free port on ${ADDRESS_BASE}0"
ADMIN_PASSWORD=crawl-admin-$RANDOM$RANDOM
PCS_PASSWORD=crawl-pcs-$RANDOM$RANDOM
ADMIN_HASH=$(vbmc_hash_password "$ADMIN_PASSWORD") && PCS_HASH=$(vbmc_hash_password "$PCS_PASSWORD") \
  || give_up "openchami-vbmc hash-password failed"
DISK_SHA=$(sha256sum "$GUEST/disk.img" | cut -d' ' -f1)

cat >"$WORK/node.yaml" <<EOF
nodeType: qemu-crawl-node
description: Two tiny TCG slots for tests/qemu/crawl-on-qemu.sh; slot0 boots the tier's guest disk
vmSlots:
- name: slot0
  image: tier-disk
  firmware: bios
  cpu:
    cores: 1
    numaPolicy: none
  memory:
    sizeGiB: 1
  networks:
  - name: mgmt0
    bridge: $BRIDGE
- name: slot1
  image: ""
  firmware: bios
  cpu:
    cores: 1
    numaPolicy: none
  memory:
    sizeGiB: 1
  networks:
  - name: mgmt0
    bridge: $BRIDGE
EOF
cat >"$WORK/images.yaml" <<EOF
images:
- name: tier-disk
  path: $GUEST/disk.img
  format: raw
  sha256: "$DISK_SHA"
EOF
cat >"$WORK/accounts.yaml" <<EOF
accounts:
- userName: admin
  role: Administrator
  passwordHash: "$ADMIN_HASH"
- userName: pcs
  role: Operator
  passwordHash: "$PCS_HASH"
EOF
cat >"$WORK/host.yaml" <<EOF
hostId: crawl-qemu-$RAND
nodeType: node.yaml
stateDirectory: state
libvirt:
  uri: $URI
  domainType: qemu
  domainPrefix: $PREFIX
  serialLogDirectory: console
images:
  catalog: images.yaml
accountsFile: accounts.yaml
tls:
  certificate: tls/cert.pem
  key: tls/key.pem
  generateSelfSigned: true
security:
  auditLog: audit.jsonl
slots:
- name: slot0
  bmc:
    address: ${ADDRESS_BASE}0
    port: $PORT
  ipv4:
  - interface: mgmt0
    address: 10.254.0.10/24
- name: slot1
  bmc:
    address: ${ADDRESS_BASE}1
    port: $PORT
  ipv4:
  - interface: mgmt0
    address: 10.254.0.11/24
EOF

# --- serve ---------------------------------------------------------------------------------------------------
log "starting openchami-vbmc on ${ADDRESS_BASE}0-1:$PORT, domains ${PREFIX}slot0/1 (log $WORK/server.log)"
vbmc_start_server "$WORK/host.yaml" "$WORK/server.log"
SERVER_PID=$VBMC_SERVER_PID
if ! vbmc_wait_for_server "$WORK/tls/cert.pem" "https://${ADDRESS_BASE}0:$PORT" "https://${ADDRESS_BASE}1:$PORT"; then
  log "the server did not answer within 60 s; its log:"; cat "$WORK/server.log" >&2
  give_up "openchami-vbmc serve did not answer"
fi
log "serving at $(elapsed) s"

# --- the crawl, then what the guest's console says ---------------------------------------------------------------
export VBMC_HOST=${ADDRESS_BASE}0 VBMC_HOST_SLOT1=${ADDRESS_BASE}1 VBMC_PORT=$PORT
export VBMC_URL=https://$VBMC_HOST:$PORT VBMC_CACERT=$WORK/tls/cert.pem
export VBMC_USER=admin VBMC_PASSWORD=$ADMIN_PASSWORD VBMC_PCS_USER=pcs VBMC_PCS_PASSWORD=$PCS_PASSWORD
export VBMC_CRAWL_AFTER_ON_CMD="bash '$HERE/wait-guest-ready.sh' '$CONSOLE'"
crawl_start=$(date +%s.%N)
vbmc_run_suite "$WORK" "$RESULTS_DIR" "$SUITE" "$PY" "$REPO/tests/clients/crawl_replay.py"
crawl_seconds=$(awk -v s="$crawl_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

# The crawl leaves slot0 on, booted by its last On: the console (emptied at that power-on) is that boot's.
guest_console() {
  local serial
  bash "$HERE/wait-guest-ready.sh" "$CONSOLE" 1 120 >/dev/null || echo "FAIL console_guest_ready: no VBMC-READY line"
  serial=$(curl -sf --cacert "$VBMC_CACERT" -u "admin:$ADMIN_PASSWORD" "$VBMC_URL/redfish/v1/Systems/slot0" \
    | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["SerialNumber"])')
  if grep -q 'VBMC-MARKER: VBMC-BOOTED-FROM-DISK' "$CONSOLE" 2>/dev/null; then
    echo "PASS console_booted_from_the_catalog_disk"
  else
    echo "FAIL console_booted_from_the_catalog_disk: no VBMC-BOOTED-FROM-DISK marker in $CONSOLE"
  fi
  if [ -n "$serial" ] && grep -q "VBMC-PRODUCT-SERIAL: $serial" "$CONSOLE" 2>/dev/null; then
    echo "PASS console_smbios_serial_is_the_systems_SerialNumber ($serial)"
  else
    echo "FAIL console_smbios_serial_is_the_systems_SerialNumber: System says '$serial', console: $(grep -a 'VBMC-PRODUCT-SERIAL' "$CONSOLE" | tr -d '\r')"
  fi
  if grep -q 'VBMC-DISK-STAMP-WRITTEN: stamp-' "$CONSOLE" 2>/dev/null; then
    echo "PASS console_root_overlay_is_writable"
  else
    echo "FAIL console_root_overlay_is_writable: $(grep -a 'VBMC-DISK-STAMP' "$CONSOLE" | tr -d '\r' | tr '\n' ' ')"
  fi
}
vbmc_run_suite "$WORK" "$RESULTS_DIR" qemu_guest_console guest_console

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "FAIL server: exited during the crawl"; VBMC_FAILED=$((VBMC_FAILED + 1))
fi
if [ "$VBMC_FAILED" -gt 0 ]; then
  log "server log tail:"; tail -30 "$WORK/server.log" >&2
  log "console tail:"; tail -15 "$CONSOLE" 2>/dev/null | tr -d '\r' >&2
fi
# Timings, also for run-tier.sh's "measured figures" ($VBMC_QEMU_STATE/metrics.txt).
waits=$(sed -n 's/^NOTE after On, boot [0-9]*: guest ready \([0-9.]*\) s later.*/\1/p' "$WORK/$SUITE.out" \
  | awk 'NR == 1 { min = max = $1 } { n++; sum += $1; if ($1 < min) min = $1; if ($1 > max) max = $1 }
         END { if (n) printf "%d boots, ready %.1f-%.1f s (mean %.1f s) after On was seen", n, min, max, sum / n; else printf "no boots" }')
log "crawl_replay.py took $crawl_seconds s ($waits); total $(elapsed) s"
{
  echo "$(date -u +%FT%TZ) crawl-on-qemu: crawl_replay.py against serve + QEMU: $crawl_seconds s"
  echo "$(date -u +%FT%TZ) crawl-on-qemu: guest waits: $waits"
} >>"$STATE/metrics.txt" 2>/dev/null
vbmc_summary "$RESULTS_DIR"
