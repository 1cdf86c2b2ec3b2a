#!/usr/bin/python3
"""Ansible's community.general Redfish modules (Debian package ansible 7.7, community.general 6.6), unmodified, against
one slot endpoint of openchami-vbmc: what a site's automation reads and sets on a BMC.

Each module runs as `ansible localhost -m community.general.<module>` with the JSON stdout callback, exactly as a
playbook task would; every check prints "PASS name" or "FAIL name: reason". What a module set is read back with the
module itself and, where the module cannot see it, with a plain GET. The modules never verify TLS (validate_certs=False
is hard-coded in redfish_utils), so no CA file is given to them.

Environment (set by run-clients.sh): VBMC_URL (slot0 endpoint), VBMC_HOST, VBMC_PORT, VBMC_CACERT, VBMC_USER,
VBMC_PASSWORD.
"""
import json
import os
import subprocess
import sys
import tempfile
import traceback

import requests

URL = os.environ["VBMC_URL"]
BASEURI = "%s:%s" % (os.environ["VBMC_HOST"], os.environ["VBMC_PORT"])
CACERT = os.environ["VBMC_CACERT"]
USER = os.environ.get("VBMC_USER", "admin")
PASSWORD = os.environ.get("VBMC_PASSWORD", "vbmc-demo")
SYSTEM = "/redfish/v1/Systems/slot0"
HOME = tempfile.mkdtemp(prefix="vbmc-ansible-")
FAILED = []


