# Sourced by build-deb.sh and build-rpm.sh: publishes the server once and stages the installed file tree.
#   stage_publish            -> $PUBLISH (dotnet publish output: one NativeAOT executable, linux-x64)
#   stage_tree DEST UNITDIR  -> DEST/usr/lib/openchami-vbmc, /usr/bin, /etc, UNITDIR, sysusers/tmpfiles/modules-load,
#                               doc, man page; modes set, no ownership (the package tools make everything root's).
# Environment: VBMC_REUSE_PUBLISH=1 reuses an existing $PUBLISH (make package builds .deb then .rpm from one publish).
set -euo pipefail

PKG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$PKG_DIR")
WORK=${VBMC_PACKAGING_WORK:-$REPO/artifacts/packaging}
OUT=${VBMC_PACKAGES_OUT:-$REPO/artifacts/packages}
PUBLISH=$WORK/publish
SERVER=$REPO/src/OpenChami.VirtualBmc.Server
VERSION=${VBMC_VERSION:-$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$SERVER/OpenChami.VirtualBmc.Server.csproj" | head -n1)}
RID=linux-x64
NAME=openchami-vbmc
# The DMTF licence of the generated Base/Privilege registry code: the shared schema bundle when present, else our copy.
DMTF_LICENSE=$REPO/../shared/redfish-schemas/LICENSE.md
[ -f "$DMTF_LICENSE" ] || DMTF_LICENSE=$PKG_DIR/dmtf-LICENSE.md
# Reproducible timestamps (man page gzip, dpkg-deb, rpm).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)}

stage_publish() {
  if [ "${VBMC_REUSE_PUBLISH:-0}" = 1 ] && [ -x "$PUBLISH/$NAME" ]; then
    echo "stage: reusing $PUBLISH"
    return
  fi
  rm -rf "$PUBLISH"
  local start=$SECONDS
  # NativeAOT: one native executable, no .NET runtime on the host (Debian 12 and EL9 base repositories have no .NET 10
  # runtime package), a fraction of the JIT build's start-up time and memory (bench/README.md). Trim and AOT warnings
  # are errors (Directory.Build.props). The compiler needs clang and zlib's headers (Debian: clang, zlib1g-dev).
  local need=() p
  for p in clang zlib1g-dev; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p"); done
  if [ ${#need[@]} -gt 0 ]; then
    echo "stage: installing ${need[*]} (NativeAOT toolchain)"
    local sudo; sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  dotnet publish "$SERVER" -c Release -r "$RID" -p:PublishAot=true -o "$PUBLISH" -nologo --verbosity quiet
  echo "stage: dotnet publish (NativeAOT) took $((SECONDS - start)) s"
}

stage_tree() {
  local dest=$1 unitdir=$2
  rm -rf "$dest"
  local lib=$dest/usr/lib/$NAME doc=$dest/usr/share/doc/$NAME
  install -d -m 0755 "$lib" "$dest/usr/bin" "$dest$unitdir" "$dest/usr/lib/sysusers.d" "$dest/usr/lib/tmpfiles.d" \
    "$dest/usr/lib/modules-load.d" "$doc/examples" "$doc/schemas" "$dest/usr/share/man/man1"
  install -d -m 0750 "$dest/etc/$NAME"

  # The application: the native executable alone (no .pdb/.dbg symbols, no Web SDK static-asset manifest).
  install -D -m 0755 "$PUBLISH/$NAME" "$lib/$NAME"
  ln -s "../lib/$NAME/$NAME" "$dest/usr/bin/$NAME"

  # Configuration: an example that fails safe (validation refuses it until it is filled in; no accounts).
  install -m 0640 "$PKG_DIR/config/host.yaml" "$PKG_DIR/config/accounts.yaml" "$PKG_DIR/config/node-type.yaml" "$dest/etc/$NAME/"

  install -m 0644 "$REPO"/systemd/*.service "$dest$unitdir/"
  install -m 0644 "$REPO/systemd/sysusers.d/$NAME.conf" "$dest/usr/lib/sysusers.d/$NAME.conf"
  install -m 0644 "$REPO/systemd/tmpfiles.d/$NAME.conf" "$dest/usr/lib/tmpfiles.d/$NAME.conf"
  install -m 0644 "$REPO/systemd/modules-load.d/$NAME.conf" "$dest/usr/lib/modules-load.d/$NAME.conf"
  # The audit log's rotation (moved away, then SIGHUP: the service reopens it).
  install -D -m 0644 "$PKG_DIR/logrotate/$NAME" "$dest/etc/logrotate.d/$NAME"

  # Documentation: copyright (incl. the DMTF BSD-3-Clause text), schemas, the demo node type as an example.
  { cat "$PKG_DIR/debian/copyright"; echo; echo "License: BSD-3-Clause"; sed -e 's/^$/./' -e 's/^/ /' "$DMTF_LICENSE"; } > "$doc/copyright"
  chmod 0644 "$doc/copyright"
  install -m 0644 "$REPO"/schemas/*.json "$doc/schemas/"
  install -m 0644 "$REPO/examples/demo/dense-gpu-hsn-node.yaml" "$REPO/examples/demo/inventory-export.json" "$doc/examples/"
  install -m 0644 "$REPO"/docs/*.md "$doc/"   # the operator's guide and the reference pages
  sed "s/@VERSION@/$VERSION/" "$PKG_DIR/man/$NAME.1" | gzip -9n > "$dest/usr/share/man/man1/$NAME.1.gz"
  chmod 0644 "$dest/usr/share/man/man1/$NAME.1.gz"
}
