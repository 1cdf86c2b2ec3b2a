#!/usr/bin/env bash
# DMTF redfishtool (Debian package 1.1.5), unmodified, against the slot0 endpoint. PASS/FAIL lines.
#
# Notes on redfishtool itself:
#  - it needs -S Always: its default (-S IfLoginOrAuthenticatedApi) first probes GET /redfish over plain HTTP,
#    which an HTTPS-only BMC does not answer (exit 5, no output);
#  - it never verifies the server certificate (requests' verify=False is hard-coded in redfishtoolTransport.py),
#    so the --cacert form of the check is not available with this client.
# Environment (set by run-clients.sh): VBMC_HOST, VBMC_PORT, VBMC_CACERT, VBMC_USER, VBMC_PASSWORD.
set -u
: "${VBMC_HOST:?}" "${VBMC_PORT:?}" "${VBMC_CACERT:?}"
USER_=${VBMC_USER:-admin} PASS_=${VBMC_PASSWORD:-vbmc-demo}
URL=https://$VBMC_HOST:$VBMC_PORT
RFT=(redfishtool -r "$VBMC_HOST:$VBMC_PORT" -u "$USER_" -p "$PASS_" -S Always -T 30)
OUT=$(mktemp) ERR=$(mktemp)
trap 'rm -f "$OUT" "$ERR"' EXIT
failed=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
# rft NAME ARGS... : run redfishtool, output in $OUT; FAIL on a non-zero exit
rft() {
  local name=$1; shift
  if ! "${RFT[@]}" "$@" >"$OUT" 2>"$ERR"; then
    fail "$name" "redfishtool $* exited $?: $(tr '\n' ' ' <"$ERR" | cut -c1-300)"
    return 1
  fi
}
# served JQ : the server's own view (curl, verified TLS), to check what redfishtool did
served() { curl -sf --cacert "$VBMC_CACERT" -u "$USER_:$PASS_" "$URL/redfish/v1/Systems/slot0" | jq -r "$1"; }
expect() {  # NAME ACTUAL EXPECTED
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$3', got '$2'"; fi
}

# raw GET of the System
if rft raw_get_system raw GET /redfish/v1/Systems/slot0; then
  expect raw_get_system "$(jq -r '.Id + " " + .["@odata.id"]' "$OUT")" "slot0 /redfish/v1/Systems/slot0"
fi

# Systems collection list and get
if rft systems_list Systems list; then
  if grep -q '/redfish/v1/Systems/slot0' "$OUT"; then pass systems_list; else fail systems_list "slot0 not listed: $(tr '\n' ' ' <"$OUT" | cut -c1-200)"; fi
fi
if rft systems_get_one Systems -1 get; then
  expect systems_get_one "$(jq -r .Id "$OUT")" slot0
fi
if rft systems_get_powerstate Systems -I slot0 get -P PowerState; then
  expect systems_get_powerstate "$(jq -r .PowerState "$OUT")" "$(served .PowerState)"
fi

# Boot override, read back from the server
if rft set_boot_override_once_pxe Systems -I slot0 setBootOverride Once Pxe; then
  expect set_boot_override_once_pxe "$(served '.Boot.BootSourceOverrideEnabled + " " + .Boot.BootSourceOverrideTarget')" "Once Pxe"
fi
if rft set_boot_override_continuous_hdd Systems -I slot0 setBootOverride Continuous Hdd; then
  expect set_boot_override_continuous_hdd "$(served '.Boot.BootSourceOverrideEnabled + " " + .Boot.BootSourceOverrideTarget')" "Continuous Hdd"
fi
if rft set_boot_override_disabled Systems -I slot0 setBootOverride Disabled None; then
  expect set_boot_override_disabled "$(served .Boot.BootSourceOverrideEnabled)" "Disabled"
fi

