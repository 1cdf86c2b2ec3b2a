#!/usr/bin/env bash
# Runs the README's curl lines (tests/clients/readme-curl-examples.sh) as written, twice: with -k (the form the
# README shows for the demo) and with --cacert on the generated certificate. Only the demo address and port are
# substituted (and the demo's image server, 127.0.0.1:8099, by the tier's own). Prints PASS/FAIL per line and form.
# Environment (set by run-clients.sh): VBMC_HOST, VBMC_PORT, VBMC_CACERT, VBMC_HOST_SLOT2, VBMC_IMAGE_SERVER.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXAMPLES=$HERE/readme-curl-examples.sh
: "${VBMC_HOST:?}" "${VBMC_PORT:?}" "${VBMC_CACERT:?}"

run_form() {
  local form=$1 dir
  dir=$(mktemp -d)
  pushd "$dir" >/dev/null || return
  local line command="" n=0
  while IFS= read -r line; do
    if [[ $line == '# expect:'* ]]; then
      [ -z "$command" ] && continue
      local expect=${line#'# expect:'}; expect=${expect# }
      n=$((n + 1))
      local run=${command//127.0.0.10:8443/$VBMC_HOST:$VBMC_PORT}
      run=${run//127.0.0.12:8443/${VBMC_HOST_SLOT2:?}:$VBMC_PORT}
      run=${run//127.0.0.1:8099/${VBMC_IMAGE_SERVER:?}}
      if [ "$form" = cacert ]; then run=${run//curl -sk /curl -s --cacert $VBMC_CACERT }; fi
      local rc=0
      eval "$run" >out.txt 2>err.txt || rc=$?
      local name="$form#$n ${run:0:90}"
      if [ "$rc" -ne 0 ]; then
        echo "FAIL $name: exit $rc: $(tr '\n' ' ' <err.txt | cut -c1-200)"
      elif [ -n "$expect" ] && ! grep -qF -- "$expect" out.txt; then
        echo "FAIL $name: output lacks '$expect': $(tr '\n' ' ' <out.txt | cut -c1-200)"
      else
        echo "PASS $name"
      fi
      command=""
    elif [[ -n $line && $line != '#'* ]]; then
      command=$line
    fi
  done <"$EXAMPLES"
  popd >/dev/null || return
  rm -rf "$dir"
}

run_form k
run_form cacert