def ansible(module, **args):
    """Runs one module against the slot endpoint; returns its result dict (failed results included)."""
    args = dict(args, baseuri=BASEURI, username=USER, password=PASSWORD, timeout=30)
    env = dict(os.environ, HOME=HOME, ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
               ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3", ANSIBLE_NOCOLOR="1")
    run = subprocess.run(["ansible", "localhost", "-c", "local", "-m", "community.general." + module, "-a", json.dumps(args)],
                         env=env, capture_output=True, text=True, timeout=300, check=False)
    try:
        plays = json.loads(run.stdout)
        return plays["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as e:
        raise AssertionError("ansible %s gave no JSON result (exit %d): %s %s" % (module, run.returncode, run.stdout[-400:], run.stderr[-400:])) from e


def ok(result, what):
    assert not result.get("failed"), "%s failed: %s" % (what, result.get("msg"))
    return result


def info(category, command):
    """redfish_info's entries for one command (the ones of the first and only system, manager or service)."""
    result = ok(ansible("redfish_info", category=category, command=command), command)
    facts = result["redfish_facts"]
    key = {"GetBootOrder": "boot_order", "GetBiosAttributes": "bios_attribute", "GetLogs": "log",
           "GetNetworkProtocols": "network_protocols", "GetFirmwareInventory": "firmware",
           "GetSoftwareInventory": "software"}[command]
    section = facts[key]
    assert section.get("ret") is True, "%s: ret is %r: %s" % (command, section.get("ret"), section.get("msg"))
    entries = section["entries"]
    # Per-system commands aggregate: [[{"system_uri": ...}, entries], ...]
    if command in ("GetBootOrder", "GetBiosAttributes"):
        assert len(entries) == 1 and entries[0][0]["system_uri"] == SYSTEM, entries
        return entries[0][1]
    return entries


def get(path):
    response = requests.get(URL + path, auth=(USER, PASSWORD), verify=CACERT, timeout=30)
    response.raise_for_status()
    return response.json()


def post(path, body):
    return requests.post(URL + path, auth=(USER, PASSWORD), verify=CACERT, timeout=60, json=body)


def check(name):
    def register(fn):
        try:
            fn()
            print("PASS " + name)
        except Exception as e:  # noqa: BLE001 — any failure of a check is reported, the others still run
            FAILED.append(name)
            print("FAIL %s: %s" % (name, str(e).replace("\n", " ")[:600]))
            traceback.print_exc(file=sys.stderr)
        return fn
    return register


def references(entries):
    return [e["BootOptionReference"] for e in entries]


@check("ansible_get_boot_order")
def _():
    entries = info("Systems", "GetBootOrder")
    assert references(entries) == ["Boot0000", "Boot0002"], entries
    assert all(e.get("DisplayName") for e in entries), "every boot option has a DisplayName: %s" % entries


@check("ansible_set_boot_order")
def _():
    result = ok(ansible("redfish_config", category="Systems", command="SetBootOrder", boot_order=["Boot0001", "Boot0000"]), "SetBootOrder")
    assert result.get("changed") is True, result
    assert references(info("Systems", "GetBootOrder")) == ["Boot0001", "Boot0000"]
    again = ok(ansible("redfish_config", category="Systems", command="SetBootOrder", boot_order=["Boot0001", "Boot0000"]), "SetBootOrder again")
    assert again.get("changed") is False, "the same order again changes nothing: %s" % again
    refused = ansible("redfish_config", category="Systems", command="SetBootOrder", boot_order=["Boot0009"])
    assert refused.get("failed"), "an unknown boot option is refused: %s" % refused


@check("ansible_set_default_boot_order")
def _():
    ok(ansible("redfish_config", category="Systems", command="SetDefaultBootOrder"), "SetDefaultBootOrder")
    assert references(info("Systems", "GetBootOrder")) == ["Boot0000", "Boot0002"]


@check("ansible_get_bios_attributes")
def _():
    attributes = info("Systems", "GetBiosAttributes")
    assert attributes.get("FirmwareType") in ("UEFI", "BIOS"), attributes
    assert attributes.get("BootMode") in ("UEFI", "Legacy"), attributes
    assert attributes.get("BootMenu") == "Disabled", attributes
    for name in ("SecureBoot", "NumaPolicy", "Hugepages", "HugepageSize"):
        assert name in attributes, "%s missing: %s" % (name, attributes)


@check("ansible_set_bios_attributes")
def _():
    wanted = {"BootMenu": "Enabled", "BootMenuTimeoutSeconds": 3}
    result = ok(ansible("redfish_config", category="Systems", command="SetBiosAttributes", bios_attributes=wanted), "SetBiosAttributes")
    assert result.get("changed") is True, result
    assert get(SYSTEM + "/Bios/Settings")["Attributes"] == wanted, "pending settings read back"
    # Applied at the next power-on, like a real BIOS setup: the VM is power-cycled and the Bios shows them.
    ok(ansible("redfish_command", category="Systems", command="PowerForceOff"), "PowerForceOff")
    ok(ansible("redfish_command", category="Systems", command="PowerOn"), "PowerOn")
    attributes = info("Systems", "GetBiosAttributes")
    assert {k: attributes.get(k) for k in wanted} == wanted, attributes
    read_only = ansible("redfish_config", category="Systems", command="SetBiosAttributes",
                        bios_attributes={"FirmwareType": "UEFI" if attributes["FirmwareType"] == "BIOS" else "BIOS"})
    assert read_only.get("failed"), "a read-only attribute is refused: %s" % read_only
    assert "read-only" in str(read_only.get("msg")), read_only.get("msg")
    ok(ansible("redfish_config", category="Systems", command="SetBiosDefaultSettings"), "SetBiosDefaultSettings")
    assert get(SYSTEM + "/Bios/Settings")["Attributes"]["BootMenu"] == "Disabled"


def patch(path, body):
    return requests.patch(URL + path, auth=(USER, PASSWORD), verify=CACERT, timeout=60, json=body)


@check("ansible_enable_secure_boot")
def _():
    secure_boot = SYSTEM + "/SecureBoot"
    assert get(secure_boot)["SecureBootEnable"] is False, "off until someone switches it on"
    result = ok(ansible("redfish_config", category="Systems", command="EnableSecureBoot"), "EnableSecureBoot")
    assert result.get("changed") is True, result
    assert get(secure_boot)["SecureBootEnable"] is True, "read back"
    again = ok(ansible("redfish_config", category="Systems", command="EnableSecureBoot"), "EnableSecureBoot again")
    assert again.get("changed") is False, "already on: %s" % again
    # Off again for the suites after this one (the module has no DisableSecureBoot).
    off = patch(secure_boot, {"SecureBootEnable": False})
    assert off.status_code in (200, 204), (off.status_code, off.text[:300])


@check("ansible_get_network_protocols")
def _():
    protocols = info("Manager", "GetNetworkProtocols")
    https = protocols["HTTPS"]
    assert https["ProtocolEnabled"] is True and https["Port"] == int(os.environ["VBMC_PORT"]), https
    assert protocols["IPMI"]["ProtocolEnabled"] is False, protocols["IPMI"]
    assert "SSH" in protocols and "NetworkSuppliedServers" in protocols["NTP"], protocols


def log_named(logs, word):
    """GetLogs names every log by its Entries URI's last segment ("Entries"): the Description tells them apart."""
    found = [log["Entries"] for log in logs if word in log["Description"].lower()]
    assert len(found) == 1, "one %s log among %s" % (word, [log["Description"] for log in logs])
    return found[0]


@check("ansible_get_logs_and_clear_logs")
def _():
    logs = info("Manager", "GetLogs")
    events = log_named(logs, "event")
    assert events and all(e.get("MessageId", "").startswith("OpenCHAMIVbmc.") for e in events), events[:3]
    audit = log_named(logs, "audit")
    assert audit, "the audit log has the flow's own writes"
    ok(ansible("redfish_command", category="Manager", command="ClearLogs"), "ClearLogs")
    after = info("Manager", "GetLogs")
    events = log_named(after, "event")
    assert len(events) == 1 and "clear" in events[0]["Message"].lower(), events
    assert len(log_named(after, "audit")) >= len(audit), "the audit log is never cleared over Redfish"
    refused = post("/redfish/v1/Managers/BMC/LogServices/AuditLog/Actions/LogService.ClearLog", {})
    assert refused.status_code >= 400 and "ActionNotSupported" in refused.text, (refused.status_code, refused.text[:300])


@check("ansible_get_firmware_inventory")
def _():
    firmware = {e["Id"]: e for e in info("Update", "GetFirmwareInventory")}
    assert "BMC" in firmware and firmware["BMC"].get("Version"), firmware
    assert firmware["BMC"].get("Updateable") is False, firmware["BMC"]
    slot = [e for i, e in firmware.items() if i.startswith("slot0")]
    assert slot, "the slot's firmware is listed: %s" % list(firmware)


@check("ansible_get_software_inventory")
def _():
    software = {e["Id"]: e for e in info("Update", "GetSoftwareInventory")}
    assert software.get("openchami-vbmc", {}).get("Version"), software


print("%d checks failed" % len(FAILED) if FAILED else "all checks passed", file=sys.stderr)
sys.exit(1 if FAILED else 0)
