#!/usr/bin/env bash
# Installs the .deb on this machine, checks what it installed, runs the installed binary (version; validate on the
# shipped example, which must fail safe; validate on a copy of the demo config pointing at a generated fixture tree),
# then removes and purges it and checks what is gone and what stays. Needs root. Runnable in CI.
# Usage: packaging/test-deb.sh [PACKAGE.deb]      (default: the newest artifacts/packages/openchami-vbmc_*.deb)
# Environment: VBMC_FIXTURE_DIR=DIR uses an existing fixture tree instead of generating one with dotnet run.
set -euo pipefail

PKG_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$PKG_DIR")
NAME=openchami-vbmc
DEB=${1:-$(ls -t "$REPO"/artifacts/packages/${NAME}_*_amd64.deb 2>/dev/null | head -n1 || true)}
[ "$(id -u)" = 0 ] || { echo "error: run as root (installs a package)" >&2; exit 2; }
[ -f "$DEB" ] || { echo "error: no .deb (build it with packaging/build-deb.sh)" >&2; exit 2; }

passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
status() { dpkg-query -W -f='${db:Status-Abbrev}' "$NAME" 2>/dev/null | tr -d ' ' || true; }

TMP=$(mktemp -d /tmp/vbmc-test-deb.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
chmod 0755 "$TMP"

if [ -n "$(status)" ]; then
  echo "note: $NAME is installed ($(status)); purging it first"
  dpkg --purge "$NAME" >/dev/null
fi

echo "== install $(basename "$DEB")"
dpkg -i "$DEB"
check "dpkg status is installed" test "$(status)" = ii

echo "== files"
for f in /usr/lib/$NAME/$NAME \
         /etc/$NAME/host.yaml /etc/$NAME/accounts.yaml /etc/$NAME/node-type.yaml \
         /lib/systemd/system/$NAME.service /lib/systemd/system/$NAME-prepare.service \
         /usr/lib/sysusers.d/$NAME.conf /usr/lib/tmpfiles.d/$NAME.conf /usr/lib/modules-load.d/$NAME.conf \
         /usr/share/doc/$NAME/copyright /usr/share/doc/$NAME/changelog.Debian.gz /usr/share/man/man1/$NAME.1.gz \
         /usr/share/doc/$NAME/operator-guide.md; do
  check "file $f" test -f "$f"
done
check "/usr/bin/$NAME links to /usr/lib/$NAME/$NAME" test "$(readlink -f /usr/bin/$NAME)" = /usr/lib/$NAME/$NAME
check "no .pdb shipped" test -z "$(find /usr/lib/$NAME -name '*.pdb')"
check "one native executable (NativeAOT): no .NET runtime, no assemblies" sh -c "[ \"\$(find /usr/lib/$NAME -type f | wc -l)\" = 1 ] && ! find /usr/lib/$NAME -name '*.dll' | grep -q . && file -b /usr/lib/$NAME/$NAME | grep -q '^ELF 64-bit'"
check "copyright carries the DMTF BSD-3-Clause text" grep -q "Distributed Management Task" /usr/share/doc/$NAME/copyright
check "man page renders" sh -c "zcat /usr/share/man/man1/$NAME.1.gz | groff -man -Tutf8 -ww >/dev/null 2>&1 || ! command -v groff >/dev/null"
conffiles=$(dpkg-query -W -f='${Conffiles}\n' "$NAME" | awk 'NF {print $1}' | sort | tr '\n' ' ')
check "conffiles are the three /etc files and the logrotate file" test "$conffiles" = "/etc/logrotate.d/$NAME /etc/$NAME/accounts.yaml /etc/$NAME/host.yaml /etc/$NAME/node-type.yaml "
check "logrotate accepts the audit log's rotation" sh -c "! command -v logrotate >/dev/null || logrotate -d /etc/logrotate.d/$NAME >/dev/null 2>&1"
check "accounts.yaml has no account (no demo password)" sh -c "! grep -v '^[[:space:]]*#' /etc/$NAME/accounts.yaml | grep -q passwordHash"
check "/etc/$NAME is root:$NAME 0750" test "$(stat -c '%U:%G %a' /etc/$NAME)" = "root:$NAME 750"
check "accounts.yaml is root:$NAME 0640" test "$(stat -c '%U:%G %a' /etc/$NAME/accounts.yaml)" = "root:$NAME 640"

echo "== account and directories"
check "user $NAME exists with nologin shell" sh -c "getent passwd $NAME | grep -q ':/usr/sbin/nologin$'"
check "user $NAME is in group libvirt" sh -c "id -nG $NAME | tr ' ' '\n' | grep -qx libvirt"
check "/var/lib/$NAME is $NAME's, 0750" test "$(stat -c '%U %a' /var/lib/$NAME)" = "$NAME 750"
check "/var/cache/$NAME is $NAME's, 0750" test "$(stat -c '%U %a' /var/cache/$NAME)" = "$NAME 750"
if getent passwd libvirt-qemu >/dev/null; then
  check "QEMU's user libvirt-qemu is in group $NAME (reaches the slots' disks)" sh -c "id -nG libvirt-qemu | tr ' ' '\n' | grep -qx $NAME"
fi
check "services not enabled" test -z "$(find /etc/systemd/system -name "$NAME*.service" 2>/dev/null)"

echo "== run"
out=$($NAME version); echo "   $out"
check "openchami-vbmc version" test "${out%% *}" = "$NAME"
check "runs as the service user" sh -c "runuser -u $NAME -- /usr/bin/$NAME version >/dev/null"
set +e; /usr/bin/$NAME validate --config /etc/$NAME/host.yaml > "$TMP/shipped.out" 2>&1; rc=$?; set -e
sed 's/^/   /' "$TMP/shipped.out" | head -n 8
check "the shipped example config fails safe (validate exits 3, config invalid)" test "$rc" = 3

if [ -n "${VBMC_FIXTURE_DIR:-}" ]; then
  fixture=$VBMC_FIXTURE_DIR
else
  fixture=$TMP/sysfs
  dotnet run --project "$REPO/tools/OpenChami.VirtualBmc.DemoFixture" -c Release -- "$fixture" >/dev/null
fi
mkdir -p "$TMP/config"
cp "$REPO"/examples/demo/*.yaml "$TMP/config/"
sed -i "s|^sysfsRoot:.*|sysfsRoot: $fixture|" "$TMP/config/host.yaml"
# The demo catalog's base image, generated (its checksum is pinned in images.yaml); validate checks it can be had.
dotnet run --project "$REPO/tools/OpenChami.VirtualBmc.DemoFixture" -c Release -- --base-image "$TMP/images/ubuntu-hpc-base.img" >/dev/null
sed -i "s|path: .*ubuntu-hpc-base.img|path: $TMP/images/ubuntu-hpc-base.img|" "$TMP/config/images.yaml"
set +e; /usr/bin/$NAME validate --config "$TMP/config/host.yaml" > "$TMP/demo.out" 2>&1; rc=$?; set -e
tail -n 3 "$TMP/demo.out" | sed 's/^/   /'
# The dense fixture is built so that slot2 (GPUs on nvidia) and slot3 (GPU unbound) fail: exit 1, as designed.
check "validate on the demo config + fixture: exit 1, 2 of 4 slots usable" sh -c "[ $rc = 1 ] && grep -q '2 of 4 slots usable' '$TMP/demo.out'"

echo "== serve (the shipped native executable)"
# The demo config on ports of its own, with its state, TLS pair and audit log under $TMP.
sed -i -e "s|^stateDirectory:.*|stateDirectory: $TMP/state|" -e "s|certificate: .*|certificate: $TMP/tls/cert.pem|" \
  -e "s|key: .*key.pem|key: $TMP/tls/key.pem|" -e "s|auditLog: .*|auditLog: $TMP/audit.jsonl|" \
  -e 's/port: 8443/port: 28443/' -e 's/port: 9180/port: 29180/' -e 's/sshPort: 2222/sshPort: 22222/' "$TMP/config/host.yaml"
/usr/bin/$NAME serve --config "$TMP/config/host.yaml" >"$TMP/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 120); do curl -sk --max-time 2 -o /dev/null "https://127.0.0.10:28443/redfish/v1" && break; kill -0 $serve_pid 2>/dev/null || break; sleep 0.25; done
check "serve: slot0's ComputerSystem over HTTPS with Basic auth" sh -c "curl -sk --max-time 5 -u admin:vbmc-demo https://127.0.0.10:28443/redfish/v1/Systems/slot0 | grep -q '\"Id\":\"slot0\"'"
check "serve: a bad body gets a Redfish error (400, Base MessageId)" sh -c "curl -sk --max-time 5 -u admin:vbmc-demo -X PATCH -H 'Content-Type: application/json' -d '{' https://127.0.0.10:28443/redfish/v1/Systems/slot0 | grep -q 'Base.1.*MalformedJSON'"
check "serve: a power action reaches libvirt (ForceOn then PowerState On)" sh -c "curl -sk --max-time 10 -u admin:vbmc-demo -X POST -H 'Content-Type: application/json' -d '{\"ResetType\":\"On\"}' -o /dev/null -w '%{http_code}' https://127.0.0.10:28443/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset | grep -q 204 && curl -sk -u admin:vbmc-demo https://127.0.0.10:28443/redfish/v1/Systems/slot0 | grep -q '\"PowerState\":\"On\"'"
# A reload compares the slot templates property by property (ValueEquality, reflection the native build must keep).
sed -i '0,/    cores: 16/s//    cores: 12/' "$TMP/config/dense-gpu-hsn-node.yaml"
kill -HUP $serve_pid; sleep 2
check "serve: SIGHUP reload notices a changed slot template" grep -q "slots or endpoints changed" "$TMP/serve.log"
check "serve: still answering after the reload" sh -c "curl -sk --max-time 5 -o /dev/null -w '%{http_code}' https://127.0.0.10:28443/redfish/v1 | grep -q 200"
kill $serve_pid; wait $serve_pid 2>/dev/null
check "serve: stops cleanly on SIGTERM" grep -q "stopped" "$TMP/serve.log"
check "inventory --json (source-generated JSON) on the fixture" sh -c "/usr/bin/$NAME inventory --sysfs-root '$fixture' --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d'"

command -v systemd-analyze >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
if true; then
  echo "== units"
  check "systemd-analyze verify" systemd-analyze verify /lib/systemd/system/$NAME.service /lib/systemd/system/$NAME-prepare.service
  for unit in $NAME.service $NAME-prepare.service; do
    echo "   $(systemd-analyze security --offline=true /lib/systemd/system/$unit 2>/dev/null | tail -n1)"
  done
fi

echo "== remove"
dpkg -r "$NAME" >/dev/null
check "dpkg status is config-files" test "$(status)" = rc
check "/usr/lib/$NAME gone" test ! -e /usr/lib/$NAME
check "/usr/bin/$NAME gone" test ! -e /usr/bin/$NAME -a ! -L /usr/bin/$NAME
check "units gone" test ! -e /lib/systemd/system/$NAME.service -a ! -e /lib/systemd/system/$NAME-prepare.service
check "conffiles kept" test -f /etc/$NAME/host.yaml -a -f /etc/$NAME/accounts.yaml -a -f /etc/$NAME/node-type.yaml

echo "== purge"
dpkg --purge "$NAME" >/dev/null
check "unknown to dpkg" test -z "$(status)"
check "/etc/$NAME gone" test ! -e /etc/$NAME
check "/var/lib/$NAME and /var/cache/$NAME gone" test ! -e /var/lib/$NAME -a ! -e /var/cache/$NAME
check "no file of the package left" sh -c "! find /usr /lib /etc -name '$NAME*' 2>/dev/null | grep -q ."
check "user $NAME stays (Debian policy: system users are not removed)" sh -c "getent passwd $NAME >/dev/null"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
