#!/usr/bin/python3
"""OpenStack sushy (Debian python3-sushy 4.3.3), unmodified, against one slot endpoint of openchami-vbmc.

Each check is a small function; it prints "PASS name" or "FAIL name: reason". No client-side workaround: the
library is used exactly as Ironic uses it. TLS is verified against the server's generated certificate file.

Environment (set by run-clients.sh): VBMC_URL (slot0 endpoint), VBMC_HOST_SLOT2, VBMC_PORT, VBMC_CACERT,
VBMC_USER, VBMC_PASSWORD.
"""
import logging
import os
import re
import sys
import traceback

import requests
import sushy
from sushy import auth as sushy_auth
from sushy import exceptions as sx

# requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a Session's verify= (psf/requests#3829): sushy's
# verify=<file> would silently become "the system CA bundle". Some CI images export them; drop them for this run.
for _name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_name, None)

URL = os.environ["VBMC_URL"]
SLOT2_URL = "https://%s:%s" % (os.environ["VBMC_HOST_SLOT2"], os.environ["VBMC_PORT"])
CACERT = os.environ["VBMC_CACERT"]
USER = os.environ.get("VBMC_USER", "admin")
PASSWORD = os.environ.get("VBMC_PASSWORD", "vbmc-demo")
SYSTEM = "/redfish/v1/Systems/slot0"
MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


