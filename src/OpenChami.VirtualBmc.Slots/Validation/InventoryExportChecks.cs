using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.Slots.Validation;

/// <summary>
/// The host checks that involve the inventory export (docs/inventory-export.md): the export is this host's, it puts
/// no label at another address than the node type or the selector does, and the device a selector resolves to has the
/// serial (PCI VPD) and slot name (firmware) the export gives it.
/// </summary>
internal static class InventoryExportChecks
{
    /// <summary>The export when it describes this host; one for another node is never used (<see cref="HostMismatch"/> says so).</summary>
    public static DeviceInventoryExport? ForThisHost(SiteConfiguration configuration) =>
        configuration.InventoryExport is { } export && SameHost(export, configuration) ? export : null;

    // SMD lower-cases xnames, so an export may spell the host id in another case.
    private static bool SameHost(DeviceInventoryExport export, SiteConfiguration configuration) =>
        string.Equals(export.HostId, configuration.Host.HostId, StringComparison.OrdinalIgnoreCase);

    /// <summary>Slot-wide, once per slot with devices: the export is another node's, so nothing in it can be trusted here.</summary>
    public static ValidationFinding? HostMismatch(SlotCheckContext context)
    {
        var configuration = context.Configuration;
        if (configuration.InventoryExport is not { } export || SameHost(export, configuration) || context.Devices.Count == 0)
        {
            return null;
        }
        var hostId = configuration.Host.HostId;
        return context.Finding(FindingCodes.InventoryHostMismatch, FindingSeverity.Error, null,
            $"an inventory export of {hostId} (hostId of {configuration.HostFile})", $"an export of {export.HostId} ({export.Where})",
            $"{export.File} describes {export.HostId}, not this host {hostId}: point inventoryExport at this node's export; until then no label resolves through it and no serial is checked");
    }

    /// <summary>
    /// The export puts the label at another address than the node type's physicalLabels or the selector's pciAddress:
    /// one of the two names the wrong card, so the device is not resolved. (An address the export lists under another
    /// label is no conflict: a selector may use the firmware's slot name where the export uses the site's label.)
    /// </summary>
    public static ValidationFinding? LabelConflict(Slot slot, DeviceBinding device, string label, NodeType nodeType, DeviceInventoryExport export)
    {
        var claims = new List<(PciAddress Address, string Origin, string Name)>();
        if (nodeType.PhysicalLabels.TryGetValue(label, out var mapped))
        {
            claims.Add((mapped, $"the node type's physicalLabels ({nodeType.LabelWhere(label)})", "node type"));
        }
        if (device.Selector.PciAddress is { } address)
        {
            claims.Add((address, $"the selector's pciAddress ({device.Selector.Where})", "selector"));
        }
        if (export.FindByLabel(label) is not { PciAddress: { } exported } entry)
        {
            return null;
        }
        var (claimed, origin, name) = claims.FirstOrDefault(c => c.Address != exported);
        return origin is null ? null : new ValidationFinding(FindingCodes.InventoryLabelConflict, FindingSeverity.Error, slot.Name, device.Name,
            $"physicalLabel {label} at one PCI address", $"{name}: {claimed}; inventory export: {exported}",
            $"physical label {label} is {claimed} in {origin} but {exported} in {export.Describe()} at {entry.Where}: one of them names the wrong card; "
            + $"find the card labelled {label} (lspci -vv shows its serial) and correct the other");
    }

    /// <summary>
    /// The resolved device against its export entry (by the selector's label, else by address): the VPD serial must be
    /// the export's (a different one means another card); the firmware's slot name should be the export's location.
    /// </summary>
    public static void CheckDevice(SlotCheckContext context, ResolvedDevice device, DeviceInventoryExport export, List<ValidationFinding> findings)
    {
        var f = device.Function!;
        var entry = (device.Binding.Selector.PhysicalLabel is { } label ? export.FindByLabel(label) : null) ?? export.FindByAddress(f.Address);
        if (entry is null)
        {
            return;
        }
        var source = $"{export.Describe()} at {entry.Where}";
        if (entry.SerialNumber is { } serial)
        {
            var expected = $"{f.Address} with serial {serial} ({entry.Label} in the inventory export)";
            if (f.SerialNumber is null)
            {
                findings.Add(context.Finding(FindingCodes.InventorySerialUnconfirmed, FindingSeverity.Warning, device.Binding.Name, expected,
                    f.VpdUnreadable ? $"{f.Address} vpd not readable" : $"no serial in the VPD of {f.Address}",
                    f.VpdUnreadable
                        ? $"cannot confirm that {f.Address} is {entry.Label} (serial {serial} in {source}): its vpd file could not be read (the kernel lets only root read it; a device may also not answer): run openchami-vbmc validate as root to check"
                        : $"cannot confirm that {f.Address} is {entry.Label} (serial {serial} in {source}): the device has no VPD serial number; compare the serial on the card by hand"));
            }
            else if (!string.Equals(f.SerialNumber, serial, StringComparison.OrdinalIgnoreCase))
            {
                findings.Add(context.Finding(FindingCodes.InventorySerialMismatch, FindingSeverity.Error, device.Binding.Name, expected,
                    $"serial {f.SerialNumber} (VPD of {f.Address})",
                    $"{f.Address} is not the card {source} lists as {entry.Label}: the export says serial {serial}, the card's VPD says {f.SerialNumber}; "
                    + $"a card was moved or replaced: point the selector at the card with serial {serial}, or regenerate the export if the change is intended"));
            }
        }
        var names = new[] { f.FirmwareLabel, f.SlotName }.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (entry.Location is { } location && names.Count > 0 && !names.Contains(location, StringComparer.OrdinalIgnoreCase))
        {
            var firmware = string.Join(" / ", names);
            findings.Add(context.Finding(FindingCodes.InventoryLocationMismatch, FindingSeverity.Warning, device.Binding.Name,
                $"{f.Address} in {location} ({entry.Label} in the inventory export)", $"firmware names its slot {firmware}",
                $"{source} puts {entry.Label} in {location}, but this host's firmware names the slot of {f.Address} {firmware} (sysfs label, /sys/bus/pci/slots): "
                + "check the export's location and address; firmware slot tables can be wrong, so this alone does not stop the slot"));
        }
    }
}
