#!/usr/bin/env bash
# Starts libvirtd by hand (no systemd on these machines) for the QEMU tier, or reuses one that answers.
#   - writes /etc/libvirt/qemu.conf for running QEMU as root without virtlogd (the original is kept as qemu.conf.vbmc-orig)
#   - libvirtd --daemon --pid-file STATE/libvirtd.pid, log in STATE/libvirtd.log
#   - waits (bounded, VBMC_LIBVIRTD_TIMEOUT seconds, default 120: the first QEMU capability probe can take a minute)
#     until `virsh -c qemu:///system version` answers.
# Usage: start-libvirtd.sh [STATE_DIR]   (default: $VBMC_QEMU_STATE or /var/tmp/vbmc-qemu)
set -euo pipefail
trap 'echo "start-libvirtd.sh: FAILED at line $LINENO" >&2' ERR

STATE="${1:-${VBMC_QEMU_STATE:-/var/tmp/vbmc-qemu}}"
TIMEOUT="${VBMC_LIBVIRTD_TIMEOUT:-120}"
mkdir -p "$STATE"
PIDFILE="$STATE/libvirtd.pid"
LOG="$STATE/libvirtd.log"
[[ -x /usr/sbin/libvirtd ]] || { echo "start-libvirtd: /usr/sbin/libvirtd missing; run install-deps.sh" >&2; exit 1; }

answers() { timeout 20 virsh -c qemu:///system version >/dev/null 2>&1; }

# libvirt 9.0 resolves its built-in QEMU user/group (libvirt-qemu) before it reads qemu.conf; libvirt-daemon-system
# would create them, this tier does not install it.
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu

CONF=/etc/libvirt/qemu.conf
WANT=$'# Written by tests/qemu/start-libvirtd.sh (OpenCHAMI Virtual BMC QEMU tier)\nuser = "root"\ngroup = "root"\nremember_owner = 0\nstdio_handler = "file"\n'
if [[ "$(cat "$CONF" 2>/dev/null)"$'\n' != "$WANT" ]]; then
  if [[ -f "$CONF" && ! -f "$CONF.vbmc-orig" ]]; then cp -p "$CONF" "$CONF.vbmc-orig"; fi
  printf '%s' "$WANT" > "$CONF"
  # A daemon started with another qemu.conf must be restarted to pick this one up.
  if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "start-libvirtd: qemu.conf changed; restarting our libvirtd"
    "$(dirname "$0")/stop-libvirtd.sh" "$STATE"
  fi
fi

if answers; then
  echo "start-libvirtd: libvirtd already answers on qemu:///system (reused)"
  exit 0
fi
if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "start-libvirtd: libvirtd $(cat "$PIDFILE") runs but does not answer yet; waiting"
else
  rm -f "$PIDFILE"
  mkdir -p /run/libvirt /var/lib/libvirt/qemu /var/log/libvirt/qemu
  start=$(date +%s.%N)
  # Own session, no controlling terminal, stdio to the log: it outlives this script and the test run's shell.
  LIBVIRT_LOG_OUTPUTS="3:file:$LOG" setsid /usr/sbin/libvirtd --pid-file "$PIDFILE" </dev/null >>"$LOG" 2>&1 &
  echo $! > "$PIDFILE.spawned"
fi
start=${start:-$(date +%s.%N)}
deadline=$(( $(date +%s) + TIMEOUT ))
until answers; do
  if (( $(date +%s) >= deadline )); then
    echo "start-libvirtd: libvirtd did not answer within ${TIMEOUT}s; last log lines:" >&2
    tail -n 30 "$LOG" >&2 || true
    exit 1
  fi
  if [[ -f "$PIDFILE.spawned" ]] && ! kill -0 "$(cat "$PIDFILE.spawned")" 2>/dev/null; then
    echo "start-libvirtd: libvirtd exited; last log lines:" >&2
    tail -n 30 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.2
done
end=$(date +%s.%N)
rm -f "$PIDFILE.spawned"
awk -v s="$start" -v e="$end" -v p="$(cat "$PIDFILE" 2>/dev/null)" 'BEGIN { printf "start-libvirtd: libvirtd (pid %s) answers after %.1f s\n", p, e - s }'