class Recorder(logging.Handler):
    """Keeps sushy's own warnings: a retry or fallback inside sushy means the server made it work around something."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record.getMessage())


RECORDER = Recorder()
logging.getLogger("sushy").addHandler(RECORDER)
logging.getLogger("sushy").setLevel(logging.WARNING)
logging.getLogger("sushy").propagate = False

RESULTS = []


def check(fn):
    RECORDER.records.clear()
    name = fn.__name__.removeprefix("check_")
    try:
        fn()
        if RECORDER.records:
            raise AssertionError("sushy logged warnings (it had to work around the server): %s" % RECORDER.records)
        print("PASS %s" % name, flush=True)
        RESULTS.append(True)
    except Exception as e:  # noqa: BLE001 - every failure is reported, the run goes on
        detail = "%s: %s" % (type(e).__name__, e)
        print("FAIL %s: %s" % (name, detail.replace("\n", " ")[:600]), flush=True)
        traceback.print_exc(file=sys.stderr)
        RESULTS.append(False)
    return fn


def basic():
    return sushy.Sushy(URL, auth=sushy_auth.BasicAuth(USER, PASSWORD), verify=CACERT)


def raw(method, path, **kwargs):
    """The server's own answer, without sushy (to compare sushy's view with)."""
    return requests.request(method, URL + path, auth=(USER, PASSWORD), verify=CACERT, timeout=30, **kwargs)


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))


# --- connecting -------------------------------------------------------------------------------------------

@check
def check_basic_auth_lists_systems():
    root = basic()
    eq(set(root.get_system_collection().members_identities), {SYSTEM}, "Systems members")
    eq(root.get_system(SYSTEM).identity, "slot0", "System Id")


@check
def check_basic_auth_wrong_password_is_access_error():
    root = sushy.Sushy(URL, auth=sushy_auth.BasicAuth(USER, "not-the-password"), verify=CACERT)
    try:
        root.get_system_collection()
    except sx.AccessError as e:
        eq(e.status_code, 401, "status")
        RECORDER.records.clear()  # sushy logs the authentication error itself; that is the expected outcome
        return
    raise AssertionError("no AccessError with a wrong password")


@check
def check_session_auth_login_use_logout():
    auth = sushy_auth.SessionAuth(USER, PASSWORD)
    root = sushy.Sushy(URL, auth=auth, verify=CACERT)
    system = root.get_system(SYSTEM)
    eq(system.identity, "slot0", "System Id")
    key, session_uri = auth.get_session_key(), auth.get_session_resource_id()
    if not key or not session_uri or not session_uri.startswith("/redfish/v1/SessionService/Sessions/"):
        raise AssertionError("no session established: key=%r uri=%r" % (bool(key), session_uri))
    eq(raw("GET", session_uri).status_code, 200, "session resource while logged in")
    eq(requests.get(URL + SYSTEM, headers={"X-Auth-Token": key}, verify=CACERT, timeout=30).status_code, 200, "token works")
    auth.close()  # sushy DELETEs the session
    eq(raw("GET", session_uri).status_code, 404, "session resource after sushy closed it")
    eq(requests.get(URL + SYSTEM, headers={"X-Auth-Token": key}, verify=CACERT, timeout=30).status_code, 401, "token after logout")


@check
def check_session_or_basic_auth_uses_a_session():
    auth = sushy_auth.SessionOrBasicAuth(USER, PASSWORD)
    root = sushy.Sushy(URL, auth=auth, verify=CACERT)
    eq(root.get_system(SYSTEM).identity, "slot0", "System Id")
    if not auth.get_session_key():
        raise AssertionError("SessionOrBasicAuth fell back to Basic: the session login did not work for sushy")
    auth.close()


@check
def check_tls_is_really_verified():
    """The same client with the system CA store must refuse the self-signed certificate (so verify= matters)."""
    try:
        sushy.Sushy(URL, auth=sushy_auth.BasicAuth(USER, PASSWORD), verify=True).get_system_collection()
    except sx.ConnectionError as e:
        if "CERTIFICATE_VERIFY_FAILED" not in str(e):
            raise AssertionError("ConnectionError, but not a certificate failure: %s" % e)
        return
    raise AssertionError("the self-signed certificate was accepted without being trusted")


# --- power and boot ---------------------------------------------------------------------------------------

@check
def check_power_state_read():
    system = basic().get_system(SYSTEM)
    if system.power_state not in (sushy.PowerState.ON, sushy.PowerState.OFF):
        raise AssertionError("power_state %r" % system.power_state)
    eq(system.power_state.value, raw("GET", SYSTEM).json()["PowerState"], "power state vs the server")


@check
def check_allowed_reset_values():
    allowed = basic().get_system(SYSTEM).get_allowed_reset_system_values()
    wanted = {sushy.ResetType.ON, sushy.ResetType.FORCE_OFF, sushy.ResetType.GRACEFUL_SHUTDOWN,
              sushy.ResetType.GRACEFUL_RESTART, sushy.ResetType.FORCE_RESTART, sushy.ResetType.NMI}
    if not wanted <= allowed:
        raise AssertionError("missing reset types: %s" % (wanted - allowed))


def boot_round_trip(target, enabled):
    system = basic().get_system(SYSTEM)
    if target not in system.get_allowed_system_boot_source_values():
        raise AssertionError("%s not allowed: %s" % (target, system.get_allowed_system_boot_source_values()))
    system.set_system_boot_source(target, enabled=enabled)
    system.refresh()
    eq(system.boot.target, target, "boot target read back by sushy")
    eq(system.boot.enabled, enabled, "boot enabled read back by sushy")
    served = raw("GET", SYSTEM).json()["Boot"]
    eq((served["BootSourceOverrideTarget"], served["BootSourceOverrideEnabled"]), (target.value, enabled.value), "served Boot")


@check
def check_boot_pxe_once():
    boot_round_trip(sushy.BootSource.PXE, sushy.BootSourceOverrideEnabled.ONCE)


@check
def check_boot_cd_continuous():
    boot_round_trip(sushy.BootSource.CD, sushy.BootSourceOverrideEnabled.CONTINUOUS)


@check
def check_boot_options_with_mode():
    """set_system_boot_options with the slot's own mode (UEFI) and no target."""
    system = basic().get_system(SYSTEM)
    mode = system.boot.mode
    system.set_system_boot_options(enabled=sushy.BootSourceOverrideEnabled.DISABLED, mode=mode)
    system.refresh()
    eq(system.boot.enabled, sushy.BootSourceOverrideEnabled.DISABLED, "boot enabled")
    eq(system.boot.mode, mode, "boot mode")


@check
def check_reset_force_off_then_on():
    system = basic().get_system(SYSTEM)
    system.reset_system(sushy.ResetType.FORCE_OFF)
    system.refresh()
    eq(system.power_state, sushy.PowerState.OFF, "after ForceOff")
    system.reset_system(sushy.ResetType.ON)
    system.refresh()
    eq(system.power_state, sushy.PowerState.ON, "after On")


