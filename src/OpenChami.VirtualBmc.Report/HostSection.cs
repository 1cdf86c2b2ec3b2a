using System.Globalization;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.Report;

/// <summary>
/// The host, one panel per NUMA node: CPUs, memory and hugepages, then its PCI functions grouped by IOMMU group. VFs
/// that a PF lists (virtfnN) are drawn inside that PF; groups of nothing but bridges that no slot touches are one line.
/// </summary>
internal static class HostSection
{
    /// <summary>A panel: a NUMA node id, or null for functions whose node the firmware does not give.</summary>
    private sealed record Unit(int? Numa, int? Group, IReadOnlyList<PciFunction> Members);

    public static void Write(HtmlWriter html, TopologyAudit audit, AuditIndex index)
    {
        var inventory = audit.Inventory;
        var nested = inventory.Functions.Where(f => f.Sriov is not null)
            .SelectMany(pf => pf.Sriov!.Vfs.Select(v => v.Address)).OfType<PciAddress>()
            .Where(a => inventory.FindByAddress(a) is not null).ToHashSet();
        var units = new List<Unit>();
        foreach (var grouped in inventory.Functions.Where(f => !nested.Contains(f.Address)).GroupBy(f => f.IommuGroup))
        {
            if (grouped.Key is { } number)
            {
                units.Add(new Unit(NodeOf(grouped), number, [.. grouped]));
            }
            else
            {
                units.AddRange(grouped.Select(f => new Unit(f.NumaNode, null, [f])));
            }
        }
        var sections = inventory.NumaNodes.Select(n => (int?)n.Id)
            .Concat(units.Select(u => u.Numa).OfType<int>().Distinct().Order().Select(n => (int?)n))
            .Distinct().ToList();
        if (units.Any(u => u.Numa is null))
        {
            sections.Add(null);
        }

        html.Element("h2", null, "Host: NUMA nodes, IOMMU groups and PCI functions");
        if (!inventory.IommuEnabled)
        {
            html.Element("div", "finding error", "The IOMMU is off: no IOMMU groups, so no device can be passed through.");
        }
        html.Start("div", "numa");
        foreach (var numa in sections)
        {
            html.Start("section", "node");
            NodeHeader(html, audit, index, numa);
            var here = units.Where(u => u.Numa == numa).OrderBy(u => u.Members[0].Address).ToList();
            var quiet = here.Where(u => u.Members.All(f => f.IsBridge && Untouched(index, f))).ToList();
            html.Start("div", "groups");
            foreach (var unit in here.Except(quiet))
            {
                Group(html, audit, index, unit);
            }
            html.End();
            if (quiet.Count > 0)
            {
                html.Element("p", "detail", "Bridges (each alone in its group, given to no slot): " + string.Join(", ", quiet.SelectMany(u => u.Members)
                    .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Address} ({(f.IommuGroup is { } g ? $"group {g}" : "no group")}, {f.Driver ?? "no driver"})"))));
            }
            if (here.Count == 0)
            {
                html.Element("p", "none", "no PCI functions on this node");
            }
            html.End();
        }
        html.End();
    }

    private static int? NodeOf(IEnumerable<PciFunction> members)
    {
        var list = members.ToList();
        return (list.FirstOrDefault(f => !f.IsBridge) ?? list[0]).NumaNode;
    }

    private static bool Untouched(AuditIndex index, PciFunction f) => index.OwnersOf(f.Address).Count == 0 && index.FindingsOn(f.Address).Count == 0;

    private static void NodeHeader(HtmlWriter html, TopologyAudit audit, AuditIndex index, int? numa)
    {
        if (numa is not { } id)
        {
            html.Element("h3", null, "NUMA node unknown");
            html.Element("p", "facts", "Functions whose numa_node is -1: the firmware gives no affinity.");
            return;
        }
        html.Element("h3", null, string.Create(CultureInfo.InvariantCulture, $"NUMA node {id}"));
        var node = audit.Inventory.FindNumaNode(id);
        if (node is null)
        {
            html.Element("p", "facts", "Not listed under /sys/devices/system/node: functions name it, but the host has no such node.");
            return;
        }
        var pages = node.Hugepages.OrderByDescending(p => p.Key)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Value.Free} of {p.Value.Total} × {PageName(p.Key)}")).ToList();
        html.Element("p", "facts", string.Create(CultureInfo.InvariantCulture,
            $"{node.Cpus.Count} CPUs ({CpuList.Format(node.Cpus)}) · {(node.MemTotalKiB is { } kib ? TopologyPage.Gib(kib) : "memory unknown")} · hugepages free: {(pages.Count == 0 ? "none" : string.Join(", ", pages))}"));
        if (node.Cpus.Count > 0)
        {
            CpuMap(html, index, node);
        }
        var placed = (audit.Site?.Slots ?? []).Where(s => AuditIndex.NodeOf(audit, s) == id).ToList();
        if (placed.Count == 0)
        {
            return;
        }
        if (node.MemTotalKiB is { } total && total > 0)
        {
            html.StartSvg("svg", "membar").Attr("viewBox", "0 0 1000 14").Attr("preserveAspectRatio", "none")
                .Attr("role", "img").Attr("aria-label", "memory of the slots placed on this node");
            html.StartSvg("rect").Attr("width", "1000").Attr("height", "14").EndEmpty();
            var x = 0.0;
            foreach (var slot in placed)
            {
                var width = Math.Min(1000 - x, slot.Template.Memory.SizeGiB * 1024.0 * 1024.0 / total * 1000);
                html.StartSvg("rect", "own " + TopologyPage.SlotClass(index, slot.Name)).Attr("x", Num(x)).Attr("width", Num(width)).Attr("height", "14")
                    .StartSvg("title").Text(string.Create(CultureInfo.InvariantCulture, $"{slot.Name}: {slot.Template.Memory.SizeGiB} GiB")).End()
                    .End();
                x += width + 2;
            }
            html.End();
        }
        var asked = placed.Sum(s => (long)s.Template.Memory.SizeGiB);
        html.Start("p", "facts").Text("Placed here: ");
        foreach (var slot in placed)
        {
            var m = slot.Template.Memory;
            TopologyPage.Badge(html, index, slot.Name, null);
            html.Text(string.Create(CultureInfo.InvariantCulture,
                $"{slot.Template.Cpu.Cores} cores, {m.SizeGiB} GiB{(m.Hugepages ? $" ({TopologyPage.PageSizeName(m.EffectivePageSize)} pages)" : "")} "));
        }
        html.Text(string.Create(CultureInfo.InvariantCulture,
            $"· {placed.Sum(s => s.Template.Cpu.Cores)} of {node.Cpus.Count} CPUs, {asked} GiB of {(node.MemTotalKiB is { } t ? TopologyPage.Gib(t) : "?")}"));
        html.End();
    }

