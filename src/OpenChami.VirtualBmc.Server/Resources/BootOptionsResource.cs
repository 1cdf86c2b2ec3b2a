using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// Systems/{id}/BootOptions: one BootOption per device the slot's boot order can name (its disk, its virtual CD drive,
/// its network), each with a fixed reference (Boot0000…) that Boot.BootOrder lists.
/// </summary>
public static class BootOptionsResource
{
    /// <summary>A device's BootOptionReference: its place in <see cref="BootOrder.Orderable"/>, UEFI style.</summary>
    public static string Reference(BootSource device) => device == BootSource.UefiHttp
        ? Reference(BootSource.Pxe)
        : $"Boot{BootOrder.Orderable.ToList().IndexOf(device):D4}";

    public static IReadOnlyList<string> References => BootOrder.Orderable.Select(Reference).ToList();

    /// <summary>The device a reference names; null when it names none.</summary>
    public static BootSource? DeviceOf(string reference) =>
        BootOrder.Orderable.Where(d => Reference(d) == reference).Select(d => (BootSource?)d).FirstOrDefault();

    public static BootOption Build(NodeState node, SlotContext slot, BootSource device)
    {
        var id = slot.Name;
        var reference = Reference(device);
        List<ODataId> related = device switch
        {
            BootSource.Hdd => SystemStorageResource.Drives(node, slot).Where(d => d.Id == "vda").Select(d => new ODataId(Paths.Drive(id, d.Id))).ToList(),
            BootSource.Cd => [new ODataId($"{Paths.SystemMedia(id)}/{VirtualMediaResource.MediaId}")],
            _ => EthernetInterfacesResource.InterfaceNames(slot.Slot).Select(n => new ODataId(Paths.SystemNic(id, n))).ToList(),
        };
        var (name, display) = device switch
        {
            BootSource.Hdd => ("Disk", "Root disk (virtio vda)"),
            BootSource.Cd => ("Virtual CD", "Virtual CD drive (SATA sda, Redfish virtual media)"),
            _ => ("Network", slot.Slot.Template.Firmware == Slots.Catalog.Firmware.Uefi
                ? "Network: the slot's NICs in PCI order (UEFI PXE and HTTP boot)"
                : "Network: the slot's NICs in PCI order (PXE)"),
        };
        // Enabled when the device is there to boot from: the root disk exists, the slot has a NIC; the CD drive always is.
        return new BootOption(Paths.BootOption(id, reference), "#BootOption.v1_0_6.BootOption", reference, name, reference, display,
            device.ToString(), device == BootSource.Cd || related.Count > 0, related, related.Count);
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Systems/{id}/BootOptions", "BootOptionCollection", context => SlotRequests.ReadAsync(context, "BootOptionCollection", slot =>
            RedfishResponses.WriteAsync(context, ResourceCollection.Of(Paths.BootOptions(slot.Name), "#BootOptionCollection.BootOptionCollection",
                "Boot Options", References.Select(r => Paths.BootOption(slot.Name, r))), RedfishJsonContext.Wire.ResourceCollection)));
        app.MapRedfishGet("/redfish/v1/Systems/{id}/BootOptions/{reference}", "BootOption", context => SlotRequests.ReadAsync(context, "BootOption", slot =>
            DeviceOf((string?)context.Request.RouteValues["reference"] ?? "") is { } device
                ? RedfishResponses.WriteAsync(context, Build(RequestScope.Node(context), slot, device), RedfishJsonContext.Wire.BootOption)
                : RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("BootOption", context.Request.Path.Value ?? ""))));
    }
}
