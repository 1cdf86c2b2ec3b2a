#!/usr/bin/env bash
# Builds the QEMU tier's tiny guest from Debian packages (see install-deps.sh):
#   OUTDIR/vmlinuz      the Debian cloud kernel (from the downloaded linux-image-*-cloud-amd64 .deb)
#   OUTDIR/initrd.gz    busybox initramfs: /init mounts proc/sys/dev, prints to ttyS0
#                         VBMC-MARKER: <vbmc.marker= from the kernel command line>
#                         VBMC-PRODUCT-SERIAL: <SMBIOS system serial>   (/sys/class/dmi/id/product_serial)
#                         VBMC-PRODUCT-NAME: <SMBIOS product name>
#                         VBMC-BOARD-SERIAL: <SMBIOS baseboard serial>
#                         VBMC-DISK-STAMP: <what the last sector of /dev/vda holds>, then writes a new stamp there
#                         VBMC-SEED-FILES / VBMC-SEED-META-DATA: the NoCloud seed (label cidata) when one is attached
#                         VBMC-READY, then a "vbmc-guest login: " prompt and a shell on ttyS0
#                       and powers off (poweroff -f) on the ACPI power button (busybox acpid + evdev.ko + button.ko).
#   OUTDIR/disk.img     hybrid ISO used as the slot's hard disk (MBR + isolinux), marker VBMC-BOOTED-FROM-DISK
#   OUTDIR/cd.iso       bootable CD (isolinux) with the same kernel+initramfs, marker VBMC-BOOTED-FROM-CD
# Outputs are cached: nothing is rebuilt while OUTDIR/inputs.sha256 matches the inputs (this script, the kernel
# .deb, busybox, isolinux). Usage: build-guest.sh OUTDIR [CACHE_DIR]
set -euo pipefail
trap 'echo "build-guest.sh: FAILED at line $LINENO" >&2' ERR

OUT="${1:?usage: build-guest.sh OUTDIR [CACHE_DIR]}"
STATE="${2:-${VBMC_QEMU_STATE:-/var/tmp/vbmc-qemu}}"
KDEB=$(find "$STATE/debs" -maxdepth 1 -name 'linux-image-*-cloud-amd64_*.deb' 2>/dev/null | sort | tail -n1)
[[ -n "$KDEB" ]] || { echo "build-guest: no kernel .deb in $STATE/debs; run install-deps.sh first" >&2; exit 1; }
BUSYBOX=/bin/busybox
ISOLINUX=/usr/lib/ISOLINUX/isolinux.bin
ISOHDPFX=/usr/lib/ISOLINUX/isohdpfx.bin
LDLINUX=/usr/lib/syslinux/modules/bios/ldlinux.c32
for f in "$BUSYBOX" "$ISOLINUX" "$ISOHDPFX" "$LDLINUX"; do
  [[ -e "$f" ]] || { echo "build-guest: $f missing; run install-deps.sh first" >&2; exit 1; }
done
command -v xorriso >/dev/null && command -v cpio >/dev/null || { echo "build-guest: xorriso/cpio missing" >&2; exit 1; }
file "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' \
  || { echo "build-guest: $BUSYBOX is not static (install busybox-static)" >&2; exit 1; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
inputs=$( { sha256sum "$0" "$KDEB" "$BUSYBOX" "$ISOLINUX" "$ISOHDPFX" "$LDLINUX" | awk '{print $1}'; } | sha256sum | awk '{print $1}')
if [[ -f "$OUT/inputs.sha256" && "$(cat "$OUT/inputs.sha256")" == "$inputs" ]] \
   && [[ -s "$OUT/vmlinuz" && -s "$OUT/initrd.gz" && -s "$OUT/cd.iso" && -s "$OUT/disk.img" ]]; then
  echo "build-guest: $OUT is up to date"
  exit 0
fi

start=$(date +%s.%N)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
dpkg-deb -x "$KDEB" "$WORK/kernel"
KVER=$(basename "$(find "$WORK/kernel/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n1)")
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$WORK/vmlinuz"

R="$WORK/initrd"
mkdir -p "$R"/{bin,sbin,dev,proc,sys,etc/acpi/PWRF,lib/modules,tmp}
cp "$BUSYBOX" "$R/bin/busybox"
# virtio disks (root overlay vda, NoCloud seed vdb) and isofs for the seed; in dependency order (modinfo depends=).
DISK_MODULES="drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko drivers/virtio/virtio_pci_modern_dev.ko
  drivers/virtio/virtio_pci_legacy_dev.ko drivers/virtio/virtio_pci.ko drivers/block/virtio_blk.ko drivers/cdrom/cdrom.ko
  fs/isofs/isofs.ko"
for m in drivers/input/evdev.ko drivers/acpi/button.ko $DISK_MODULES; do
  src="$WORK/kernel/lib/modules/$KVER/kernel/$m"
  [[ -f "$src" ]] || { echo "build-guest: $m not in $KDEB (compressed modules?)" >&2; exit 1; }
  cp "$src" "$R/lib/modules/"
done
cat > "$R/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
marker=VBMC-GUEST-BOOTED
for arg in $(cat /proc/cmdline); do
  case "$arg" in vbmc.marker=*) marker="${arg#vbmc.marker=}" ;; esac
done
echo "VBMC-MARKER: $marker"
echo "VBMC-PRODUCT-SERIAL: $(cat /sys/class/dmi/id/product_serial 2>/dev/null)"
echo "VBMC-PRODUCT-NAME: $(cat /sys/class/dmi/id/product_name 2>/dev/null)"
echo "VBMC-BOARD-SERIAL: $(cat /sys/class/dmi/id/board_serial 2>/dev/null)"
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk cdrom isofs; do
  insmod /lib/modules/$m.ko || echo "VBMC-WARNING: insmod $m failed"
