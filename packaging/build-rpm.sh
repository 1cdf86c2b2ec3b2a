#!/usr/bin/env bash
# Builds artifacts/packages/openchami-vbmc-<version>-1.x86_64.rpm with rpmbuild from the staged tree
# (same publish as the .deb; units in /usr/lib/systemd/system as on EL/SUSE/Fedora).
# Usage: packaging/build-rpm.sh        (VBMC_REUSE_PUBLISH=1 reuses an earlier publish; see stage.sh)
set -euo pipefail
. "$(dirname "$0")/stage.sh"

if ! command -v rpmbuild >/dev/null; then
  # A fresh Debian machine has no rpmbuild: install it (root), or say exactly what is missing.
  if [ "$(id -u)" = 0 ]; then
    echo "build-rpm: installing rpm (rpmbuild)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpm >/dev/null
  fi
  command -v rpmbuild >/dev/null || { echo "error: rpmbuild not found (Debian: apt-get install rpm)" >&2; exit 1; }
fi
ROOT=$WORK/rpm/root
TOP=$WORK/rpm/top
start=$SECONDS

stage_publish
stage_tree "$ROOT" /usr/lib/systemd/system

rm -rf "$TOP" && mkdir -p "$TOP"/{BUILD,RPMS,SRPMS,SPECS,SOURCES,BUILDROOT}
rpmbuild -bb --quiet \
  --define "_topdir $TOP" \
  --define "_vbmc_stage $ROOT" \
  --define "_vbmc_version $VERSION" \
  --define "_binary_payload w${VBMC_RPM_ZSTD_LEVEL:-19}T.zstdio" \
  --define "use_source_date_epoch_as_buildtime 1" \
  --define "clamp_mtime_to_source_date_epoch 1" \
  "$PKG_DIR/rpm/$NAME.spec"
mkdir -p "$OUT"
rpm=$(find "$TOP/RPMS" -name "$NAME-$VERSION-*.rpm" | head -n1)
mv "$rpm" "$OUT/"
echo "built $OUT/$(basename "$rpm") ($(du -h "$OUT/$(basename "$rpm")" | cut -f1)) in $((SECONDS - start)) s"
