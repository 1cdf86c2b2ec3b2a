# The curl lines for the README, exactly as they are run by tests/clients/curl_examples.sh.
# curl_examples.sh runs every line below twice: once as written (-k, as for `make demo`) and once with
# -k replaced by "--cacert .demo/tls/cert.pem" (the generated certificate), with the demo address and port
# substituted by the test's own. Each example is one line; `# expect:` says what the test checks.

# Service root: no authentication needed
curl -sk https://127.0.0.10:8443/redfish/v1/ | jq .RedfishVersion
# expect: "1.

# A slot's System (Basic authentication)
curl -sk -u admin:vbmc-demo https://127.0.0.10:8443/redfish/v1/Systems/slot0 | jq '{PowerState, Boot}'
# expect: "PowerState":

# Power off hard, then on (204 No Content)
curl -sk -u admin:vbmc-demo -X POST -H 'Content-Type: application/json' -d '{"ResetType":"ForceOff"}' -w '%{http_code}\n' https://127.0.0.10:8443/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset
# expect: 204
curl -sk -u admin:vbmc-demo -X POST -H 'Content-Type: application/json' -d '{"ResetType":"On"}' -w '%{http_code}\n' https://127.0.0.10:8443/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset
# expect: 204

# Boot from the network once
curl -sk -u admin:vbmc-demo -X PATCH -H 'Content-Type: application/json' -d '{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}}' https://127.0.0.10:8443/redfish/v1/Systems/slot0 | jq -c .Boot
# expect: "BootSourceOverrideEnabled":"Once"

# A Redfish session: log in (the token is in the X-Auth-Token header, the session in Location), use it, log out
curl -sk -D headers.txt -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' -d '{"UserName":"admin","Password":"vbmc-demo"}' https://127.0.0.10:8443/redfish/v1/SessionService/Sessions
# expect: 201
TOKEN=$(grep -i '^X-Auth-Token:' headers.txt | cut -d' ' -f2 | tr -d '\r'); SESSION=$(grep -i '^Location:' headers.txt | cut -d' ' -f2 | tr -d '\r')
# expect:
curl -sk -H "X-Auth-Token: $TOKEN" https://127.0.0.10:8443/redfish/v1/Systems/slot0 | jq -r .PowerState
# expect: On
curl -sk -H "X-Auth-Token: $TOKEN" -X DELETE -w '%{http_code}\n' "https://127.0.0.10:8443$SESSION"
# expect: 204
curl -sk -H "X-Auth-Token: $TOKEN" -o /dev/null -w '%{http_code}\n' https://127.0.0.10:8443/redfish/v1/Systems/slot0
# expect: 401

# Virtual media: the service downloads the image (download policy: docs/virtual-media.md), boot from it once, eject
curl -sk -u admin:vbmc-demo -X POST -H 'Content-Type: application/json' -d '{"Image":"http://127.0.0.1:8099/demo-boot.iso"}' -w '%{http_code}\n' https://127.0.0.10:8443/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia
# expect: 204
curl -sk -u admin:vbmc-demo https://127.0.0.10:8443/redfish/v1/Systems/slot0/VirtualMedia/Cd | jq -c '{Inserted, Image}'
# expect: "Inserted":true
curl -sk -u admin:vbmc-demo -X PATCH -H 'Content-Type: application/json' -d '{"Boot":{"BootSourceOverrideTarget":"Cd","BootSourceOverrideEnabled":"Once"}}' https://127.0.0.10:8443/redfish/v1/Systems/slot0 | jq -c .Boot.BootSourceOverrideTarget
# expect: "Cd"
curl -sk -u admin:vbmc-demo -X POST -H 'Content-Type: application/json' -d '{"ResetType":"ForceRestart"}' -w '%{http_code}\n' https://127.0.0.10:8443/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset
# expect: 204
curl -sk -u admin:vbmc-demo -X POST -H 'Content-Type: application/json' -d '{}' -w '%{http_code}\n' https://127.0.0.10:8443/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia
# expect: 204
curl -sk -u admin:vbmc-demo -X POST -H 'Content-Type: application/json' -d '{"Image":"http://10.1.2.3/boot.iso"}' https://127.0.0.10:8443/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia | jq -r .error.code   # a private address: refused by the download policy
# expect: ActionParameterValueFormatError

# A slot that failed host validation: present, UnavailableOffline, with its findings
curl -sk https://127.0.0.12:8443/redfish/v1/Systems/slot2 -u admin:vbmc-demo | jq .Status   # a slot that failed validation
# expect: UnavailableOffline
