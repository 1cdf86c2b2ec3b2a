using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Inventory;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Slots.Placement;

/// <summary>
/// Which host CPUs each slot's vCPUs are pinned to. Slots on one NUMA node get disjoint CPUs of that node, taken from
/// the top of its list in configuration order (low CPUs stay with the host, which runs its own work there), so the
/// same configuration on the same host always gives the same pinning. A slot without a NUMA node, or whose node
/// lacks CPUs, gets none (its vCPUs float); the validator has already reported why.
/// </summary>
public static class CpuPlan
{
    public static IReadOnlyDictionary<string, IReadOnlyList<int>> Allocate(
        SiteConfiguration site, HostInventory inventory, IReadOnlyDictionary<string, IReadOnlyList<ResolvedDevice>> devices)
    {
        var plan = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        var free = inventory.NumaNodes.ToDictionary(n => n.Id, n => new Stack<int>(n.Cpus.Order()));
        foreach (var slot in site.Slots)
        {
            var node = NodeOf(slot, devices.GetValueOrDefault(slot.Name) ?? []);
            var cores = slot.Template.Cpu.Cores;
            if (node is { } id && free.TryGetValue(id, out var cpus) && cpus.Count >= cores)
            {
                plan[slot.Name] = Enumerable.Range(0, cores).Select(_ => cpus.Pop()).Order().ToList();
            }
            else
            {
                plan[slot.Name] = [];
            }
        }
        return plan;
    }

    /// <summary>The template's numaNode, else the one node all the slot's resolved devices sit on.</summary>
    public static int? NodeOf(Slot slot, IReadOnlyList<ResolvedDevice> devices)
    {
        if (slot.Template.Cpu.NumaPolicy == NumaPolicy.None)
        {
            return null;
        }
        if (slot.Template.Cpu.NumaNode is { } node)
        {
            return node;
        }
        var nodes = devices.Select(d => d.Function?.NumaNode).OfType<int>().Distinct().ToList();
        return nodes.Count == 1 ? nodes[0] : null;
    }
}

/// <summary>Records the devices the validator resolved for each slot (through the ISlotCheck seam); finds nothing itself.</summary>
public sealed class ResolutionRecorder : ISlotCheck
{
    private readonly Dictionary<string, IReadOnlyList<ResolvedDevice>> _devices = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, IReadOnlyList<ResolvedDevice>> Devices => _devices;

    public IEnumerable<ValidationFinding> Check(SlotCheckContext context)
    {
        _devices[context.Slot.Name] = context.Devices;
        return [];
    }
}
