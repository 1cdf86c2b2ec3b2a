#!/usr/bin/env bash
# The QEMU test tier in one command: install-deps -> build-guest -> start-libvirtd -> dotnet test (VBMC_QEMU_TIER=required)
# -> crawl-on-qemu.sh (the contract's crawl and PCS sequences against `openchami-vbmc serve` with a QEMU-backed slot)
# -> stop-libvirtd (always, via trap, when this script started it). Exits non-zero on any failure.
# Usage: tests/qemu/run-tier.sh [RESULTS_DIR]   (default: TestResults; TRX in there, the crawl's PASS/FAIL lines and
# summary.txt in RESULTS_DIR/crawl-on-qemu)
# Environment: VBMC_QEMU_STATE (default /var/tmp/vbmc-qemu) holds the kernel .deb, the guest, libvirtd's pid/log, metrics.
set -euo pipefail
trap 'echo "run-tier.sh: FAILED at line $LINENO" >&2' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RESULTS="${1:-TestResults}"
export VBMC_QEMU_STATE="${VBMC_QEMU_STATE:-/var/tmp/vbmc-qemu}"
export VBMC_QEMU_GUEST="${VBMC_QEMU_GUEST:-$VBMC_QEMU_STATE/guest}"
export VBMC_QEMU_TIER=required
mkdir -p "$VBMC_QEMU_STATE"
t0=$(date +%s.%N)
phase() { awk -v s="$t0" -v e="$(date +%s.%N)" -v p="$1" 'BEGIN { printf "run-tier: %-14s done at %6.1f s\n", p, e - s }'; }

"$HERE/install-deps.sh" "$VBMC_QEMU_STATE"; phase install-deps
t1=$(date +%s.%N)
"$HERE/build-guest.sh" "$VBMC_QEMU_GUEST" "$VBMC_QEMU_STATE"; phase build-guest

started_here=0
if ! timeout 20 virsh -c qemu:///system version >/dev/null 2>&1; then started_here=1; fi
cleanup() {
  local rc=$?
  if (( started_here )); then "$HERE/stop-libvirtd.sh" "$VBMC_QEMU_STATE" || rc=1; fi
  awk -v s="$t0" -v m="$t1" -v e="$(date +%s.%N)" 'BEGIN { printf "run-tier: wall time %.1f s (%.1f s without install-deps)\n", e - s, e - m }'
  exit $rc
}
trap cleanup EXIT
"$HERE/start-libvirtd.sh" "$VBMC_QEMU_STATE"; phase start-libvirtd

rm -f "$VBMC_QEMU_STATE/metrics.txt"
cd "$ROOT"
status=0
dotnet test tests/OpenChami.VirtualBmc.Qemu.Tests --logger trx --logger "console;verbosity=normal" --results-directory "$RESULTS" || status=1
phase dotnet-test
"$HERE/crawl-on-qemu.sh" "$RESULTS/crawl-on-qemu" || status=1
phase crawl-on-qemu
if [[ -f "$VBMC_QEMU_STATE/metrics.txt" ]]; then
  echo "run-tier: measured figures:"
  awk '{ $1 = ""; print "  " $0 }' "$VBMC_QEMU_STATE/metrics.txt"
fi
exit $status
