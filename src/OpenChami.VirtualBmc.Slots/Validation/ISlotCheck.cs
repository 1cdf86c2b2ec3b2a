using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.Slots.Validation;

/// <summary>A template device and the host function it resolved to (null when it did not resolve).</summary>
public sealed record ResolvedDevice(DeviceBinding Binding, PciFunction? Function);

/// <summary>What an extra check sees for one slot: the slot, the whole configuration and host, and its resolved devices.</summary>
public sealed record SlotCheckContext(Slot Slot, SiteConfiguration Configuration, HostInventory Inventory, IReadOnlyList<ResolvedDevice> Devices)
{
    public ValidationFinding Finding(string code, FindingSeverity severity, string? device, string expected, string found, string message) =>
        new(code, severity, Slot.Name, device, expected, found, message);
}

/// <summary>
/// A further per-slot check run after the built-in ones (e.g. "the libvirt domain matches the template").
/// Its findings are appended to the slot's, in the order the checks were given.
/// </summary>
public interface ISlotCheck
{
    IEnumerable<ValidationFinding> Check(SlotCheckContext context);
}
