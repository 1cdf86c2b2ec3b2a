#!/usr/bin/env bash
# Builds artifacts/packages/openchami-vbmc_<version>-1_amd64.deb with dpkg-deb (no debhelper needed).
# Usage: packaging/build-deb.sh        (VBMC_REUSE_PUBLISH=1 reuses an earlier publish; see stage.sh)
set -euo pipefail
. "$(dirname "$0")/stage.sh"

REVISION=${VBMC_DEB_REVISION:-1}
DEB_VERSION=$VERSION-$REVISION
ROOT=$WORK/deb/root
start=$SECONDS

stage_publish
stage_tree "$ROOT" /lib/systemd/system

# Changelog (lintian: every package has one).
doc=$ROOT/usr/share/doc/$NAME
{
  echo "$NAME ($DEB_VERSION) unstable; urgency=medium"
  echo
  echo "  * Package built from $(git -C "$REPO" describe --always --dirty 2>/dev/null || echo 'a source tree')."
  echo
  echo " -- OpenCHAMI <packaging@openchami.org>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz"

install -d -m 0755 "$ROOT/DEBIAN"
installed_kib=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
cat > "$ROOT/DEBIAN/control" <<CONTROL
Package: $NAME
Version: $DEB_VERSION
Architecture: amd64
Maintainer: OpenCHAMI <packaging@openchami.org>
Installed-Size: $installed_kib
Depends: libc6 (>= 2.27), libgcc-s1, libstdc++6, libssl3 | libssl1.1, libvirt0, libssh-4, adduser
Recommends: libvirt-daemon-system, ovmf
Section: admin
Priority: optional
Homepage: https://openchami.org/
Description: OpenCHAMI Virtual BMC: VM slots of an HPC node as Redfish BMCs
 Serves every predefined VM slot of this node (a libvirt domain with
 passed-through GPUs, NICs and SR-IOV virtual functions) as its own Redfish
 BMC, so that OpenCHAMI manages the slots like physical nodes: power, boot
 override, virtual media, accounts, inventory.
 .
 Includes the systemd units openchami-vbmc.service (hardened, unprivileged)
 and openchami-vbmc-prepare.service (creates the slots' VFs and binds their
 devices to vfio-pci before libvirt starts). Neither is enabled on
 installation.
 .
 A native executable (NativeAOT): no .NET runtime needed.
CONTROL
(cd "$ROOT" && find etc -type f | sed 's:^:/:' | sort) > "$ROOT/DEBIAN/conffiles"
install -m 0755 "$PKG_DIR/debian/postinst" "$PKG_DIR/debian/prerm" "$PKG_DIR/debian/postrm" "$ROOT/DEBIAN/"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's:  \./:  :') > "$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/conffiles" "$ROOT/DEBIAN/md5sums"

mkdir -p "$OUT"
deb=$OUT/${NAME}_${DEB_VERSION}_amd64.deb
dpkg-deb --root-owner-group -Zxz -z"${VBMC_COMPRESSION_LEVEL:-9}" --build "$ROOT" "$deb" >/dev/null
echo "built $deb ($(du -h "$deb" | cut -f1), installed $((installed_kib / 1024)) MiB) in $((SECONDS - start)) s"
