using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// A slot's virtio block storage as Storage (with Drives) and SimpleStorage: the root disk (vda, the qcow2 overlay,
/// its virtual size from the overlay's header) when the slot has an image and the overlay exists, and the local seed
/// (vdb, read-only) when the template asks for one and it exists. A diskless slot shows the storage with no drive.
/// Drives live under the slot's Chassis (the Drive schema's current URI); Storage links them.
/// Read from the state directory on every GET: a reimage or delete-state shows at once.
/// </summary>
public static class SystemStorageResource
{
    public const string StorageId = "VirtioBlock";

    /// <summary>A disk of the slot as the guest sees it.</summary>
    public sealed record SlotDrive(string Id, string Description, long CapacityBytes, string Model);

    public static IReadOnlyList<SlotDrive> Drives(NodeState node, SlotContext slot)
    {
        if (node.Disks is not { } disks)
        {
            return [];
        }
        var drives = new List<SlotDrive>();
        var disk = disks.Describe(slot.Slot);
        if (slot.Slot.Image is { } image && disk.Overlay is { } overlay)
        {
            drives.Add(new SlotDrive("vda", $"Root disk: qcow2 overlay on the verified base image of '{image}'", overlay.VirtualSize, "virtio-blk qcow2 overlay"));
        }
        if (slot.Slot.Template.CloudInit.LocalSeed && disk.SeedExists)
        {
            drives.Add(new SlotDrive("vdb", "Local NoCloud seed (ISO 9660, label cidata), read-only", new FileInfo(disk.Seed).Length, "virtio-blk raw (read-only)"));
        }
        return drives;
    }

    public static Storage Storage(NodeState node, SlotContext slot)
    {
        var drives = Drives(node, slot);
        return new Storage(Paths.StorageMember(slot.Name, StorageId), "#Storage.v1_15_0.Storage", StorageId, "Virtio block storage",
            "The slot's virtio block disks", drives.Select(d => new ODataId(Paths.Drive(slot.Name, d.Id))).ToList(), drives.Count, Status.EnabledOk);
    }

    public static Drive Drive(SlotContext slot, SlotDrive drive) =>
        new(Paths.Drive(slot.Name, drive.Id), "#Drive.v1_17_0.Drive", drive.Id, drive.Id, drive.Description, drive.CapacityBytes, drive.Model, Status.EnabledOk);

    public static SimpleStorage Simple(NodeState node, SlotContext slot) =>
        new(Paths.SimpleStorageMember(slot.Name, StorageId), "#SimpleStorage.v1_3_0.SimpleStorage", StorageId, "Virtio block storage",
            "The slot's virtio block disks", Drives(node, slot).Select(d => new SimpleStorageDevice(d.Id, d.Model, d.CapacityBytes, Status.EnabledOk)).ToList(),
            Status.EnabledOk);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Systems/{id}/Storage", "StorageCollection", context => SlotRequests.ReadAsync(context, "StorageCollection", slot =>
            RedfishResponses.WriteAsync(context, ResourceCollection.Of(Paths.Storage(slot.Name), "#StorageCollection.StorageCollection", "Storage",
                [Paths.StorageMember(slot.Name, StorageId)]), RedfishJsonContext.Wire.ResourceCollection)));
        app.MapRedfishGet("/redfish/v1/Systems/{id}/Storage/{storage}", "Storage", context => SlotRequests.ReadAsync(context, "Storage", slot =>
            IsOurs(context)
                ? RedfishResponses.WriteAsync(context, Storage(RequestScope.Node(context), slot), RedfishJsonContext.Wire.Storage)
                : SystemInventoryResource.NotFound(context, "Storage")));
        app.MapRedfishGet("/redfish/v1/Chassis/{id}/Drives/{drive}", "Drive", context => SlotRequests.ReadAsync(context, "Drive", slot =>
            Drives(RequestScope.Node(context), slot).FirstOrDefault(d => d.Id == (string?)context.Request.RouteValues["drive"]) is { } drive
                ? RedfishResponses.WriteAsync(context, Drive(slot, drive), RedfishJsonContext.Wire.Drive)
                : SystemInventoryResource.NotFound(context, "Drive")));
        app.MapRedfishGet("/redfish/v1/Systems/{id}/SimpleStorage", "SimpleStorageCollection", context => SlotRequests.ReadAsync(context, "SimpleStorageCollection", slot =>
            RedfishResponses.WriteAsync(context, ResourceCollection.Of(Paths.SimpleStorage(slot.Name), "#SimpleStorageCollection.SimpleStorageCollection", "Simple Storage",
                [Paths.SimpleStorageMember(slot.Name, StorageId)]), RedfishJsonContext.Wire.ResourceCollection)));
        app.MapRedfishGet("/redfish/v1/Systems/{id}/SimpleStorage/{storage}", "SimpleStorage", context => SlotRequests.ReadAsync(context, "SimpleStorage", slot =>
            IsOurs(context)
                ? RedfishResponses.WriteAsync(context, Simple(RequestScope.Node(context), slot), RedfishJsonContext.Wire.SimpleStorage)
                : SystemInventoryResource.NotFound(context, "SimpleStorage")));
    }

    private static bool IsOurs(HttpContext context) => (string?)context.Request.RouteValues["storage"] == StorageId;
}
