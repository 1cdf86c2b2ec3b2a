# Shared by the script-driven tiers (tests/clients/run-clients.sh, tests/guide/run-guide.sh, tests/qemu/crawl-on-qemu.sh):
# Debian packages, the Release build of the server, the demo sysfs fixture, password hashes, one server process in the
# background, and suites that print PASS/FAIL lines counted into RESULTS_DIR.
# Source it after setting REPO (the repository root) and VBMC_LOG_NAME (the prefix of log lines, e.g. run-clients).
# Functions return non-zero on failure and print why on stderr; the caller decides how to report it.

vbmc_log() { echo "${VBMC_LOG_NAME:-vbmc}: $*" >&2; }

# vbmc_install_packages PKG...: apt-get install the Debian packages that are not installed yet.
vbmc_install_packages() {
  local missing=() p sudo
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  vbmc_log "installing ${missing[*]}"
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get update -qq >/dev/null \
    && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { vbmc_log "apt-get install ${missing[*]} failed"; return 1; }
}

# vbmc_build_server: the product these tiers run, as a command: VBMC_CMD (array) and VBMC_CMD_Q (the same, shell-quoted).
# With VBMC_BIN (tests/run-all.sh sets it: the NativeAOT executable that packaging ships) that executable; otherwise
# `dotnet openchami-vbmc.dll` of the Release build (built here; VBMC_NO_BUILD=1 uses the existing build).
vbmc_build_server() {
  local log=/tmp/vbmc-${VBMC_LOG_NAME:-vbmc}-build.log
  if [ -n "${VBMC_BIN:-}" ]; then
    [ -x "$VBMC_BIN" ] || { vbmc_log "VBMC_BIN=$VBMC_BIN is not an executable"; return 1; }
    VBMC_CMD=("$VBMC_BIN")
  else
    VBMC_DLL=$REPO/src/OpenChami.VirtualBmc.Server/bin/Release/net10.0/openchami-vbmc.dll
    if [ "${VBMC_NO_BUILD:-0}" != 1 ] || [ ! -f "$VBMC_DLL" ]; then
      vbmc_log "building the server"
      (cd "$REPO" && dotnet build src/OpenChami.VirtualBmc.Server -c Release -nologo --verbosity quiet) >"$log" 2>&1 \
        || { cat "$log" >&2; vbmc_log "build failed"; return 1; }
    fi
    VBMC_CMD=(dotnet "$VBMC_DLL")
  fi
  VBMC_CMD_Q=$(printf '%q ' "${VBMC_CMD[@]}")
  vbmc_log "product: ${VBMC_CMD[*]}"
}

# vbmc_demo_fixture: the demo's fake sysfs tree at $REPO/.demo/sysfs and the demo catalog's base image at
# $REPO/.demo/images/ubuntu-hpc-base.img (written by the fixture tool when missing); sets VBMC_SYSFS and
# VBMC_BASE_IMAGE. Treat them as read-only: copy the tree (cp -a; its links are relative) before writing to it.
vbmc_demo_fixture() {
  VBMC_SYSFS=$REPO/.demo/sysfs
  VBMC_BASE_IMAGE=$REPO/.demo/images/ubuntu-hpc-base.img
  if [ ! -f "$VBMC_BASE_IMAGE" ]; then
    (cd "$REPO" && dotnet run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release -- --base-image "$VBMC_BASE_IMAGE") >/dev/null \
      || { vbmc_log "demo base image failed"; return 1; }
  fi
  [ -d "$VBMC_SYSFS" ] && return 0
  vbmc_log "generating the demo sysfs tree in $VBMC_SYSFS"
  (cd "$REPO" && dotnet run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release -- "$VBMC_SYSFS") >/dev/null \
    || { vbmc_log "demo fixture failed"; return 1; }
}

# vbmc_hash_password PASSWORD: prints the accounts-file hash of PASSWORD, made by the product (vbmc_build_server first).
vbmc_hash_password() {
  printf '%s' "$1" | "${VBMC_CMD[@]}" hash-password
}

VBMC_SERVER_PID=

# vbmc_start_server HOST_FILE LOG: openchami-vbmc serve in the background (vbmc_build_server first); sets VBMC_SERVER_PID.
vbmc_start_server() {
  "${VBMC_CMD[@]}" serve --config "$1" >"$2" 2>&1 &
  VBMC_SERVER_PID=$!
}

# vbmc_wait_for_server CACERT URL...: waits up to 60 s until every URL's /redfish/v1 answers over TLS verified with
# CACERT (which the server may still be generating). Non-zero if the server exits or the time runs out.
vbmc_wait_for_server() {
  local cacert=$1 url pending; shift
  for _ in $(seq 120); do
    kill -0 "$VBMC_SERVER_PID" 2>/dev/null || return 1
    pending=0
    if [ -f "$cacert" ]; then
      for url in "$@"; do
        curl -sf --max-time 2 --cacert "$cacert" "$url/redfish/v1" >/dev/null || { pending=1; break; }
      done
    else
      pending=1
    fi
    [ "$pending" = 0 ] && return 0
    sleep 0.5
  done
  return 1
}

# vbmc_stop_server: SIGTERM, 5 s to stop, then SIGKILL. Safe to call when nothing runs.
vbmc_stop_server() {
  if [ -n "$VBMC_SERVER_PID" ] && kill -0 "$VBMC_SERVER_PID" 2>/dev/null; then
    kill "$VBMC_SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$VBMC_SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$VBMC_SERVER_PID" 2>/dev/null
  fi
  VBMC_SERVER_PID=
}

# Suites: commands that print "PASS name" / "FAIL name: reason" lines (other lines are shown, not counted).
VBMC_PASSED=0
VBMC_FAILED=0

# vbmc_run_suite WORK RESULTS_DIR NAME CMD...: runs CMD with stdout in WORK/NAME.out and stderr in WORK/NAME.err, prints
# its output and adds its PASS/FAIL lines to VBMC_PASSED/VBMC_FAILED; a non-zero exit without a FAIL line counts as one
# failure. With RESULTS_DIR (may be empty), writes the lines and "N passed, N failed" to RESULTS_DIR/NAME.txt.
vbmc_run_suite() {
  local work=$1 results=$2 name=$3; shift 3
  local out=$work/$name.out p f rc
  echo "== $name"
  "$@" >"$out" 2>"$work/$name.err"
  rc=$?
  cat "$out"
  p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL $name: exited $rc without a FAIL line; stderr:" | tee -a "$out"
    sed 's/^/    /' "$work/$name.err" | tail -20
    f=1
  fi
  VBMC_PASSED=$((VBMC_PASSED + p)); VBMC_FAILED=$((VBMC_FAILED + f))
  if [ -n "$results" ]; then
    mkdir -p "$results"
    { cat "$out"; echo "$p passed, $f failed"; } >"$results/$name.txt"
  fi
}

# vbmc_summary RESULTS_DIR: prints "N passed, N failed" (VBMC_PASSED/VBMC_FAILED) and, with RESULTS_DIR, writes it to
# RESULTS_DIR/summary.txt, the line .ci/trx-summary adds to the total. Returns non-zero when something failed.
vbmc_summary() {
  if [ -n "$1" ]; then
    mkdir -p "$1"
    echo "$VBMC_PASSED passed, $VBMC_FAILED failed" >"$1/summary.txt"
  fi
  echo "$VBMC_PASSED passed, $VBMC_FAILED failed"
  [ "$VBMC_FAILED" -eq 0 ]
}