@check
def check_unusable_slot_reports_offline_and_refuses_reset():
    root = sushy.Sushy(SLOT2_URL, auth=sushy_auth.BasicAuth(USER, PASSWORD), verify=CACERT)
    system = root.get_system("/redfish/v1/Systems/slot2")
    eq(system.status.state, sushy.State.UNAVAILABLE_OFFLINE, "Status.State")
    try:
        system.reset_system(sushy.ResetType.ON)
    except sx.HTTPError as e:
        eq(e.status_code, 409, "status")
        if not e.code.endswith(".ServiceDisabled"):
            raise AssertionError("code %r" % e.code)
        return
    raise AssertionError("reset of an unusable slot succeeded")


# --- virtual media (through the Manager, where sushy 4.3.3 looks) -----------------------------------------

def manager_cd():
    manager = basic().get_manager()  # the one Manager of the endpoint
    eq(manager.identity, "BMC", "Manager Id")
    media = manager.virtual_media
    eq(set(media.members_identities), {"/redfish/v1/Managers/BMC/VirtualMedia/Cd"}, "VirtualMedia members")
    return media.get_member("/redfish/v1/Managers/BMC/VirtualMedia/Cd")


@check
def check_virtual_media_listed_under_manager():
    cd = manager_cd()
    if sushy.VirtualMediaType.CD not in cd.media_types:
        raise AssertionError("media_types %r" % cd.media_types)
    eq(cd.inserted, False, "inserted")


@check
def check_virtual_media_insert_read_back_and_eject():
    """sushy's insert_media as Ironic's virtual-media boot calls it: the service downloads it, it reads back, eject."""
    image = "http://%s/demo-boot.iso" % os.environ["VBMC_IMAGE_SERVER"]
    cd = manager_cd()
    cd.insert_media(image)
    cd.refresh()
    eq((cd.inserted, cd.image), (True, image), "inserted and image")
    cd.eject_media()
    cd.refresh()
    eq(cd.inserted, False, "inserted after eject")


@check
def check_virtual_media_private_address_is_refused():
    cd = manager_cd()
    try:
        cd.insert_media("http://192.168.7.7/boot.iso")
    except sx.BadRequestError as e:
        eq(e.status_code, 400, "status")
        if not e.code.endswith(".ActionParameterValueFormatError"):
            raise AssertionError("code %r" % e.code)
        print("  sushy: %s" % e, flush=True)
        return
    raise AssertionError("an image on a private address was accepted")


@check
def check_virtual_media_eject():
    """Eject with nothing inserted: nothing to do, and it says so by succeeding."""
    cd = manager_cd()
    cd.eject_media()
    cd.refresh()
    eq(cd.inserted, False, "inserted after eject")


# --- EthernetInterfaces -----------------------------------------------------------------------------------

@check
def check_ethernet_interface_macs():
    system = basic().get_system(SYSTEM)
    nics = system.ethernet_interfaces
    members = nics.get_members()
    if not members:
        raise AssertionError("no EthernetInterfaces")
    for nic in members:
        if not MAC.match(nic.mac_address or ""):
            raise AssertionError("%s: MACAddress %r is not lower-case colon format" % (nic.path, nic.mac_address))
        served = raw("GET", nic.path).json()
        eq(nic.mac_address, served["MACAddress"], "%s MACAddress vs the server" % nic.path)
    summary = nics.summary
    eq(set(summary), {n.mac_address for n in members}, "summary MACs")


# --- inventory and the BMC's own reset (issue 16) -------------------------------------------------------

@check
def check_manager_reset_restarts_the_bmc_not_the_vm():
    """sushy's Manager parses (Actions is required), offers both restarts, and a reset leaves the VM's power alone."""
    manager = basic().get_manager()
    eq(manager.get_allowed_reset_manager_values(), {sushy.ResetType.GRACEFUL_RESTART, sushy.ResetType.FORCE_RESTART}, "allowed manager resets")
    before = raw("GET", SYSTEM).json()["PowerState"]
    manager.reset_manager(sushy.ResetType.GRACEFUL_RESTART)
    eq(raw("GET", SYSTEM).json()["PowerState"], before, "the VM's power state after the BMC restarted")
    eq(basic().get_system(SYSTEM).identity, "slot0", "the BMC answers after its restart")


