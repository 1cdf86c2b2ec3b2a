using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Placement;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Report;

/// <summary>A slot device on a host function: which slot (and its colour index) and which template device.</summary>
internal sealed record Owner(string Slot, int Colour, string Device);

/// <summary>
/// The audit indexed for drawing: who owns each host function, the findings placed on each function (the finding's
/// device resolved to it) and those left for the slot (slot-wide, or the device did not resolve), and the CPUs the
/// placement pins each slot to. Every finding of the report lands in exactly one of the two places.
/// </summary>
internal sealed class AuditIndex
{
    private readonly Dictionary<PciAddress, List<Owner>> _owners = [];
    private readonly Dictionary<PciAddress, List<ValidationFinding>> _onDevice = [];
    private readonly Dictionary<string, List<ValidationFinding>> _onSlot = new(StringComparer.Ordinal);
    private readonly Dictionary<int, (string Slot, int Colour)> _cpuOwners = [];

    public AuditIndex(TopologyAudit audit)
    {
        var slots = audit.Site?.Slots ?? [];
        for (var i = 0; i < slots.Count; i++)
        {
            Colour[slots[i].Name] = i % PageStyle.SlotColours;
        }
        foreach (var slot in slots)
        {
            foreach (var device in audit.Devices.GetValueOrDefault(slot.Name) ?? [])
            {
                if (device.Function is { } f)
                {
                    Add(_owners, f.Address, new Owner(slot.Name, Colour[slot.Name], device.Binding.Name));
                }
            }
        }
        foreach (var finding in audit.Report?.Findings ?? [])
        {
            if (finding.Device is { } name && Resolved(audit, finding.Slot, name) is { } address)
            {
                Add(_onDevice, address, finding);
            }
            else
            {
                Add(_onSlot, finding.Slot, finding);
            }
        }
        if (audit.Site is { } site)
        {
            Cpus = CpuPlan.Allocate(site, audit.Inventory, audit.Devices);
            foreach (var (slot, cpus) in Cpus)
            {
                foreach (var cpu in cpus)
                {
                    _cpuOwners[cpu] = (slot, Colour.GetValueOrDefault(slot));
                }
            }
        }
    }

    /// <summary>Slot name → colour class index, in configuration order.</summary>
    public Dictionary<string, int> Colour { get; } = new(StringComparer.Ordinal);

    /// <summary>Slot name → the host CPUs its vCPUs are pinned to (empty: floating).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>> Cpus { get; } = new Dictionary<string, IReadOnlyList<int>>();

    public IReadOnlyList<Owner> OwnersOf(PciAddress address) => _owners.GetValueOrDefault(address) ?? [];

    public IReadOnlyList<ValidationFinding> FindingsOn(PciAddress address) => _onDevice.GetValueOrDefault(address) ?? [];

    public IReadOnlyList<ValidationFinding> FindingsOfSlot(string slot) => _onSlot.GetValueOrDefault(slot) ?? [];

    public (string Slot, int Colour)? CpuOwner(int cpu) => _cpuOwners.TryGetValue(cpu, out var o) ? o : null;

    /// <summary>The NUMA node a slot is placed on (the template's, else the one its devices agree on).</summary>
    public static int? NodeOf(TopologyAudit audit, Slot slot) =>
        CpuPlan.NodeOf(slot, audit.Devices.GetValueOrDefault(slot.Name) ?? []);

    private static PciAddress? Resolved(TopologyAudit audit, string slot, string device) =>
        (audit.Devices.GetValueOrDefault(slot) ?? []).FirstOrDefault(d => d.Binding.Name == device)?.Function?.Address;

    private static void Add<TKey, TValue>(Dictionary<TKey, List<TValue>> map, TKey key, TValue value) where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }
        list.Add(value);
    }
}
