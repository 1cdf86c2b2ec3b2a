#!/usr/bin/env bash
# Every test of the project, in tiers, then one plain line "N passed, N failed, N skipped" counted from the results:
#   1. unit and in-process tests (xunit; libvirt's test driver in process; real Kestrel on loopback)
#   2. the QEMU tier: real libvirtd + a TCG guest (tests/qemu/run-tier.sh; installs Debian packages)
#   3. the real clients against a running server: sushy, redfishtool, curl, the Magellan-like crawl (tests/clients)
#   4. the operator's guide: every command of docs/operator-guide.md, run on a sandbox node (tests/guide)
#   5. the audit page in a real browser: headless Chromium renders validate --html to PNG (tests/html)
# Set VBMC_SKIP_QEMU=1, VBMC_SKIP_CLIENTS=1, VBMC_SKIP_GUIDE=1 or VBMC_SKIP_HTML=1 to leave a tier out on a developer
# machine (the summary says so). Tiers 2-5 run the NativeAOT executable (VBMC_NO_AOT=1: the JIT build).
set -uo pipefail
cd "$(dirname "$0")/.."
results=${1:-TestResults}
rm -rf "$results"
mkdir -p "$results"
status=0

echo "== tier 1: unit and in-process tests"
dotnet test OpenChami.VirtualBmc.sln --no-restore --logger trx --results-directory "$results/unit" -nologo \
  --filter "FullyQualifiedName!~OpenChami.VirtualBmc.Qemu.Tests" || status=1

# The tiers below run the product as a process: they run the NativeAOT executable that packaging ships (built once
# here into artifacts/packaging/publish; .ci/run packages that same build). VBMC_NO_AOT=1 runs the JIT build instead.
if [ "${VBMC_NO_AOT:-0}" != 1 ] && [ -z "${VBMC_BIN:-}" ]; then
  echo "== the native executable (NativeAOT publish, as packaged)"
  if (source packaging/stage.sh && stage_publish); then
    export VBMC_BIN=$PWD/artifacts/packaging/publish/openchami-vbmc
  else
    echo "run-all: the NativeAOT publish failed; the process tiers cannot run what ships" >&2
    status=1
  fi
fi

if [ "${VBMC_SKIP_QEMU:-0}" = 1 ]; then
  echo "== tier 2: QEMU tier SKIPPED (VBMC_SKIP_QEMU=1)"
else
  echo "== tier 2: real libvirtd + QEMU"
  bash tests/qemu/run-tier.sh "$results/qemu" || status=1
fi

if [ "${VBMC_SKIP_CLIENTS:-0}" = 1 ]; then
  echo "== tier 3: real clients SKIPPED (VBMC_SKIP_CLIENTS=1)"
else
  echo "== tier 3: real clients (sushy, redfishtool, curl, crawl replay)"
  bash tests/clients/run-clients.sh "$results/clients" || status=1
fi

if [ "${VBMC_SKIP_GUIDE:-0}" = 1 ]; then
  echo "== tier 4: operator's guide SKIPPED (VBMC_SKIP_GUIDE=1)"
else
  echo "== tier 4: operator's guide (docs/operator-guide.md on a sandbox node)"
  bash tests/guide/run-guide.sh "$results/guide" || status=1
fi

if [ "${VBMC_SKIP_HTML:-0}" = 1 ]; then
  echo "== tier 5: audit page in Chromium SKIPPED (VBMC_SKIP_HTML=1)"
else
  echo "== tier 5: audit page in a real browser (headless Chromium; PNGs kept in $results/html)"
  bash tests/html/run.sh "$results/html" || status=1
fi

# A tier that ran must have left its counts where .ci/trx-summary looks, or its tests would silently not count.
for tier in unit:VBMC_SKIP_NONE qemu:VBMC_SKIP_QEMU qemu/crawl-on-qemu:VBMC_SKIP_QEMU clients:VBMC_SKIP_CLIENTS guide:VBMC_SKIP_GUIDE html:VBMC_SKIP_HTML; do
  dir=${tier%%:*} skip=${tier#*:}
  [ "${!skip:-0}" = 1 ] && continue
  if ! compgen -G "$results/$dir/*.trx" >/dev/null && [ ! -f "$results/$dir/summary.txt" ]; then
    echo "run-all: tier results missing in $results/$dir: its tests would not be counted" >&2
    status=1
  fi
done

bash .ci/trx-summary "$results" || status=1
exit $status