@check
def check_processors_as_ironic_inspects_them():
    system = basic().get_system(SYSTEM)
    summary = system.processors.summary
    served = raw("GET", SYSTEM).json()["ProcessorSummary"]
    eq(summary.count, served["LogicalProcessorCount"], "logical CPUs (sushy sums TotalThreads)")
    eq(summary.architecture, sushy.ProcessorArchitecture.X86, "architecture (Ironic's cpu_arch x86_64)")
    members = system.processors.get_members()
    eq(len(members), served["Count"], "Processors members vs ProcessorSummary.Count")
    for proc in members:
        eq(proc.instruction_set, sushy.InstructionSet.X86_64, "%s InstructionSet" % proc.identity)


@check
def check_memory_as_ironic_inspects_it():
    system = basic().get_system(SYSTEM)
    served = raw("GET", SYSTEM).json()["MemorySummary"]
    eq(system.memory_summary.size_gib, served["TotalSystemMemoryGiB"], "memory_summary.size_gib")
    members = raw("GET", SYSTEM + "/Memory").json()["Members"]
    total = sum(raw("GET", m["@odata.id"]).json()["CapacityMiB"] for m in members)
    eq(total, served["TotalSystemMemoryGiB"] * 1024, "Memory entries add up to the summary")


@check
def check_storage_and_local_gb_as_ironic_inspects_them():
    """Ironic's redfish inspection: the smallest disk of at least 4 GiB, minus 1 GiB, is local_gb (0 when none is that large)."""
    system = basic().get_system(SYSTEM)
    simple = system.simple_storage.disks_sizes_bytes
    drives = system.storage.drives_sizes_bytes
    eq(simple, drives, "SimpleStorage and Storage/Drives agree")
    root = raw("GET", "/redfish/v1/Chassis/slot0/Drives/vda").json()
    if root["CapacityBytes"] not in drives:
        raise AssertionError("root disk %r not among %r" % (root["CapacityBytes"], drives))
    gib = 1024 ** 3
    large = [size for size in simple if size >= 4 * gib] or [0]
    local_gb = max(min(large) // gib - 1, 0)
    print("  disks %r bytes -> local_gb %d (the demo's base image is 1 MiB)" % (simple, local_gb), flush=True)



@check
def check_http_boot_uri_once_is_consumed_by_one_boot():
    """sushy 4.3.3 sets UefiHttp but has no http_boot_uri argument: the URI goes in a plain PATCH, as newer sushy sends it."""
    uri = "http://127.0.0.1:8080/boot/ipxe.efi"
    system = basic().get_system(SYSTEM)
    system.reset_system(sushy.ResetType.FORCE_OFF)
    system.set_system_boot_source(sushy.BootSource.UEFI_HTTP, enabled=sushy.BootSourceOverrideEnabled.ONCE)
    eq(raw("PATCH", SYSTEM, json={"Boot": {"HttpBootUri": uri}}).status_code, 200, "PATCH HttpBootUri")
    system.refresh()
    eq((system.boot.target, system.boot.enabled), (sushy.BootSource.UEFI_HTTP, sushy.BootSourceOverrideEnabled.ONCE), "override read by sushy")
    eq(raw("GET", SYSTEM).json()["Boot"]["HttpBootUri"], uri, "HttpBootUri served")
    system.reset_system(sushy.ResetType.ON)
    system.refresh()
    eq(system.boot.enabled, sushy.BootSourceOverrideEnabled.DISABLED, "the Once override after one boot")
    eq(raw("GET", SYSTEM).json()["Boot"]["HttpBootUri"], "", "HttpBootUri after one boot")

# --- secure boot --------------------------------------------------------------------------------------------

@check
def check_secure_boot_switched_on_for_the_next_boot_and_back_off():
    """Ironic's secure boot handling: system.secure_boot read, set_enabled() (a PATCH of SecureBootEnable) for the next
    boot, the boot that applies it, and back off. A running VM keeps its firmware until it is restarted."""
    system = basic().get_system(SYSTEM)
    if system.power_state != sushy.PowerState.ON:
        system.reset_system(sushy.ResetType.ON)
    secure_boot = system.secure_boot
    eq(secure_boot.identity, "SecureBoot", "SecureBoot Id")
    eq(secure_boot.path, SYSTEM + "/SecureBoot", "SecureBoot path")
    eq(secure_boot.enabled, False, "SecureBootEnable before")
    eq(secure_boot.current_boot, sushy.SecureBootCurrentBoot.DISABLED, "SecureBootCurrentBoot before")

    secure_boot.set_enabled(True)
    secure_boot.refresh()
    eq(secure_boot.enabled, True, "SecureBootEnable read back by sushy")
    eq(secure_boot.current_boot, sushy.SecureBootCurrentBoot.DISABLED, "SecureBootCurrentBoot before the restart")
    eq(raw("GET", SYSTEM + "/SecureBoot").json()["SecureBootEnable"], True, "SecureBootEnable served")

    system.reset_system(sushy.ResetType.FORCE_RESTART)
    secure_boot.refresh()
    eq(secure_boot.current_boot, sushy.SecureBootCurrentBoot.ENABLED, "SecureBootCurrentBoot after the restart")
    eq(secure_boot.mode, sushy.SecureBootMode.USER, "SecureBootMode with the enrolled keys")

    secure_boot.set_enabled(False)
    system.reset_system(sushy.ResetType.FORCE_OFF)
    system.reset_system(sushy.ResetType.ON)
    secure_boot.refresh()
    eq((secure_boot.enabled, secure_boot.current_boot), (False, sushy.SecureBootCurrentBoot.DISABLED), "after switching it off and a power cycle")
    try:
        secure_boot.set_enabled("yes")
    except sx.InvalidParameterValueError:
        pass
    else:
        raise AssertionError("sushy sent a non-boolean SecureBootEnable")


# --- accounts -----------------------------------------------------------------------------------------------

@check
def check_user_changes_own_password_through_sushy():
    """sushy 4.3.3 (Debian 12) has no AccountService resource: the PATCH goes through sushy's own connector, with its
    session login, the way Ironic's code calls endpoints sushy has no class for."""
    import uuid
    user = "sushy" + uuid.uuid4().hex[:8]
    first, second = "first-" + uuid.uuid4().hex, "second-" + uuid.uuid4().hex
    created = raw("POST", "/redfish/v1/AccountService/Accounts", json={"UserName": user, "Password": first, "RoleId": "ReadOnly"})
    eq(created.status_code, 201, "account created by the administrator")
    try:
        own = sushy.Sushy(URL, auth=sushy_auth.SessionAuth(user, first), verify=CACERT)
        eq(set(own.get_system_collection().members_identities), {SYSTEM}, "the new account reads Systems")
        reply = own._conn.patch("/redfish/v1/AccountService/Accounts/" + user, data={"Password": second})
        eq(reply.status_code, 200, "PATCH of its own password")
        eq(set(sushy.Sushy(URL, auth=sushy_auth.BasicAuth(user, second), verify=CACERT).get_system_collection().members_identities),
           {SYSTEM}, "the new password works")
        # (without sushy: its warning on a 401 is what this flow counts as working around the server)
        eq(requests.get(URL + "/redfish/v1/Systems", auth=(user, first), verify=CACERT, timeout=30).status_code, 401, "the old password")
        # On a 401/403 sushy's connector logs in again with the credentials it was given and retries once, returning
        # the retry's answer without raising: give it the new password and read the status.
        own = sushy.Sushy(URL, auth=sushy_auth.SessionAuth(user, second), verify=CACERT)
        try:
            status = own._conn.patch("/redfish/v1/AccountService/Accounts/" + user, data={"RoleId": "Administrator"}).status_code
        except sushy.exceptions.AccessError as e:
            status = e.status_code
        eq(status, 403, "a ReadOnly account promoting itself")
        eq(raw("GET", "/redfish/v1/AccountService/Accounts/" + user).json()["RoleId"], "ReadOnly", "role after the refused PATCH")
    finally:
        eq(raw("DELETE", "/redfish/v1/AccountService/Accounts/" + user).status_code, 204, "account deleted")


sys.exit(0 if all(RESULTS) else 1)
