#!/usr/bin/env bash
# Installs what the QEMU test tier needs, from Debian packages only:
#   libvirt-daemon + libvirt-daemon-driver-qemu  monolithic libvirtd with the QEMU driver (no libvirt-daemon-system:
#                                                that one brings systemd units and users the tier does not use)
#   qemu-system-x86                              the emulator (TCG; KVM does not work on these machines)
#   qemu-block-extra                             QEMU's curl block driver: virtual media streamed over http(s)
#   qemu-utils                                   qemu-img: the tests check the service's managed qcow2 overlays with it
#   ovmf                                         UEFI firmware (secure-boot and plain builds, their variable templates and
#                                                the descriptors libvirt's firmware autoselection reads): the UEFI slot test
#   busybox-static, cpio                         the guest's initramfs
#   xorriso, isolinux, syslinux-common           the bootable CD (virtual media test)
#   libssh-4 openssh-client sshpass conman expect  the SSH console tests (ssh with a password; conman's ssh.exp)
# The guest kernel (linux-image-*-cloud-amd64) is NOT installed on the host: its .deb is downloaded with
# `apt-get download` into the cache dir and unpacked by build-guest.sh, so no host initramfs is generated.
# Usage: install-deps.sh [CACHE_DIR]   (default: $VBMC_QEMU_STATE or /var/tmp/vbmc-qemu)
set -euo pipefail
trap 'echo "install-deps.sh: FAILED at line $LINENO" >&2' ERR

STATE="${1:-${VBMC_QEMU_STATE:-/var/tmp/vbmc-qemu}}"
DEBS="$STATE/debs"
mkdir -p "$DEBS"
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-block-extra qemu-utils ovmf busybox-static cpio xorriso isolinux syslinux-common libssh-4 openssh-client sshpass conman expect)
KERNEL_META=linux-image-cloud-amd64

start=$(date +%s.%N)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
have_kernel_deb=$(find "$DEBS" -maxdepth 1 -name 'linux-image-*-cloud-amd64*.deb' | head -n1)

if (( ${#missing[@]} > 0 )) || [[ -z "$have_kernel_deb" ]]; then
  echo "install-deps: apt-get update"
  apt-get update -qq
fi

if (( ${#missing[@]} > 0 )); then
  echo "install-deps: installing ${missing[*]}"
  apt-get install -y -q --no-install-recommends "${missing[@]}" | tee "$STATE/apt-install.log" | grep -E '^(Need to get|After this operation)' || true
else
  echo "install-deps: packages already installed"
fi

if [[ -z "$have_kernel_deb" ]]; then
  # The metapackage depends on exactly one versioned image package.
  kpkg=$(apt-cache depends "$KERNEL_META" | awk '/Depends: linux-image-/{print $2; exit}')
  [[ -n "$kpkg" ]] || { echo "install-deps: cannot resolve $KERNEL_META" >&2; exit 1; }
  echo "install-deps: downloading $kpkg (not installed on the host)"
  # _apt must be able to write there, or apt warns that it downloads unsandboxed.
  if id _apt >/dev/null 2>&1; then chown _apt "$DEBS"; fi
  (cd "$DEBS" && apt-get download -q "$kpkg")
fi

for b in /usr/lib/x86_64-linux-gnu/qemu/block-curl.so /usr/sbin/libvirtd /usr/bin/virsh /usr/bin/qemu-system-x86_64 /bin/busybox /usr/bin/xorriso /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32; do
  [[ -e "$b" ]] || { echo "install-deps: $b missing after install" >&2; exit 1; }
done
ls "$DEBS"/linux-image-*-cloud-amd64*.deb >/dev/null

end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "install-deps: done in %.1f s\n", e - s }'
