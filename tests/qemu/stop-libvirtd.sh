#!/usr/bin/env bash
# Stops the libvirtd that start-libvirtd.sh started (pid file in STATE_DIR): SIGTERM, bounded wait, then SIGKILL.
# Running QEMU guests are left to libvirt's own shutdown (the tests destroy theirs). Idempotent.
# Usage: stop-libvirtd.sh [STATE_DIR]
set -euo pipefail
trap 'echo "stop-libvirtd.sh: FAILED at line $LINENO" >&2' ERR

STATE="${1:-${VBMC_QEMU_STATE:-/var/tmp/vbmc-qemu}}"
PIDFILE="$STATE/libvirtd.pid"
if [[ ! -f "$PIDFILE" ]]; then
  echo "stop-libvirtd: no pid file ($PIDFILE); nothing to stop"
  exit 0
fi
pid=$(cat "$PIDFILE")
if ! kill -0 "$pid" 2>/dev/null; then
  echo "stop-libvirtd: libvirtd $pid is not running"
  rm -f "$PIDFILE"
  exit 0
fi
kill -TERM "$pid"
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "stop-libvirtd: libvirtd $pid ignored SIGTERM for 10 s; SIGKILL" >&2
  kill -KILL "$pid" || true
fi
rm -f "$PIDFILE"
echo "stop-libvirtd: stopped libvirtd $pid"
