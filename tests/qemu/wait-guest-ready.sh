#!/usr/bin/env bash
# Waits until the tier's guest is ready for the next power action: its serial console log (libvirt <log append='off'>,
# emptied at each power-on) holds at least BOOT "VBMC-READY" lines. The guest prints one per boot once acpid holds the
# ACPI power button (tests/qemu/build-guest.sh); a reboot in the same QEMU process adds a line to the same log.
#
#   tests/qemu/wait-guest-ready.sh LOG [BOOT] [TIMEOUT_SECONDS]
#
# BOOT defaults to $VBMC_CRAWL_BOOT (set by tests/clients/crawl_replay.py for its VBMC_CRAWL_AFTER_ON_CMD), else 1;
# TIMEOUT to 120 s. Prints one line when ready; on timeout, the log's tail on stderr and exit 1.
set -uo pipefail
log=${1:?usage: wait-guest-ready.sh LOG [BOOT] [TIMEOUT_SECONDS]}
boot=${2:-${VBMC_CRAWL_BOOT:-1}}
timeout=${3:-120}
start=$(date +%s.%N)
deadline=$(( $(date +%s) + timeout ))
ready=0
while :; do
  ready=$(grep -c 'VBMC-READY' "$log" 2>/dev/null) || ready=0
  if (( ready >= boot )); then
    awk -v s="$start" -v e="$(date +%s.%N)" -v b="$boot" -v l="$(grep 'VBMC-READY' "$log" | sed -n "${boot}p" | tr -d '\r')" \
      'BEGIN { printf "boot %d ready after %.1f s of waiting: %s\n", b, e - s, l }'
    exit 0
  fi
  if (( $(date +%s) >= deadline )); then
    echo "wait-guest-ready: $ready VBMC-READY line(s) in $log after ${timeout} s, wanted $boot; its tail:" >&2
    tail -n 15 "$log" 2>/dev/null | tr -d '\r' | sed 's/^/    /' >&2
    exit 1
  fi
  sleep 0.2
done
