#!/usr/bin/env bash
# Runs the commands of docs/operator-guide.md, as written there, against a sandbox node, and checks the output the guide
# shows for them. Nothing is copied out of the guide by hand: tests/guide/extract.awk reads the markdown.
#
#   tests/guide/run-guide.sh [RESULTS_DIR]     run every step; one PASS/FAIL line per step, then "N passed, N failed"
#   tests/guide/run-guide.sh --list            print the steps the guide yields (no build, no server); used by a unit test
#
# What is run (tests/guide/README.md has the details):
#   ```console      each "$ " command, in order, in this shell (variables and the working directory carry over, as in a
#                   terminal). It must exit 0, unless the next command is `echo $?`. The lines the guide shows under a
#                   command are its expected output (stdout and stderr, trailing blanks ignored; "[...]" stands for any
#                   text within a line or any number of whole lines); no lines shown = output not checked.
#   ```yaml file=P  written to P.
#   ```sh           not run; its first line says why and what exercises it instead. With sandbox=ACTION the harness
#                   does ACTION in its place: serve (start the service on the guide's configuration, as systemctl
#                   would), crawl-replay (tests/clients/crawl_replay.py: Magellan's and PCS's requests) or
#                   fetch-image (the demo's generated base image in S/srv/images, for the site's image download).
#
# The sandbox: a temporary root S holding what the .deb installs (packaging/config/*.yaml in S/etc/openchami-vbmc, the
# demo node type in S/usr/share/doc/openchami-vbmc/examples), a writable copy of the demo sysfs fixture in S/sysfs, and
# S/bin/openchami-vbmc = the product (tests/lib/server.sh: the NativeAOT executable, or `dotnet openchami-vbmc.dll`) on PATH. Before a command or file runs, these substitutions apply:
#   /etc/openchami-vbmc, /var/lib/…, /var/cache/…, /var/log/openchami-vbmc, /usr/share/doc/openchami-vbmc -> under S
#   /sys/... -> S/sysfs/sys/...          sudo -> (nothing)              qemu:///system -> test:///default
#   172.16.0.101-104 -> ${ADDRESS_BASE}0-3      port: 443 -> port: PORT      port: 9180 -> port: ADMIN_PORT
# and a host file written by the guide gets "sysfsRoot: S/sysfs" appended. Output is mapped back the other way before it
# is compared. The wrapper adds --sysfs-root S/sysfs to `inventory` without --config/--sysfs-root, and after a
# successful `host prepare` (without --dry-run) it does what the kernel does with those writes: every device whose
# driver_override is vfio-pci ends up bound to vfio-pci. curl's configuration (CURL_HOME) sends connections to port 443
# of a slot address to PORT, and to 127.0.0.1:9180 to ADMIN_PORT, so URLs stay as written. ADMIN_PASSWORD,
# PCS_PASSWORD and MAGELLAN_PASSWORD are set.
#
# Environment: VBMC_GUIDE_ADDRESS_BASE (default 127.0.0.4: slots on …40-43), VBMC_GUIDE_PORT (19443),
# VBMC_GUIDE_ADMIN_PORT (19180), VBMC_GUIDE (the markdown file), KEEP_WORK=1 keeps the sandbox (server log inside).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
GUIDE=${VBMC_GUIDE:-$REPO/docs/operator-guide.md}
ADDRESS_BASE=${VBMC_GUIDE_ADDRESS_BASE:-127.0.0.4}
PORT=${VBMC_GUIDE_PORT:-19443}
ADMIN_PORT=${VBMC_GUIDE_ADMIN_PORT:-19180}
GUIDE_ADDRESSES=(172.16.0.101 172.16.0.102 172.16.0.103 172.16.0.104)
SUITE=operator_guide

VBMC_LOG_NAME=run-guide
# shellcheck source=../lib/server.sh
. "$REPO/tests/lib/server.sh"