done
# The root disk's last sector carries a stamp: print what an earlier boot left there, then write a new one. A fresh
# overlay on the base image shows an empty stamp; a reused one shows the previous boot's.
i=0
until [ -b /dev/vda ] || [ $i -ge 100 ]; do usleep 50000; i=$((i+1)); done
if [ -b /dev/vda ]; then
  last=$(( $(cat /sys/block/vda/size) - 1 ))
  echo "VBMC-DISK-STAMP: $(dd if=/dev/vda bs=512 skip=$last count=1 2>/dev/null | tr -cd 'A-Za-z0-9-')"
  if [ "$(cat /sys/block/vda/ro)" = 0 ]; then
    new="stamp-$(cat /proc/sys/kernel/random/uuid)"
    printf '%s' "$new" | dd of=/dev/vda bs=512 seek=$last count=1 conv=sync,fsync 2>/dev/null && sync \
      && echo "VBMC-DISK-STAMP-WRITTEN: $new" || echo "VBMC-WARNING: stamp write failed"
  else
    echo "VBMC-DISK-STAMP-WRITTEN: none (read-only disk)"
  fi
else
  echo "VBMC-DISK-STAMP: no /dev/vda"
fi
# A NoCloud seed is any block device labelled cidata, as cloud-init looks for it.
seed=$(findfs LABEL=cidata 2>/dev/null || findfs LABEL=CIDATA 2>/dev/null)
if [ -n "$seed" ]; then
  mkdir -p /seed
  if mount -t iso9660 -o ro "$seed" /seed; then
    echo "VBMC-SEED-FILES: $(ls /seed | tr '\n' ' ')"
    echo "VBMC-SEED-META-DATA: $(tr '\n' ' ' < /seed/meta-data)"
    umount /seed
  else
    echo "VBMC-WARNING: cannot mount seed $seed"
  fi
else
  echo "VBMC-SEED-FILES: none"
fi
insmod /lib/modules/evdev.ko
insmod /lib/modules/button.ko
# READY means "the power button works": wait (bounded) for the button's event device, start acpid, and wait until
# acpid holds it open. A button press before that would be lost, and a slow (loaded, TCG) boot makes that likely.
i=0
until ls /dev/input/event* >/dev/null 2>&1 || [ $i -ge 200 ]; do usleep 50000; i=$((i+1)); done
acpid -d -c /etc/acpi &
apid=$!
i=0
until ls -l /proc/$apid/fd 2>/dev/null | grep -q /dev/input/event || [ $i -ge 200 ]; do usleep 50000; i=$((i+1)); done
ls -l /proc/$apid/fd 2>/dev/null | grep -q /dev/input/event || echo "VBMC-WARNING: acpid has no input device open"
echo "VBMC-READY: kernel $(uname -r), uptime $(cut -d' ' -f1 /proc/uptime)s"
# A login prompt and a shell on the serial console, as an operator meets them (the SSH console tests type into it):
# any name logs in; the shell exits back to the prompt. The tty echoes what is typed.
while :; do
  printf 'vbmc-guest login: ' >/dev/ttyS0
  read -r name </dev/ttyS0 || { sleep 1; continue; }
  echo "VBMC-LOGIN: ${name}" >/dev/ttyS0
  PS1='vbmc-guest# ' sh -i </dev/ttyS0 >/dev/ttyS0 2>&1
done
INIT
cat > "$R/etc/acpi/PWRF/00000080" <<'ACPI'
#!/bin/sh
echo "VBMC-ACPI: power button -> poweroff" >/dev/console
poweroff -f
ACPI
chmod +x "$R/init" "$R/etc/acpi/PWRF/00000080"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -9) > "$WORK/initrd.gz"

make_iso() { # make_iso OUTPUT MARKER
  local iso="$WORK/iso-$2"
  mkdir -p "$iso/isolinux" "$iso/boot"
  cp "$ISOLINUX" "$LDLINUX" "$iso/isolinux/"
  cp "$WORK/vmlinuz" "$iso/boot/vmlinuz"
  cp "$WORK/initrd.gz" "$iso/boot/initrd.gz"
  cat > "$iso/isolinux/isolinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT vbmc
PROMPT 0
TIMEOUT 0
LABEL vbmc
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.gz
  APPEND console=ttyS0 panic=-1 vbmc.marker=$2
CFG
  xorriso -as mkisofs -quiet -o "$1" -V VBMC -J -R \
    -isohybrid-mbr "$ISOHDPFX" -c isolinux/boot.cat -b isolinux/isolinux.bin \
    -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" >"$WORK/xorriso.log" 2>&1 \
    || { cat "$WORK/xorriso.log" >&2; echo "build-guest: xorriso failed for $1" >&2; return 1; }
}
make_iso "$WORK/cd.iso" VBMC-BOOTED-FROM-CD
make_iso "$WORK/disk.img" VBMC-BOOTED-FROM-DISK
truncate -s +1M "$WORK/disk.img"   # zeroed room after the ISO: the last sector holds the guest's disk stamp

for f in vmlinuz initrd.gz cd.iso disk.img; do mv -f "$WORK/$f" "$OUT/$f"; done
chmod 0644 "$OUT"/{vmlinuz,initrd.gz,cd.iso,disk.img}
echo "$KVER" > "$OUT/kernel-version"
echo "$inputs" > "$OUT/inputs.sha256"
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v o="$OUT" 'BEGIN { printf "build-guest: built %s in %.1f s\n", o, e - s }'
ls -l "$OUT" || true
