#!/usr/bin/python3
"""The client contract's §7 "Magellan-like crawl" and PCS sequences, replayed against slot0's endpoint.

Python standard library only (urllib, http.client for the keep-alive check, ssl, json). Phases in the contract's
order; every body goes through a decoder as strict as Magellan's Go library (gofish types + encoding/json):
fields Magellan dereferences must be present and non-null, integers must be JSON integers (encoding/json refuses
"1" or 1.0 for an int), strings must be strings, and no null where a number, object or array is expected.
Prints "PASS name" / "FAIL name: reason" (and "NOTE" lines that are not counted).

Environment (set by run-clients.sh): VBMC_URL, VBMC_HOST, VBMC_PORT, VBMC_HOST_SLOT1, VBMC_CACERT,
VBMC_USER, VBMC_PASSWORD. Phase C (SMD) and step 28 (a real PCS) need the real services and are not run here.
Optional (tests/qemu/crawl-on-qemu.sh sets them; unset, nothing changes):
  VBMC_PCS_USER, VBMC_PCS_PASSWORD   Phase D's requests (PCS's polls and resets) use this account instead of
                                     VBMC_USER, as a site gives PCS an Operator account of its own.
  VBMC_CRAWL_AFTER_ON_CMD            a shell command run once per guest boot the crawl caused, when Phase D has
                                     seen PowerState On: after a power-on from Off and after each GracefulRestart or
                                     ForceRestart. It gets VBMC_CRAWL_BOOT = the guest's starts since that power-on
                                     (1 for the power-on itself, 2 after the first restart, ...). It must exit 0
                                     once the guest is ready for the next action (a real guest ignores the ACPI
                                     button until its init is up; PCS would then wait 5 minutes and ForceOff) and
                                     non-zero if it never is, which fails the step. VBMC_CRAWL_AFTER_ON_TIMEOUT
                                     (seconds, default 180) bounds it.
"""
import base64
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

URL = os.environ["VBMC_URL"].rstrip("/")
HOST = os.environ["VBMC_HOST"]
PORT = int(os.environ["VBMC_PORT"])
SLOT1_URL = "https://%s:%s" % (os.environ["VBMC_HOST_SLOT1"], PORT)
CACERT = os.environ["VBMC_CACERT"]
USER = os.environ.get("VBMC_USER", "admin")
PASSWORD = os.environ.get("VBMC_PASSWORD", "vbmc-demo")
PCS_USER = os.environ.get("VBMC_PCS_USER") or USER
PCS_PASSWORD = os.environ.get("VBMC_PCS_PASSWORD") or PASSWORD
AFTER_ON_CMD = os.environ.get("VBMC_CRAWL_AFTER_ON_CMD", "")
AFTER_ON_TIMEOUT = float(os.environ.get("VBMC_CRAWL_AFTER_ON_TIMEOUT", "180"))


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


BASIC = basic(USER, PASSWORD)
PCS_BASIC = basic(PCS_USER, PCS_PASSWORD)
S = "slot0"  # the System (and Chassis) Id of this endpoint
TLS = ssl.create_default_context(cafile=CACERT)  # verified TLS: the server's generated certificate
POWER_STATES = {"On", "Off", "PoweringOn", "PoweringOff"}

RESULTS = []


class Failure(Exception):
    pass


def check(name, fn, *args):
    try:
        fn(*args)
        print("PASS %s" % name, flush=True)
        RESULTS.append(True)
    except Exception as e:  # noqa: BLE001 - every failure is reported, the run goes on
        reason = str(e) if isinstance(e, Failure) else "%s: %s" % (type(e).__name__, e)
        print("FAIL %s: %s" % (name, reason.replace("\n", " ")[:700]), flush=True)
        RESULTS.append(False)


def note(text):
    print("NOTE %s" % text, flush=True)


def require(condition, message):
    if not condition:
        raise Failure(message)


# --- HTTP ------------------------------------------------------------------------------------------------

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx reaches the caller as-is: the contract wants 200 without a redirect


OPENER = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=TLS))


class Reply:
    def __init__(self, status, headers, raw):
        self.status, self.headers, self.raw = status, headers, raw
        self.body = None
        if raw:
            try:
                self.body = json.loads(raw, object_pairs_hook=no_duplicates)
            except ValueError as e:
                self.decode_error = str(e)


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate keys %s" % sorted({k for k in keys if keys.count(k) > 1}))
    return dict(pairs)