WORK=$(mktemp -d /tmp/vbmc-guide.XXXXXX)
cleanup() {
  vbmc_stop_server
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RESULTS_DIR=
[ "${1:-}" = --list ] || RESULTS_DIR=${1:-}
# Absolute: the steps run from the sandbox's home, and a relative path would put the counts in the sandbox, where
# .ci/trx-summary never sees them.
[ -z "$RESULTS_DIR" ] || RESULTS_DIR=$(mkdir -p "$RESULTS_DIR" && cd "$RESULTS_DIR" && pwd)
give_up() {
  echo "0 passed, 1 failed"
  [ -z "$RESULTS_DIR" ] || { mkdir -p "$RESULTS_DIR" && echo "0 passed, 1 failed" >"$RESULTS_DIR/summary.txt"; }
  exit 1
}
# --- the steps ----------------------------------------------------------------------------------------------
STEPS=$WORK/steps
mkdir -p "$STEPS"
if ! awk -v out="$STEPS" -f "$HERE/extract.awk" "$GUIDE"; then
  vbmc_log "cannot read the steps of $GUIDE"
  give_up
fi

if [ "${1:-}" = --list ]; then
  while IFS=$'\t' read -r n kind line text; do
    echo "$kind $line $text"
  done <"$STEPS/steps"
  exit 0
fi
vbmc_install_packages curl jq openssl python3 || give_up
vbmc_build_server || give_up
vbmc_demo_fixture || give_up

# --- the sandbox ----------------------------------------------------------------------------------------------
S=$WORK/root
mkdir -p "$S/etc/openchami-vbmc" "$S/usr/share/doc/openchami-vbmc/examples" "$S/usr/share/doc/openchami-vbmc/schemas" \
         "$S/var/lib/openchami-vbmc" "$S/var/cache/openchami-vbmc" "$S/var/log/openchami-vbmc" "$S/srv/images" "$S/bin" "$S/home" "$WORK/out"
cp "$REPO"/packaging/config/*.yaml "$S/etc/openchami-vbmc/"
cp "$REPO/examples/demo/dense-gpu-hsn-node.yaml" "$REPO/examples/demo/inventory-export.json" "$S/usr/share/doc/openchami-vbmc/examples/"
cp "$REPO"/schemas/*.json "$S/usr/share/doc/openchami-vbmc/schemas/"
cp -a "$VBMC_SYSFS" "$S/sysfs"
SYSFS=$S/sysfs

cat >"$S/bin/openchami-vbmc" <<EOF
#!/usr/bin/env bash
# The sandbox's /usr/bin/openchami-vbmc (tests/guide/run-guide.sh).
args=("\$@")
if [ "\${1:-}" = inventory ] && [[ " \$* " != *" --config "* && " \$* " != *" --sysfs-root "* ]]; then
  args+=(--sysfs-root "$SYSFS")
fi
$VBMC_CMD_Q "\${args[@]}"
rc=\$?
if [ "\$rc" = 0 ] && [ "\${1:-} \${2:-}" = "host prepare" ] && [[ " \$* " != *" --dry-run "* ]]; then
  # The kernel's part: a device whose driver_override says vfio-pci is bound to vfio-pci.
  for dev in "$SYSFS"/sys/bus/pci/devices/*; do
    [ "\$(cat "\$dev/driver_override" 2>/dev/null)" = vfio-pci ] || continue
    bdf=\$(basename "\$dev")
    if [ -L "\$dev/driver" ]; then
      [ "\$(basename "\$(readlink "\$dev/driver")")" = vfio-pci ] && continue
      rm -f "\$(readlink -f "\$dev/driver")/\$bdf"
      target=\$(dirname "\$(readlink "\$dev/driver")")/vfio-pci
      rm "\$dev/driver"
    else
      target=\$(readlink "\$dev/subsystem")/drivers/vfio-pci
    fi
    ln -s "\$target" "\$dev/driver"
    ln -s "../\$(readlink "$SYSFS/sys/bus/pci/devices/\$bdf")" "$SYSFS/sys/bus/pci/drivers/vfio-pci/\$bdf"
  done
fi
exit \$rc
EOF
chmod +x "$S/bin/openchami-vbmc"

# curl connects to port 443 of a slot address (and the admin port 9180) as the guide says; the sandbox's service
# listens on PORT and ADMIN_PORT, so curl's configuration redirects those connections (TLS still checks the address).
mkdir -p "$S/curl"
{
  for i in 0 1 2 3; do echo "connect-to = $ADDRESS_BASE$i:443:$ADDRESS_BASE$i:$PORT"; done
  echo "connect-to = 127.0.0.1:9180:127.0.0.1:$ADMIN_PORT"
} >"$S/curl/.curlrc"
export CURL_HOME=$S/curl

# Substitutions, guide -> sandbox (commands, files) and sandbox -> guide (output).
esc() { printf '%s' "$1" | sed -e 's/[].[*^$+?(){}|#&\\]/\\&/g'; }
{
  echo "s#(^|[[:space:]\"'=(])/sys/#\1$SYSFS/sys/#g"
  for d in /etc/openchami-vbmc /var/lib/openchami-vbmc /var/cache/openchami-vbmc /var/log/openchami-vbmc /usr/share/doc/openchami-vbmc /srv/images; do
    echo "s#$(esc "$d")#$S$d#g"
  done
  for i in 0 1 2 3; do
    a=$(esc "${GUIDE_ADDRESSES[$i]}")
    echo "s#(^|[^0-9.])$a([^0-9]|\$)#\1$ADDRESS_BASE$i\2#g"
  done
  echo "s#port: 443([^0-9]|\$)#port: $PORT\1#g"
  echo "s#port: 9180([^0-9]|\$)#port: $ADMIN_PORT\1#g"
  echo "s#qemu:///system#test:///default#g"
  echo "s#(^|[;&|(] *)sudo #\1#g"
} >"$WORK/forward.sed"
{
  echo "s#$(esc "$SYSFS")/#/#g"
  echo "s#$(esc "$SYSFS")#/#g"
  for d in /etc/openchami-vbmc /var/lib/openchami-vbmc /var/cache/openchami-vbmc /var/log/openchami-vbmc /usr/share/doc/openchami-vbmc /srv/images; do
    echo "s#$(esc "$S$d")#$d#g"
  done
  for i in 0 1 2 3; do
    a=$(esc "$ADDRESS_BASE$i")
    echo "s#(^|[^0-9.])$a:$PORT([^0-9]|\$)#\1${GUIDE_ADDRESSES[$i]}:443\2#g"
    echo "s#(^|[^0-9.])$a([^0-9]|\$)#\1${GUIDE_ADDRESSES[$i]}\2#g"
  done
  echo "s#127\.0\.0\.1:$ADMIN_PORT#127.0.0.1:9180#g"
  echo "s#test:///default#qemu:///system#g"
} >"$WORK/reverse.sed"
forward() { sed -E -f "$WORK/forward.sed"; }
reverse() { sed -E -f "$WORK/reverse.sed"; }

# expected ACTUAL EXPECT: 0 when ACTUAL matches EXPECT ("[...]" = any text in a line, or any lines on its own).
matches() {
  awk -v expectfile="$2" '
    function trim(s) { sub(/[ \t\r]+$/, "", s); return s }
    function linematch(pat, s,    parts, n, k, pos, at) {
      n = split(pat, parts, /\[\.\.\.\]/)
      if (n == 1) return (pat "") == (s "")
      if (substr(s, 1, length(parts[1])) != parts[1]) return 0
      pos = length(parts[1]) + 1
      for (k = 2; k < n; k++) {
        at = index(substr(s, pos), parts[k])
        if (at == 0) return 0
        pos += at - 1 + length(parts[k])
      }
      return length(s) - pos + 1 >= length(parts[n]) && substr(s, length(s) - length(parts[n]) + 1) == parts[n]
    }
    function m(i, j,    key, r) {
      key = i "," j
      if (key in memo) return memo[key]
      if (i > ne) r = (j > na)
      else if (e[i] == "[...]") r = m(i + 1, j) || (j <= na && m(i, j + 1))
      else r = (j <= na && linematch(e[i], a[j]) && m(i + 1, j + 1))
      memo[key] = r
      return r
    }
    { a[++na] = trim($0) }
    END {
      while ((getline line < expectfile) > 0) e[++ne] = trim(line)
      while (na > 0 && a[na] == "") na--
      while (ne > 0 && e[ne] == "") ne--
      exit m(1, 1) ? 0 : 1
    }' "$1"
}

# --- run -------------------------------------------------------------------------------------------------------
export PATH=$S/bin:$PATH
export ADMIN_PASSWORD=guide-admin-$RANDOM$RANDOM PCS_PASSWORD=guide-pcs-$RANDOM$RANDOM MAGELLAN_PASSWORD=guide-magellan-$RANDOM$RANDOM
passed=0 failed=0
RESULT=$WORK/$SUITE.txt
: >"$RESULT"
report() { echo "$*" | tee -a "$RESULT"; }
pass() { passed=$((passed + 1)); report "PASS $*"; }
fail() { failed=$((failed + 1)); report "FAIL $*"; }

sandbox_serve() {
  local host=$S/etc/openchami-vbmc/host.yaml urls=() i
  for i in 0 1 2 3; do urls+=("https://$ADDRESS_BASE$i:$PORT"); done
  vbmc_start_server "$host" "$WORK/server.log"
  if vbmc_wait_for_server "$S/var/lib/openchami-vbmc/tls/cert.pem" "${urls[@]}"; then
    echo "openchami-vbmc serve answers on ${urls[*]}"
    return 0
  fi
  echo "the service did not answer on every slot within 60 s; its log:"; tail -30 "$WORK/server.log"
  return 1
}

# The site's image server is not here: the demo's generated 1 MiB base image stands in for the download.
sandbox_fetch_image() {
  dotnet run --project "$REPO/tools/OpenChami.VirtualBmc.DemoFixture" -c Release -- --base-image "$S/srv/images/ubuntu-hpc-base.img" | reverse
}

sandbox_crawl_replay() {
  local out=$WORK/crawl_replay.out
  VBMC_HOST=${ADDRESS_BASE}0 VBMC_HOST_SLOT1=${ADDRESS_BASE}1 VBMC_PORT=$PORT VBMC_URL=https://${ADDRESS_BASE}0:$PORT \
    VBMC_CACERT=$S/var/lib/openchami-vbmc/tls/cert.pem VBMC_USER=pcs VBMC_PASSWORD=$PCS_PASSWORD \
    /usr/bin/python3 "$REPO/tests/clients/crawl_replay.py" >"$out" 2>&1
  local rc=$?
  echo "crawl_replay.py as pcs: $(grep -c '^PASS ' "$out") passed, $(grep -c '^FAIL ' "$out") failed"
  grep '^FAIL ' "$out"
  [ "$rc" = 0 ] && ! grep -q '^FAIL ' "$out"
}

cd "$S/home"
last=0
while IFS=$'\t' read -r n kind line text; do
  name="L$line ${text:0:100}"
  case $kind in
    run)
      cmd=$(forward <"$STEPS/$n.cmd")
      set +u +o pipefail
      ( exit "$last" )
      eval "$cmd" >"$WORK/out/$n" 2>&1 </dev/null
      rc=$?
      set -u -o pipefail
      last=$rc
      reverse <"$WORK/out/$n" >"$WORK/out/$n.guide"
      if [ "$rc" != 0 ] && [ ! -e "$STEPS/$n.anyexit" ]; then
        fail "$name: exit $rc"
        sed 's/^/    | /' "$WORK/out/$n.guide" | tail -15 | tee -a "$RESULT"
      elif ! matches "$WORK/out/$n.guide" "$STEPS/$n.expect"; then
        fail "$name: the output differs from the guide's"
        diff -u "$STEPS/$n.expect" "$WORK/out/$n.guide" | sed '1,2d; s/^/    /' | head -40 | tee -a "$RESULT"
      else
        pass "$name"
      fi
      ;;
    file)
      path=$(printf '%s' "$text" | forward)
      if forward <"$STEPS/$n.content" >"$path"; then
        [[ $path == */host.yaml ]] && echo "sysfsRoot: $SYSFS" >>"$path"
        pass "$name (written)"
      else
        fail "$name: cannot write $path"
      fi
      ;;
    sandbox)
      action=${text%% | *}
      # Not in a subshell: the server it starts must stay known to this shell (cleanup stops it).
      name="L$line sandbox $action"
      if "sandbox_${action//-/_}" >"$WORK/out/$n" 2>&1; then
        pass "$name: $(head -1 "$WORK/out/$n")"
      else
        fail "$name"
        sed 's/^/    | /' "$WORK/out/$n" | tee -a "$RESULT"
      fi
      ;;
    skip)
      report "NOTE L$line not run: ${text#'# Not run by tests/guide: '}"
      ;;
  esac
done <"$STEPS/steps"

if [ -n "$VBMC_SERVER_PID" ] && ! kill -0 "$VBMC_SERVER_PID" 2>/dev/null; then
  fail "the service exited during the guide; log tail:"; tail -20 "$WORK/server.log" | sed 's/^/    | /'
fi
if [ -n "$RESULTS_DIR" ]; then
  mkdir -p "$RESULTS_DIR"
  { cat "$RESULT"; echo "$passed passed, $failed failed"; } >"$RESULTS_DIR/$SUITE.txt"
  echo "$passed passed, $failed failed" >"$RESULTS_DIR/summary.txt"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
