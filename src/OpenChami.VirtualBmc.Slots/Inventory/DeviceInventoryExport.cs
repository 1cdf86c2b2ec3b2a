using System.Globalization;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Slots.Inventory;

/// <summary>
/// What OpenCHAMI's inventory (fru-tracker, SMD) says about this node's devices, read from the file the host file's
/// <c>inventoryExport</c> names (format: docs/inventory-export.md). Labels, addresses and serials are unique within an
/// export; <see cref="Where"/> is where its hostId is written.
/// </summary>
public sealed record DeviceInventoryExport(
    string File,
    string HostId,
    DateTimeOffset? GeneratedAt,
    string? Source,
    IReadOnlyList<InventoryDevice> Devices,
    SourceLocation Where)
{
    public InventoryDevice? FindByLabel(string label) => Devices.FirstOrDefault(d => string.Equals(d.Label, label, StringComparison.Ordinal));

    public InventoryDevice? FindByAddress(PciAddress address) => Devices.FirstOrDefault(d => d.PciAddress == address);

    /// <summary>"the inventory export (fru-tracker, 2026-11-20T10:00:00Z)": how findings name where a value came from.</summary>
    public string Describe()
    {
        var details = new List<string>();
        if (Source is not null) details.Add(Source);
        if (GeneratedAt is { } at) details.Add(at.ToString(at.Offset == TimeSpan.Zero ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
        return details.Count == 0 ? "the inventory export" : $"the inventory export ({string.Join(", ", details)})";
    }
}

/// <summary>
/// One device of the export. Only <see cref="Label"/> is required: without <see cref="PciAddress"/> the entry cannot
/// resolve a label, but its serial and location are still checked against the device the label resolves to.
/// </summary>
public sealed record InventoryDevice(
    string Label,
    PciAddress? PciAddress,
    string? SerialNumber,
    string? PartNumber,
    string? Manufacturer,
    string? DeviceType,
    string? Xname,
    string? Location,
    SourceLocation Where)
{
    /// <summary>"GPU0 (x1000c0s0b0n0a0) at inventory-export.json:12:5".</summary>
    public string Describe() => Xname is null ? $"{Label} at {Where}" : $"{Label} ({Xname}) at {Where}";
}