def request(method, path, auth=True, body=None, headers=None, base=None):
    """AUTH: True = the crawl's account, False = none, or an Authorization header value (PCS_BASIC)."""
    url = path if path.startswith("https://") else (base or URL) + path
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if auth:
        req.add_header("Authorization", BASIC if auth is True else auth)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with OPENER.open(req, timeout=30) as r:
            return Reply(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Reply(e.code, e.headers, e.read())


def get_ok(path, kind, auth=True, base=None):
    """GET, 200, Redfish headers, and a body that decodes strictly as KIND."""
    r = request("GET", path, auth=auth, base=base)
    require(r.status == 200, "GET %s: HTTP %s %s" % (path, r.status, r.raw[:200]))
    check_headers(r, path)
    require(isinstance(r.body, dict), "GET %s: body is not a JSON object" % path)
    decode(r.body, SCHEMAS[kind], kind)
    require(r.body.get("@odata.id", "").rstrip("/") == path.rstrip("/").split("?")[0] or path.endswith("/redfish/v1/"),
            "GET %s: @odata.id is %r" % (path, r.body.get("@odata.id")))
    return r.body


def check_headers(r, path):
    ctype = r.headers.get("Content-Type", "")
    require(ctype.split(";")[0].strip() == "application/json", "%s: Content-Type %r" % (path, ctype))
    require(r.headers.get("OData-Version") == "4.0", "%s: OData-Version %r" % (path, r.headers.get("OData-Version")))


# --- the strict decoder ----------------------------------------------------------------------------------
# A schema maps a property to a kind; "!" = Magellan/SMD/PCS dereference it, so it must be present and non-null.
# Kinds: str, int (JSON integer, not bool), num, bool, link ({"@odata.id": str}), ("obj", schema),
# ("arr", kind). Properties not in the schema are ignored by Go, but a null is still refused unless the
# schema says the property is a string (encoding/json leaves a string "" on null; for numbers and objects the
# contract forbids null outright).

LINK = ("obj", {"!@odata.id": "str"})
STATUS = ("obj", {"!State": "str", "!Health": "str", "Conditions": ("arr", ("obj", {
    "!MessageId": "str", "Message": "str", "MessageArgs": ("arr", "str"), "Severity": "str"}))})
RESOURCE = {"!@odata.id": "str", "!@odata.type": "str", "!Id": "str", "!Name": "str", "Description": "str"}
CONSOLE = ("obj", {"ServiceEnabled": "bool", "!Port": "int"})
IPV4 = ("obj", {"!Address": "str", "SubnetMask": "str", "AddressOrigin": "str", "Gateway": "str"})

SCHEMAS = {
    "ServiceRoot": dict(RESOURCE, **{
        "!RedfishVersion": "str", "!UUID": "str", "!Systems": LINK, "!Chassis": LINK, "!Managers": LINK,
        "SessionService": LINK, "AccountService": LINK, "Links": ("obj", {"Sessions": LINK}),
        "ProtocolFeaturesSupported": ("obj", {}), "Vendor": "str", "Product": "str"}),
    "Collection": {"!@odata.id": "str", "!@odata.type": "str", "!Name": "str", "!Members": ("arr", LINK),
                   "!Members@odata.count": "int", "Description": "str"},
    "ComputerSystem": dict(RESOURCE, **{
        "!UUID": "str", "!SystemType": "str", "!Manufacturer": "str", "!Model": "str", "!SerialNumber": "str",
        "!BiosVersion": "str", "!PowerState": "str", "!Status": STATUS,
        "!ProcessorSummary": ("obj", {"!Count": "int", "CoreCount": "int", "LogicalProcessorCount": "int",
                                       "Model": "str", "Status": STATUS}),
        "!MemorySummary": ("obj", {"!TotalSystemMemoryGiB": "num", "Status": STATUS}),
        "!SerialConsole": ("obj", {"MaxConcurrentSessions": "int", "!IPMI": CONSOLE, "!SSH": CONSOLE, "!Telnet": CONSOLE}),
        "Boot": ("obj", {"BootSourceOverrideEnabled": "str", "BootSourceOverrideTarget": "str",
                         "BootSourceOverrideMode": "str",
                         "BootSourceOverrideEnabled@Redfish.AllowableValues": ("arr", "str"),
                         "BootSourceOverrideTarget@Redfish.AllowableValues": ("arr", "str"),
                         "BootSourceOverrideMode@Redfish.AllowableValues": ("arr", "str")}),
        "!EthernetInterfaces": LINK, "VirtualMedia": LINK, "Processors": LINK, "Memory": LINK,
        "PCIeDevices": ("arr", LINK), "PCIeDevices@odata.count": "int",
        "!Links": ("obj", {"!Chassis": ("arr", LINK), "!ManagedBy": ("arr", LINK)}),
        "!Actions": ("obj", {"!#ComputerSystem.Reset": ("obj", {
            "!target": "str", "@Redfish.ActionInfo": "str", "!ResetType@Redfish.AllowableValues": ("arr", "str")})}),
        "Oem": ("obj", {}),
    }),
    "Chassis": dict(RESOURCE, **{
        "!ChassisType": "str", "Manufacturer": "str", "Model": "str", "SerialNumber": "str", "SKU": "str",
        "AssetTag": "str", "PowerState": "str", "!Status": STATUS,
        "!Links": ("obj", {"!ComputerSystems": ("arr", LINK), "ManagedBy": ("arr", LINK)}),
        "Power": LINK, "Thermal": LINK, "Controls": LINK, "NetworkAdapters": LINK, "Assembly": LINK}),
    "Manager": dict(RESOURCE, **{
        "!ManagerType": "str", "!UUID": "str", "!ServiceEntryPointUUID": "str", "Model": "str",
        "FirmwareVersion": "str", "PowerState": "str", "!Status": STATUS, "!EthernetInterfaces": LINK,
        "VirtualMedia": LINK,
        "!Links": ("obj", {"!ManagerForServers": ("arr", LINK), "ManagerForChassis": ("arr", LINK)}),
        "Actions": ("obj", {"#Manager.Reset": ("obj", {
            "!target": "str", "@Redfish.ActionInfo": "str", "!ResetType@Redfish.AllowableValues": ("arr", "str")})}),
        "LastResetTime": "str"}),
    "Processor": dict(RESOURCE, **{
        "Socket": "str", "ProcessorType": "str", "ProcessorArchitecture": "str", "InstructionSet": "str",
        "Manufacturer": "str", "Model": "str", "!SerialNumber": "str", "TotalCores": "int", "TotalEnabledCores": "int",
        "TotalThreads": "int", "MaxSpeedMHz": "int", "!Status": STATUS, "Oem": ("obj", {})}),
    "Memory": dict(RESOURCE, **{
        "MemoryType": "str", "MemoryDeviceType": "str", "!SerialNumber": "str", "!CapacityMiB": "int",
        "OperatingMemoryModes": ("arr", "str"), "!Status": STATUS, "Oem": ("obj", {})}),
    "Storage": dict(RESOURCE, **{"!Drives": ("arr", LINK), "Drives@odata.count": "int", "!Status": STATUS}),
    "Drive": dict(RESOURCE, **{"!CapacityBytes": "int", "Model": "str", "SerialNumber": "str", "!Status": STATUS}),
    "EthernetInterface": dict(RESOURCE, **{
        "!MACAddress": "str", "PermanentMACAddress": "str", "InterfaceEnabled": "bool", "Status": STATUS,
        "!IPv4Addresses": ("arr", IPV4), "IPv6Addresses": ("arr", ("obj", {"Address": "str"})), "SpeedMbps": "int"}),
    "ActionInfo": dict(RESOURCE, **{"!Parameters": ("arr", ("obj", {
        "!Name": "str", "Required": "bool", "DataType": "str", "AllowableValues": ("arr", "str")}))}),
    "Error": {"!error": ("obj", {"!code": "str", "!message": "str", "!@Message.ExtendedInfo": ("arr", ("obj", {
        "!MessageId": "str", "Message": "str", "MessageArgs": ("arr", "str"), "MessageSeverity": "str",
        "Resolution": "str"}))})},
}


def decode(value, schema, where):
    """Decode VALUE (a dict) with SCHEMA the way encoding/json into gofish structs would, plus the contract's rules."""
    fields = {}
    for key, kind in schema.items():
        required = key.startswith("!")
        fields[key.lstrip("!")] = (kind, required)
    for name, (kind, required) in fields.items():
        if required:
            require(name in value, "%s: %s is missing (Magellan/SMD/PCS dereference it)" % (where, name))
            require(value[name] is not None, "%s: %s is null (Magellan/SMD/PCS dereference it)" % (where, name))
    for name, item in value.items():
        path = "%s.%s" % (where, name)
        if name not in fields:
            require(item is not None, "%s is null (null is only tolerated for strings)" % path)
            continue
        if item is None:
            require(fields[name][0] == "str", "%s is null where a %s is expected" % (path, describe(fields[name][0])))
            continue
        decode_value(item, fields[name][0], path)


def decode_value(item, kind, path):
    if kind == "str":
        require(isinstance(item, str), "%s: %r is not a string" % (path, item))
    elif kind == "int":
        require(isinstance(item, int) and not isinstance(item, bool), "%s: %r is not a JSON integer" % (path, item))
    elif kind == "num":
        require(isinstance(item, (int, float)) and not isinstance(item, bool), "%s: %r is not a number" % (path, item))
    elif kind == "bool":
        require(isinstance(item, bool), "%s: %r is not a boolean" % (path, item))
    elif kind[0] == "obj":
        require(isinstance(item, dict), "%s: %r is not an object" % (path, item))
        decode(item, kind[1], path)
    elif kind[0] == "arr":
        require(isinstance(item, list), "%s: %r is not an array" % (path, item))
        for i, element in enumerate(item):
            require(element is not None, "%s[%d] is null" % (path, i))
            decode_value(element, kind[1], "%s[%d]" % (path, i))
    else:
        raise AssertionError("bad schema kind %r" % (kind,))


def describe(kind):
    return kind if isinstance(kind, str) else {"obj": "object", "arr": "array"}[kind[0]]


def members(collection):
    ids = [m["@odata.id"] for m in collection["Members"]]
    require(collection["Members@odata.count"] == len(ids),
            "Members@odata.count %s != %d members" % (collection["Members@odata.count"], len(ids)))
    return ids


# --- Phase A: magellan scan ------------------------------------------------------------------------------

def step1_tcp_connect():
    with socket.create_connection((HOST, PORT), timeout=5):
        pass


def step2_service_root_without_credentials():
    get_ok("/redfish/v1/", "ServiceRoot", auth=False)


# --- Phase B: collect / crawl, systems pass --------------------------------------------------------------

STATE = {}


def step3_service_root_links():
    root = get_ok("/redfish/v1/", "ServiceRoot", auth=False)
    for link in ("Systems", "Chassis", "Managers"):
        require(root[link]["@odata.id"].rstrip("/") == "/redfish/v1/" + link, "%s link is %r" % (link, root[link]))
    require(root.get("SessionService") and root.get("Links", {}).get("Sessions"),
            "sessions are supported, so SessionService and Links.Sessions must be linked")
    STATE["root_uuid"] = root["UUID"]


def step4_chassis_collection():
    require(members(get_ok("/redfish/v1/Chassis", "Collection")) == ["/redfish/v1/Chassis/" + S], "Chassis members")


def step5_chassis_links_system():
    chassis = get_ok("/redfish/v1/Chassis/" + S, "Chassis")
    require(chassis["Id"] == S, "Chassis Id %r (should be the System's Id)" % chassis["Id"])
    require(chassis["ChassisType"] == "RackMount", "ChassisType %r" % chassis["ChassisType"])
    links = [l["@odata.id"] for l in chassis["Links"]["ComputerSystems"]]
    require("/redfish/v1/Systems/" + S in links, "Links.ComputerSystems %r" % links)
    for name in ("Power", "Thermal", "Controls", "NetworkAdapters", "Assembly"):
        if name in chassis:  # linked means served
            r = request("GET", chassis[name]["@odata.id"])
            require(r.status == 200, "Chassis links %s but GET answers %s" % (name, r.status))


def system_assertions(system):
    require(system["Id"] == S and system["@odata.id"].rstrip("/").endswith("/" + S), "Id %r / @odata.id %r" % (system["Id"], system["@odata.id"]))
    require(system["UUID"], "UUID is empty")
    require(system["SystemType"] == "Physical", "SystemType %r" % system["SystemType"])
    require(system["ProcessorSummary"]["Count"] >= 1, "ProcessorSummary.Count %r" % system["ProcessorSummary"]["Count"])
    require(system["MemorySummary"]["TotalSystemMemoryGiB"] > 0, "TotalSystemMemoryGiB %r" % system["MemorySummary"]["TotalSystemMemoryGiB"])
    for console in ("IPMI", "SSH", "Telnet"):
        require(system["SerialConsole"][console]["Port"] >= 0, "SerialConsole.%s.Port negative" % console)
    require(system["PowerState"] in POWER_STATES, "PowerState %r" % system["PowerState"])
    reset = system["Actions"]["#ComputerSystem.Reset"]
    require(reset["target"] == "/redfish/v1/Systems/%s/Actions/ComputerSystem.Reset" % S, "Reset target %r" % reset["target"])
    allowed = set(reset["ResetType@Redfish.AllowableValues"])
    wanted = {"On", "ForceOff", "GracefulShutdown", "GracefulRestart"}
    require(wanted <= allowed, "AllowableValues lacks %s" % sorted(wanted - allowed))
    require(system["Status"]["State"] == "Enabled" and system["Status"]["Health"] == "OK", "Status %r" % system["Status"])


def step6_system():
    system = get_ok("/redfish/v1/Systems/" + S, "ComputerSystem")
    system_assertions(system)
    STATE["system"] = system


def step7_manager_from_managed_by():
    managed_by = [l["@odata.id"] for l in STATE["system"]["Links"]["ManagedBy"]]
    require(len(managed_by) == 1, "ManagedBy %r" % managed_by)
    manager = get_ok(managed_by[0], "Manager")
    STATE["manager_path"] = managed_by[0]
    STATE["manager"] = manager


def step8_action_info():
    info_path = STATE["system"]["Actions"]["#ComputerSystem.Reset"].get("@Redfish.ActionInfo")
    if info_path is None:
        note("no @Redfish.ActionInfo advertised")
        return
    info = get_ok(info_path, "ActionInfo")
    params = {p["Name"]: p for p in info["Parameters"]}
    require("ResetType" in params, "no ResetType parameter")
    p = params["ResetType"]
    require(p.get("Required") is True and p.get("DataType") == "String", "ResetType parameter %r" % p)
    inline = STATE["system"]["Actions"]["#ComputerSystem.Reset"]["ResetType@Redfish.AllowableValues"]
    require(sorted(p.get("AllowableValues", [])) == sorted(inline), "ActionInfo AllowableValues differ from the inline list")


def step9_system_ethernet_interfaces():
    nics = members(get_ok(STATE["system"]["EthernetInterfaces"]["@odata.id"], "Collection"))
    require(nics, "no EthernetInterfaces")
    with_ip = 0
    for path in nics:
        nic = get_ok(path, "EthernetInterface")
        mac = nic["MACAddress"]
        require(len(mac) == 17 and mac == mac.lower() and mac.count(":") == 5, "%s: MACAddress %r not lower-case colon form" % (path, mac))
        if nic["IPv4Addresses"] and nic["IPv4Addresses"][0]["Address"]:
            with_ip += 1
        else:
            # SMD skips the MAC of a NIC without an IP (contract §TL;DR 7); the host file plans none for it.
            note("%s (%s) has no IPv4Addresses[0].Address: SMD will not map this MAC (no planned IP in the host file)" % (path, mac))
    require(with_ip >= 1, "no System NIC carries an IPv4 address: SMD cannot map the VM's MAC to its xname")


def step10_network_interfaces_not_linked():
    for name in ("NetworkInterfaces",):
        if name in STATE["system"]:
            r = request("GET", STATE["system"][name]["@odata.id"])
            require(r.status == 200, "%s linked but answers %s" % (name, r.status))


def step11_systems_collection():
    require(members(get_ok("/redfish/v1/Systems", "Collection")) == ["/redfish/v1/Systems/" + S],
            "Systems members must be exactly [/redfish/v1/Systems/%s]" % S)


def step12_system_again():
    step6_system()
    step7_manager_from_managed_by()
    step8_action_info()
    step9_system_ethernet_interfaces()
    step10_network_interfaces_not_linked()


# --- Phase B': managers pass and MAC lookup --------------------------------------------------------------

def managers_pass():
    get_ok("/redfish/v1/", "ServiceRoot", auth=False)
    managers = members(get_ok("/redfish/v1/Managers", "Collection"))
    require(len(managers) == 1, "Managers %r (one per endpoint)" % managers)
    manager = get_ok(managers[0], "Manager")
    require(manager["ManagerType"] == "BMC", "ManagerType %r" % manager["ManagerType"])
    require(manager["ServiceEntryPointUUID"] == STATE["root_uuid"], "ServiceEntryPointUUID != ServiceRoot UUID")
    servers = [l["@odata.id"] for l in manager["Links"]["ManagerForServers"]]
    require(servers == ["/redfish/v1/Systems/" + S], "ManagerForServers %r" % servers)
    found = None
    for path in members(get_ok(manager["EthernetInterfaces"]["@odata.id"], "Collection")):
        nic = get_ok(path, "EthernetInterface")
        if any(a["Address"] == HOST for a in nic["IPv4Addresses"]):
            require(nic["MACAddress"], "%s: no MACAddress" % path)
            found = nic["MACAddress"]
    require(found, "no Manager NIC carries the scanned address %s (FindMACAddressWithIP finds nothing)" % HOST)
    STATE.setdefault("bmc_macs", []).append(found)


def step16_repeat_is_stable():
    managers_pass()
    require(len(set(STATE["bmc_macs"])) == 1, "BMC MAC changed between walks: %r" % STATE["bmc_macs"])


# --- Phase D: PCS ----------------------------------------------------------------------------------------

PCS_HEADERS = {"Accept": "*/*", "HMS-Service": "power-control"}


class Guest:
    """What Phase D knows of the guest's boots, for VBMC_CRAWL_AFTER_ON_CMD."""
    state = None    # PowerState of the last poll
    boots = None    # guest starts since the last power-on the crawl made (None until it makes one)
    settled = 0     # the boot the hook last confirmed


def pcs_poll():
    """PCS's status poll: Accept */*, Basic, the whole body decoded with standard types, PowerState read."""
    r = request("GET", "/redfish/v1/Systems/" + S, auth=PCS_BASIC, headers={"Accept": "*/*"})
    require(r.status == 200, "poll: HTTP %s" % r.status)
    check_headers(r, "poll")
    decode(r.body, SCHEMAS["ComputerSystem"], "ComputerSystem")
    require(r.body["PowerState"] in POWER_STATES, "PowerState %r" % r.body["PowerState"])
    Guest.state = r.body["PowerState"]
    return r.body["PowerState"]


def pcs_post(reset_type):
    r = request("POST", "/redfish/v1/Systems/%s/Actions/ComputerSystem.Reset" % S, auth=PCS_BASIC, body={"ResetType": reset_type}, headers=PCS_HEADERS)
    require(r.status in (200, 204), "POST ResetType %s: HTTP %s %s" % (reset_type, r.status, r.raw[:300]))
    starts = reset_type in ("On", "ForceOn", "ForceRestart") and Guest.state != "On"
    if starts or reset_type == "PowerCycle":
        Guest.boots, Guest.settled = 1, 0
    elif reset_type in ("GracefulRestart", "ForceRestart") and Guest.boots is not None:
        Guest.boots += 1


def after_on():
    """Runs VBMC_CRAWL_AFTER_ON_CMD once per boot the crawl caused (nothing when it is not set)."""
    if not AFTER_ON_CMD or Guest.boots is None or Guest.settled == Guest.boots:
        return
    started = time.monotonic()
    try:
        r = subprocess.run(AFTER_ON_CMD, shell=True, env=dict(os.environ, VBMC_CRAWL_BOOT=str(Guest.boots)),
                           capture_output=True, text=True, timeout=AFTER_ON_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("VBMC_CRAWL_AFTER_ON_CMD (boot %d) did not finish within %ss" % (Guest.boots, AFTER_ON_TIMEOUT))
    output = (r.stdout + r.stderr).strip()
    require(r.returncode == 0, "VBMC_CRAWL_AFTER_ON_CMD (boot %d) exited %d: %s" % (Guest.boots, r.returncode, output[-500:]))
    Guest.settled = Guest.boots
    note("after On, boot %d: guest ready %.1f s later (%s)" % (Guest.boots, time.monotonic() - started, output.splitlines()[-1] if output else "no output"))


def wait_for(state, within=30):
    deadline = time.monotonic() + within
    while True:
        current = pcs_poll()
        if current == state:
            if state == "On":
                after_on()
            return
        require(time.monotonic() < deadline, "PowerState still %s after %ss (wanted %s)" % (current, within, state))
        time.sleep(0.5)


def step21_poll():
    pcs_poll()


def step22_manager_status():
    r = request("GET", "/redfish/v1/Managers/BMC", auth=PCS_BASIC, headers={"Accept": "*/*"})
    require(r.status == 200 and r.raw, "Manager: HTTP %s" % r.status)


def step23_force_off():
    pcs_post("ForceOff")
    wait_for("Off")


def step24_on():
    pcs_post("On")
    wait_for("On")


def step25_graceful_shutdown():
    pcs_post("GracefulShutdown")
    wait_for("Off", within=300)


def step26_graceful_restart():
    pcs_post("On")
    wait_for("On")
    pcs_post("GracefulRestart")
    time.sleep(1)
    wait_for("On")


def step27_bogus_is_400():
    r = request("POST", "/redfish/v1/Systems/%s/Actions/ComputerSystem.Reset" % S, auth=PCS_BASIC, body={"ResetType": "Bogus"}, headers=PCS_HEADERS)
    require(r.status == 400, "HTTP %s" % r.status)
    decode(r.body, SCHEMAS["Error"], "error body")


def idempotent_on_and_force_off():
    pcs_post("On")
    wait_for("On")
    pcs_post("On")  # On when on: success
    wait_for("On")
    pcs_post("ForceOff")
    wait_for("Off")
    pcs_post("ForceOff")  # ForceOff when off: success
    wait_for("Off")
    pcs_post("On")
    wait_for("On")


def pcs_operation(operation):
    """The ResetType sequence PCS sends for an operation (contract §3.3 table), each confirmed by polling."""
    state = pcs_poll()
    if operation == "on":
        if state != "On":
            pcs_post("On")
        wait_for("On")
    elif operation in ("off", "soft-off"):
        pcs_post("GracefulShutdown")
        wait_for("Off")
    elif operation == "force-off":
        pcs_post("ForceOff")
        wait_for("Off")
    elif operation == "soft-restart":
        require(state == "On", "soft-restart requires On")
        pcs_post("GracefulRestart")
        time.sleep(1)
        wait_for("On")
    elif operation in ("hard-restart", "init"):
        if state == "On":
            pcs_post("GracefulShutdown")
            wait_for("Off")
        pcs_post("On")
        wait_for("On")


def pcs_allowable_actions_complete():
    """toPCSPowerActions on the inline AllowableValues gives PCS every operation it has."""
    allowed = set(pcs_system()["Actions"]["#ComputerSystem.Reset"]["ResetType@Redfish.AllowableValues"])
    ops = set()
    if "ForceOff" in allowed:
        ops.add("force-off")
    if allowed & {"GracefulRestart", "ForceRestart"}:
        ops.add("soft-restart")
    if allowed & {"GracefulShutdown", "Off"}:
        ops |= {"soft-off", "off"}
    if "On" in allowed:
        ops.add("on")
    if "On" in allowed and allowed & {"GracefulShutdown", "Off", "ForceOff"}:
        ops |= {"init", "hard-restart", "soft-restart"}
    want = {"on", "off", "soft-off", "force-off", "soft-restart", "hard-restart", "init"}
    require(ops == want, "PCS would support only %s" % sorted(ops))


def pcs_system():
    return get_ok("/redfish/v1/Systems/" + S, "ComputerSystem")


# --- Phase E: fru-tracker --------------------------------------------------------------------------------

def step29_serial_numbers_unique():
    system = get_ok(members(get_ok("/redfish/v1/Systems", "Collection"))[0], "ComputerSystem")
    for link, kind in (("Processors", "Processor"), ("Memory", "Memory")):
        if link in system:
            for path in members(get_ok(system[link]["@odata.id"], "Collection")):
                require(get_ok(path, kind).get("SerialNumber"), "%s has no SerialNumber" % path)
    other = get_ok("/redfish/v1/Systems/slot1", "ComputerSystem", base=SLOT1_URL)
    require(system["SerialNumber"] and system["SerialNumber"] != other["SerialNumber"], "SerialNumber not unique: %r" % system["SerialNumber"])
    require(system["UUID"] != other["UUID"], "UUID not unique across slots")


def inventory_processors_memory_storage():
    """fru-tracker and SMD's inventory walk a node's child devices; Ironic's inspection adds up the same numbers."""
    system = get_ok("/redfish/v1/Systems/" + S, "ComputerSystem")
    for link in ("Processors", "Memory", "Storage"):
        require(link in system, "System has no %s link" % link)
    processors = [get_ok(p, "Processor") for p in members(get_ok(system["Processors"]["@odata.id"], "Collection"))]
    summary = system["ProcessorSummary"]
    require(len(processors) == summary["Count"], "%d Processors, ProcessorSummary.Count %d" % (len(processors), summary["Count"]))
    require(sum(p["TotalCores"] for p in processors) == summary["CoreCount"], "TotalCores do not add up to CoreCount")
    require(sum(p["TotalThreads"] for p in processors) == summary["LogicalProcessorCount"], "TotalThreads do not add up")
    memory = [get_ok(m, "Memory") for m in members(get_ok(system["Memory"]["@odata.id"], "Collection"))]
    require(sum(m["CapacityMiB"] for m in memory) == system["MemorySummary"]["TotalSystemMemoryGiB"] * 1024, "Memory does not add up to MemorySummary")
    drives = []
    for path in members(get_ok(system["Storage"]["@odata.id"], "Collection")):
        storage = get_ok(path, "Storage")
        drives += [get_ok(d["@odata.id"], "Drive") for d in storage["Drives"]]
    require(all(d["CapacityBytes"] > 0 for d in drives), "a drive without a capacity: %r" % drives)
    if not drives:
        note("slot %s shows no drive (diskless, or its state was deleted)" % S)
    serials = [p["SerialNumber"] for p in processors] + [m["SerialNumber"] for m in memory]
    require(len(set(serials)) == len(serials), "child serial numbers repeat: %r" % serials)


def manager_reset_target():
    """SMD's inventory writes …/Managers/{id}/Actions/Manager.Reset for every BMC; PCS posts there to restart one."""
    manager = get_ok("/redfish/v1/Managers/BMC", "Manager")
    reset = manager.get("Actions", {}).get("#Manager.Reset")
    require(reset, "Manager has no #Manager.Reset action")
    require(reset["target"] == "/redfish/v1/Managers/BMC/Actions/Manager.Reset", "Manager.Reset target %r" % reset["target"])
    require("GracefulRestart" in reset["ResetType@Redfish.AllowableValues"], "allowable %r" % reset["ResetType@Redfish.AllowableValues"])
    get_ok(reset["@Redfish.ActionInfo"], "ActionInfo")
    power = pcs_system()["PowerState"]
    r = request("POST", reset["target"], body={"ResetType": "GracefulRestart"}, headers={"Accept": "*/*"})
    if r.status == 403:
        # Manager POST needs ConfigureManager (DMTF privilege registry): an Operator account (a site's PCS account)
        # is refused, and must be; only an Administrator restarts a BMC.
        account = request("GET", "/redfish/v1/AccountService/Accounts/" + USER)
        require(account.status == 200, "own account: HTTP %s" % account.status)
        role = account.body["RoleId"]
        require(role != "Administrator", "Manager.Reset refused to an Administrator: %r" % r.body)
        require(r.body["error"]["code"].endswith(".InsufficientPrivilege"), "403 without InsufficientPrivilege: %r" % r.body)
        note("Manager.Reset refused to %s (role %s): it needs ConfigureManager, as the privilege registry says" % (USER, role))
        return
    require(r.status in (200, 204), "Manager.Reset: HTTP %s %r" % (r.status, r.body))
    require(pcs_system()["PowerState"] == power, "the slot's power changed when its BMC restarted")


# --- Negative and edge checks ----------------------------------------------------------------------------

def step30_systems_without_credentials_is_401():
    r = request("GET", "/redfish/v1/Systems", auth=False)
    require(r.status == 401, "HTTP %s" % r.status)
    require(r.headers.get("WWW-Authenticate", "").startswith("Basic"), "WWW-Authenticate %r" % r.headers.get("WWW-Authenticate"))
    decode(r.body, SCHEMAS["Error"], "error body")


def step31_unknown_path_is_404_redfish_error():
    r = request("GET", "/redfish/v1/Nope")
    require(r.status == 404, "HTTP %s" % r.status)
    check_headers(r, "/redfish/v1/Nope")
    decode(r.body, SCHEMAS["Error"], "error body")


def step32_root_without_trailing_slash():
    get_ok("/redfish/v1", "ServiceRoot", auth=False)


def method_not_allowed_is_405():
    r = request("DELETE", "/redfish/v1/Systems/" + S)
    require(r.status == 405, "DELETE System: HTTP %s" % r.status)
    decode(r.body, SCHEMAS["Error"], "error body")


def keep_alive_and_connection_close():
    conn = http.client.HTTPSConnection(HOST, PORT, context=TLS, timeout=30)
    try:
        for i in range(3):  # three requests on one connection (HTTP/1.1 keep-alive)
            conn.request("GET", "/redfish/v1/Systems/" + S, headers={"Authorization": BASIC, "Accept": "*/*", "Connection": "keep-alive"})
            r = conn.getresponse()
            body = r.read()
            require(r.status == 200, "keep-alive request %d: HTTP %s" % (i, r.status))
            json.loads(body)
            require(r.getheader("Connection", "").lower() != "close", "server closed the keep-alive connection")
        conn.request("GET", "/redfish/v1/Systems/" + S, headers={"Authorization": BASIC, "Connection": "close"})
        r = conn.getresponse()
        r.read()
        require(r.status == 200, "Connection: close request: HTTP %s" % r.status)
    finally:
        conn.close()


def stable_identity():
    a = get_ok("/redfish/v1/Systems/" + S, "ComputerSystem")
    b = get_ok("/redfish/v1/Systems/" + S, "ComputerSystem")
    for key in ("Id", "UUID", "SerialNumber"):
        require(a[key] == b[key], "%s changed between reads" % key)


def decoder_is_strict():
    """The decoder itself refuses what would crash or empty Magellan (so a PASS above means something)."""
    import copy
    good = get_ok("/redfish/v1/Systems/" + S, "ComputerSystem")
    mutations = {
        "ProcessorSummary.Count as a string": lambda b: b["ProcessorSummary"].__setitem__("Count", "1"),
        "ProcessorSummary.Count as 1.0": lambda b: b["ProcessorSummary"].__setitem__("Count", 1.0),
        "SerialConsole.IPMI.Port missing": lambda b: b["SerialConsole"]["IPMI"].pop("Port"),
        "SerialConsole.SSH null": lambda b: b["SerialConsole"].__setitem__("SSH", None),
        "MemorySummary null": lambda b: b.__setitem__("MemorySummary", None),
        "TotalSystemMemoryGiB as a string": lambda b: b["MemorySummary"].__setitem__("TotalSystemMemoryGiB", "128"),
        "an unknown property null": lambda b: b.__setitem__("Foo", None),
        "AllowableValues null": lambda b: b["Actions"]["#ComputerSystem.Reset"].__setitem__("ResetType@Redfish.AllowableValues", None),
    }
    for what, mutate in mutations.items():
        bad = copy.deepcopy(good)
        mutate(bad)
        try:
            decode(bad, SCHEMAS["ComputerSystem"], "ComputerSystem")
        except Failure:
            continue
        raise Failure("the decoder accepted a System with %s" % what)


STEPS = [
    ("A00_decoder_is_strict", decoder_is_strict),
    ("A01_tcp_connect", step1_tcp_connect),
    ("A02_service_root_no_credentials", step2_service_root_without_credentials),
    ("B03_service_root_links", step3_service_root_links),
    ("B04_chassis_collection", step4_chassis_collection),
    ("B05_chassis_links_system_no_unserved_links", step5_chassis_links_system),
    ("B06_system_magellan_fields", step6_system),
    ("B07_manager_from_managed_by", step7_manager_from_managed_by),
    ("B08_reset_action_info", step8_action_info),
    ("B09_system_ethernet_interfaces", step9_system_ethernet_interfaces),
    ("B10_network_interfaces_not_linked", step10_network_interfaces_not_linked),
    ("B11_systems_collection_exactly_one", step11_systems_collection),
    ("B12_system_pass_repeated", step12_system_again),
    ("B'13-15_managers_pass_mac_lookup", managers_pass),
    ("B'16_managers_pass_repeated", step16_repeat_is_stable),
    ("D21_pcs_status_poll", step21_poll),
    ("D22_pcs_manager_status", step22_manager_status),
    ("D23_force_off", step23_force_off),
    ("D24_on", step24_on),
    ("D25_graceful_shutdown", step25_graceful_shutdown),
    ("D26_graceful_restart", step26_graceful_restart),
    ("D27_bogus_reset_is_400", step27_bogus_is_400),
    ("D_reset_idempotent", idempotent_on_and_force_off),
    ("D_pcs_allowable_actions_complete", pcs_allowable_actions_complete),
]
for i, op in enumerate(("on", "off", "on", "soft-off", "on", "force-off", "on", "soft-restart", "hard-restart", "init")):
    STEPS.append(("D_pcs_operation_%02d_%s" % (i + 1, op), lambda op=op: pcs_operation(op)))
STEPS += [
    ("E29_fru_serials_unique", step29_serial_numbers_unique),
    ("E_inventory_processors_memory_storage", inventory_processors_memory_storage),
    ("E_manager_reset_target", manager_reset_target),
    ("N30_systems_without_credentials_401", step30_systems_without_credentials_is_401),
    ("N31_unknown_path_404_redfish_error", step31_unknown_path_is_404_redfish_error),
    ("N32_root_without_trailing_slash_200", step32_root_without_trailing_slash),
    ("N_method_not_allowed_405", method_not_allowed_is_405),
    ("N_keep_alive_and_connection_close", keep_alive_and_connection_close),
    ("N_stable_identity", stable_identity),
]

for name, fn in STEPS:
    check(name, fn)
note("not run here: Phase C (SMD ingestion, steps 17-20) and step 28 (a real PCS) need the OpenCHAMI services")
sys.exit(0 if all(RESULTS) else 1)