# Resets, power state read back
for step in ForceOff:Off On:On GracefulRestart:On ForceRestart:On GracefulShutdown:Off On:On; do
  type=${step%%:*} want=${step#*:}
  if rft "reset_$type" Systems -I slot0 reset "$type"; then
    expect "reset_$type" "$(served .PowerState)" "$want"
  fi
done

# Session authentication: redfishtool logs in (POST Sessions), uses X-Auth-Token, deletes the session at exit
if "${RFT[@]}" -A Session -sss Systems -I slot0 get -P PowerState >"$OUT" 2>&1; then
  uri=$(sed -n 's/^#____SESSION_URI: *//p' "$OUT" | tr -d '\r ')
  if ! grep -q '^#__Request AuthType: Session' "$OUT"; then
    fail session_auth "no request was sent with session authentication"
  elif [ -z "$uri" ]; then
    fail session_auth "no session was created"
  elif ! grep -q "^#REQUEST:  DELETE .*$uri" "$OUT"; then
    fail session_auth "redfishtool did not delete its session $uri"
  else
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$VBMC_CACERT" -u "$USER_:$PASS_" "$URL$uri")
    expect session_auth "$code after logout" "404 after logout"
  fi
else
  fail session_auth "redfishtool -A Session exited non-zero: $(grep -v '^#' "$OUT" | tr '\n' ' ' | cut -c1-300)"
fi

# SessionService login / logout as separate calls (token passed with -t)
if "${RFT[@]}" SessionService login >"$OUT" 2>"$ERR"; then
  token=$(jq -r '.["X-Auth-Token"] // empty' "$OUT" 2>/dev/null)
  link=$(jq -r '.SessionLocation // empty' "$OUT" 2>/dev/null)
  if [ -z "$token" ] || [ -z "$link" ]; then
    fail sessionservice_login "no X-Auth-Token/SessionLocation in: $(tr '\n' ' ' <"$OUT" | cut -c1-300)"
  else
    pass sessionservice_login
    if redfishtool -r "$VBMC_HOST:$VBMC_PORT" -S Always -A Session -t "$token" Systems -I slot0 get -P PowerState >"$OUT" 2>"$ERR" \
       && [ -n "$(jq -r '.PowerState // empty' "$OUT")" ]; then pass sessionservice_token_use; else fail sessionservice_token_use "$(tr '\n' ' ' <"$ERR" | cut -c1-300)"; fi
    if redfishtool -r "$VBMC_HOST:$VBMC_PORT" -S Always -A Session -t "$token" SessionService logout -l "$link" >"$OUT" 2>"$ERR"; then
      code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$VBMC_CACERT" -H "X-Auth-Token: $token" "$URL/redfish/v1/Systems/slot0")
      expect sessionservice_logout "$code" 401
    else
      fail sessionservice_logout "$(tr '\n' ' ' <"$ERR" | cut -c1-300)"
    fi
  fi
else
  fail sessionservice_login "exited non-zero: $(tr '\n' ' ' <"$ERR" | cut -c1-300)"
fi

# Other resources redfishtool walks
rft managers_get Managers -1 get && expect managers_get "$(jq -r .ManagerType "$OUT")" BMC
rft chassis_get Chassis -1 get && expect chassis_get "$(jq -r '.Links.ComputerSystems[0]["@odata.id"]' "$OUT")" /redfish/v1/Systems/slot0
if rft ethernet_interfaces Systems -I slot0 EthernetInterfaces -a; then
  macs=$(jq -r '.. | objects | .MACAddress? // empty' "$OUT" | sort -u)
  if [ -n "$macs" ] && ! grep -qvE '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' <<<"$macs"; then pass ethernet_interfaces; else fail ethernet_interfaces "MACs: $macs"; fi
fi

# Wrong password must fail (redfishtool exits non-zero, the server answered 401)
if redfishtool -r "$VBMC_HOST:$VBMC_PORT" -u "$USER_" -p wrong-password -S Always Systems -I slot0 get >"$OUT" 2>"$ERR"; then
  fail wrong_password_refused "redfishtool succeeded with a wrong password"
elif grep -q '401' "$ERR"; then pass wrong_password_refused
else fail wrong_password_refused "failed, but not with 401: $(tr '\n' ' ' <"$ERR" | cut -c1-300)"
fi

# Accounts: an administrator adds, re-passwords, disables and deletes a user; the user changes its own password.
RFT_USER=rft$RANDOM
account() { curl -s --cacert "$VBMC_CACERT" -u "$USER_:$PASS_" "$URL/redfish/v1/AccountService/Accounts/$RFT_USER"; }
as_user() { curl -s -o /dev/null -w '%{http_code}' --cacert "$VBMC_CACERT" -u "$RFT_USER:$1" "$URL/redfish/v1/Systems"; }
if rft account_add AccountService adduser "$RFT_USER" first-password-123 Operator; then
  expect account_add "$(account | jq -r .RoleId)" Operator
fi
if rft account_setpassword AccountService setpassword "$RFT_USER" second-password-456; then
  expect account_setpassword "$(as_user second-password-456) $(as_user first-password-123)" "200 401"
fi
if redfishtool -r "$VBMC_HOST:$VBMC_PORT" -u "$RFT_USER" -p second-password-456 -S Always -T 30 \
    AccountService setpassword "$RFT_USER" third-password-789 >"$OUT" 2>"$ERR"; then
  expect account_own_password "$(as_user third-password-789)" 200
else
  fail account_own_password "redfishtool as the user exited $?: $(tr '\n' ' ' <"$ERR" | cut -c1-300)"
fi
if rft account_disable AccountService useradmin "$RFT_USER" disable; then
  expect account_disable "$(account | jq -r .Enabled) $(as_user third-password-789)" "false 401"
fi
if rft account_delete AccountService deleteuser "$RFT_USER"; then
  expect account_delete "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$VBMC_CACERT" -u "$USER_:$PASS_" "$URL/redfish/v1/AccountService/Accounts/$RFT_USER")" 404
fi

exit $failed