    /// <summary>One cell per CPU of the node, in CPU order, filled with the colour of the slot pinned to it.</summary>
    private static void CpuMap(HtmlWriter html, AuditIndex index, NumaNodeInfo node)
    {
        const int cell = 14, columns = 32;
        var cpus = node.Cpus.Order().ToList();
        var cols = Math.Min(columns, cpus.Count);
        var rows = (cpus.Count + cols - 1) / cols;
        html.StartSvg("svg", "cpumap").Attr("width", Num(cols * cell)).Attr("height", Num(rows * cell))
            .Attr("viewBox", string.Create(CultureInfo.InvariantCulture, $"0 0 {cols * cell} {rows * cell}"))
            .Attr("role", "img").Attr("aria-label", "CPUs of this node by the slot pinned to them");
        for (var i = 0; i < cpus.Count; i++)
        {
            var owner = index.CpuOwner(cpus[i]);
            html.StartSvg("rect", owner is { } o ? "own s" + o.Colour.ToString(CultureInfo.InvariantCulture) : null)
                .Attr("x", Num((i % cols) * cell + 1)).Attr("y", Num((i / cols) * cell + 1)).Attr("width", "12").Attr("height", "12")
                .StartSvg("title").Text(string.Create(CultureInfo.InvariantCulture, $"CPU {cpus[i]}{(owner is { } p ? $": {p.Slot}" : "")}")).End()
                .End();
        }
        html.End();
    }

    private static void Group(HtmlWriter html, TopologyAudit audit, AuditIndex index, Unit unit)
    {
        html.Start("div", "group");
        html.Element("h4", null, unit.Group is { } g
            ? string.Create(CultureInfo.InvariantCulture, $"IOMMU group {g} · {unit.Members.Count} function{(unit.Members.Count == 1 ? "" : "s")}")
            : "no IOMMU group");
        foreach (var f in unit.Members.OrderBy(m => m.Address))
        {
            DeviceCard.Write(html, audit, index, f);
        }
        html.End();
    }

    internal static string PageName(long kib) => kib switch
    {
        1048576 => "1 GiB",
        2048 => "2 MiB",
        _ => string.Create(CultureInfo.InvariantCulture, $"{kib} KiB"),
    };

    private static string Num(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
