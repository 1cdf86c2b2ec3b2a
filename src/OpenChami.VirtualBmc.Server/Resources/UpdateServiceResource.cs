using OpenChami.VirtualBmc.Host.Services;
using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// /redfish/v1/UpdateService: what firmware and software this endpoint runs, read-only. FirmwareInventory has the BMC
/// (this service) and each served slot's firmware — the host's OVMF (UEFI) or SeaBIOS package, read from dpkg's
/// status database on every GET; SoftwareInventory has the service and the libvirt library it loaded. Nothing can be
/// updated over Redfish: a VM's firmware comes from the host's packages. So ServiceEnabled is false, and SimpleUpdate
/// is advertised (clients look for it) with an ActionInfo, and refused with ActionNotSupported saying why.
/// </summary>
public static class UpdateServiceResource
{
    public const string BmcId = "BMC";
    public const string ServiceSoftwareId = "openchami-vbmc";
    public const string LibvirtId = "libvirt";

    public static string FirmwareIdOf(string slot) => slot + "-Firmware";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet(Paths.UpdateService, "UpdateService", context => RedfishResponses.WriteAsync(context, new UpdateService(
            Paths.UpdateService, "#UpdateService.v1_11_0.UpdateService", "UpdateService", "Update Service",
            "Firmware and software inventory, read-only: a VM's firmware comes from the host's packages (ovmf, seabios), updated on the host",
            false, new ODataId(Paths.FirmwareInventory), new ODataId(Paths.SoftwareInventory),
            new UpdateServiceActions(new ActionWithInfo(Paths.SimpleUpdate, Paths.SimpleUpdateActionInfo))), RedfishJsonContext.Wire.UpdateService));
        app.MapRedfishGet(Paths.SimpleUpdateActionInfo, "ActionInfo", context => RedfishResponses.WriteAsync(context, new ActionInfo(
            Paths.SimpleUpdateActionInfo, "#ActionInfo.v1_4_0.ActionInfo", "SimpleUpdateActionInfo", "Simple Update Action Info",
            [new ActionParameter("ImageURI", true, "String", null)]), RedfishJsonContext.Wire.ActionInfo));
        app.MapRedfishPost(Paths.SimpleUpdate, "UpdateService", context =>
            RedfishResponses.WriteErrorAsync(context, BaseMessages.ActionNotSupported("UpdateService.SimpleUpdate") with
            {
                Resolution = "A VM's firmware comes from the host's packages (ovmf for UEFI slots, seabios for BIOS slots) and the BMC from the "
                    + "openchami-vbmc package: update them on the host with its package manager, then restart the slot or the service.",
            }));

        app.MapRedfishGet(Paths.FirmwareInventory, "SoftwareInventoryCollection", context => RedfishResponses.WriteAsync(context,
            ResourceCollection.Of(Paths.FirmwareInventory, "#SoftwareInventoryCollection.SoftwareInventoryCollection", "Firmware Inventory",
                [Paths.Firmware(BmcId), .. RequestScope.Of(context).Slots.Select(s => Paths.Firmware(FirmwareIdOf(s.Name)))]),
            RedfishJsonContext.Wire.ResourceCollection));
        app.MapRedfishGet(Paths.FirmwareInventory + "/{item}", "SoftwareInventory", context =>
        {
            var item = (string?)context.Request.RouteValues["item"] ?? "";
            var found = item == BmcId
                ? Bmc()
                : RequestScope.Of(context).Slots.FirstOrDefault(s => FirmwareIdOf(s.Name) == item) is { } slot
                    ? SlotFirmware(slot, context.RequestServices.GetRequiredService<DpkgStatus>())
                    : null;
            return Answer(context, found, item);
        });

        app.MapRedfishGet(Paths.SoftwareInventory, "SoftwareInventoryCollection", context => RedfishResponses.WriteAsync(context,
            ResourceCollection.Of(Paths.SoftwareInventory, "#SoftwareInventoryCollection.SoftwareInventoryCollection", "Software Inventory",
                [Paths.Software(ServiceSoftwareId), Paths.Software(LibvirtId)]),
            RedfishJsonContext.Wire.ResourceCollection));
        app.MapRedfishGet(Paths.SoftwareInventory + "/{item}", "SoftwareInventory", context =>
        {
            var item = (string?)context.Request.RouteValues["item"] ?? "";
            return Answer(context, item switch { ServiceSoftwareId => Service(), LibvirtId => Libvirt(), _ => null }, item);
        });
    }

    private static Task Answer(HttpContext context, SoftwareInventory? found, string item) => found is not null
        ? RedfishResponses.WriteAsync(context, found, RedfishJsonContext.Wire.SoftwareInventory)
        : RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("SoftwareInventory", item));

    private const string ODataType = "#SoftwareInventory.v1_10_0.SoftwareInventory";

    private static SoftwareInventory Bmc() => new(Paths.Firmware(BmcId), ODataType, BmcId, "OpenCHAMI Virtual BMC",
        "The BMC of this endpoint: the openchami-vbmc service", ServiceVersion.Text, ServiceSoftwareId, "OpenCHAMI", false, Status.EnabledOk,
        [new ODataId(Paths.Manager)]);

    /// <summary>The Debian package a slot's firmware comes from, and its installed version (null: not installed).</summary>
    public static (string Package, string? Version) FirmwarePackage(Firmware firmware, DpkgStatus packages)
    {
        var package = firmware == Firmware.Uefi ? "ovmf" : "seabios";
        return (package, packages.InstalledVersion(package));
    }

    /// <summary>The slot's firmware is the host's package; "not installed" is Absent with no Version, never a guess.</summary>
    public static SoftwareInventory SlotFirmware(SlotContext slot, DpkgStatus packages)
    {
        var uefi = slot.Slot.Template.Firmware == Firmware.Uefi;
        var (package, version) = FirmwarePackage(slot.Slot.Template.Firmware, packages);
        return new SoftwareInventory(Paths.Firmware(FirmwareIdOf(slot.Name)), ODataType, FirmwareIdOf(slot.Name), uefi ? "OVMF (UEFI)" : "SeaBIOS",
            $"The firmware {slot.Name} boots: the host's Debian package {package}{(version is null ? ", not installed" : "")}",
            version, package, null, false, version is null ? new Status("Absent", "Warning") : Status.EnabledOk,
            [new ODataId(Paths.System(slot.Name))]);
    }

    private static SoftwareInventory Service() => new(Paths.Software(ServiceSoftwareId), ODataType, ServiceSoftwareId, "OpenCHAMI Virtual BMC service",
        "The Redfish service serving this endpoint", ServiceVersion.Text, ServiceSoftwareId, "OpenCHAMI", false, Status.EnabledOk);

    private static SoftwareInventory Libvirt()
    {
        var version = LibvirtVersion.Library;
        return new SoftwareInventory(Paths.Software(LibvirtId), ODataType, LibvirtId, "libvirt", "The libvirt library the service drives its VMs with",
            version, "libvirt0", null, false, version is null ? new Status("Absent", "Warning") : Status.EnabledOk);
    }
}
