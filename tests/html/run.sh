#!/usr/bin/env bash
# The audit page in a real browser: Debian's headless Chromium renders the demo node's page (validate --html) and the
# 64-VF node's page to PNG and prints them to PDF (kept in RESULTS_DIR as test artifacts), the DOM Chromium built
# names every slot and every finding code of validate --json, the browser logs no console message (a CSP violation or
# a script error would be one; a control page proves the check sees them), and the page passes xmllint (well-formed)
# and tidy (HTML).
#
#   tests/html/run.sh [RESULTS_DIR]
#
# Installs chromium, fonts-dejavu-core, libxml2-utils, tidy and jq with apt-get when missing. Prints PASS/FAIL lines and
# "N passed, N failed"; with RESULTS_DIR also writes them to RESULTS_DIR/summary.txt for .ci/trx-summary.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RESULTS_DIR=${1:-}
[ -n "$RESULTS_DIR" ] && mkdir -p "$RESULTS_DIR" && RESULTS_DIR=$(cd "$RESULTS_DIR" && pwd)

VBMC_LOG_NAME=run-html
# shellcheck source=../lib/server.sh
. "$REPO/tests/lib/server.sh"
log() { vbmc_log "$@"; }
give_up() { echo "0 passed, 1 failed"; [ -n "$RESULTS_DIR" ] && echo "0 passed, 1 failed" >"$RESULTS_DIR/summary.txt"; exit 1; }

vbmc_install_packages chromium fonts-dejavu-core libxml2-utils tidy jq || give_up
cd "$REPO"
vbmc_build_server || give_up
vbmc_demo_fixture || give_up

WORK=$(mktemp -d /tmp/vbmc-html.XXXXXX)
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT
OUT=${RESULTS_DIR:-$WORK}
pass() { echo "PASS $1"; VBMC_PASSED=$((VBMC_PASSED + 1)); }
fail() { echo "FAIL $1"; VBMC_FAILED=$((VBMC_FAILED + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

# chromium FLAGS... URL: headless, its own profile, bounded in time; the browser's log (console messages) on stderr.
chromium_run() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --user-data-dir="$WORK/profile" \
    --enable-logging=stderr --v=0 "$@"
}

# --- the pages ------------------------------------------------------------------------------------------------
# The demo as `make demo` validates it (exit 1: slot2 and slot3 fail, as designed).
"${VBMC_CMD[@]}" validate --config examples/demo/host.yaml --json --html "$OUT/demo.html" >"$WORK/demo.json" 2>"$WORK/demo.err"
check "validate --html writes the demo page (exit 1: two slots fail)" test "$?" = 1 -a -s "$OUT/demo.html"
(cd "$REPO" && dotnet run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release -- --large "$WORK/large") >/dev/null || give_up
"${VBMC_CMD[@]}" validate --config "$WORK/large/host.yaml" --html "$OUT/large.html" --timings >/dev/null 2>"$WORK/large.err"
check "validate --html writes the 64-VF node's page (exit 0: every slot usable)" test "$?" = 0 -a -s "$OUT/large.html"
grep -o 'render html [0-9.]* ms' "$WORK/large.err" | sed 's/^/    64-VF node: /'

for page in demo large; do
  check "$page page is well-formed XML (xmllint)" xmllint --noout "$OUT/$page.html"
  if tidy -q -e "$OUT/$page.html" >"$WORK/$page.tidy" 2>&1; then pass "$page page: tidy reports no warning or error"
  else fail "$page page: tidy: $(head -3 "$WORK/$page.tidy" | tr '\n' ' ')"; fi

  chromium_run --window-size=1400,2400 --screenshot="$OUT/$page.png" "file://$OUT/$page.html" >/dev/null 2>"$WORK/$page.shot.err"
  size=$(stat -c %s "$OUT/$page.png" 2>/dev/null || echo 0)
  check "$page page renders to PNG in Chromium ($size bytes, $OUT/$page.png)" test "$size" -gt 50000

  chromium_run --no-pdf-header-footer --print-to-pdf="$OUT/$page.pdf" "file://$OUT/$page.html" >/dev/null 2>"$WORK/$page.pdf.err"
  check "$page page prints (Chromium's print to PDF, $OUT/$page.pdf)" grep -q '^%PDF-' "$OUT/$page.pdf"

  chromium_run --dump-dom "file://$OUT/$page.html" >"$WORK/$page.dom" 2>"$WORK/$page.dom.err"
  console=$(grep -h ':CONSOLE' "$WORK/$page.shot.err" "$WORK/$page.pdf.err" "$WORK/$page.dom.err")
  if [ -z "$console" ]; then pass "$page page: no console message in Chromium"
  else fail "$page page: Chromium console: $(echo "$console" | head -3)"; fi
done

# The DOM Chromium built names every slot and every finding code of the JSON report (one source for both).
missing=""
for word in $(jq -r '.slots[] | .slot, (.findings[] | .code)' "$WORK/demo.json" | sort -u); do
  grep -q -- "$word" "$WORK/demo.dom" || missing="$missing $word"
done
codes=$(jq '[.slots[].findings[]] | length' "$WORK/demo.json")
check "the browser's DOM names every slot and finding code of validate --json ($codes findings)${missing:+; missing:$missing}" test -z "$missing" -a "$codes" -gt 0

# Control: a page whose style breaks its CSP and that runs a script must show up as console messages, or the check
# above proves nothing.
cat >"$WORK/control.html" <<'HTML'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'sha256-AAAA'"/>
<title>control</title><style>body{color:red}</style></head><body><p>control</p><script>console.error("control")</script></body></html>
HTML
chromium_run --dump-dom "file://$WORK/control.html" >/dev/null 2>"$WORK/control.err"
check "control page: the console check sees a CSP violation ($(grep -c ':CONSOLE' "$WORK/control.err") messages)" grep -q ':CONSOLE' "$WORK/control.err"

vbmc_summary "$RESULTS_DIR"
