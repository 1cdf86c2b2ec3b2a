using System.Globalization;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Inventory;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Report;

/// <summary>One row per slot: usable or not, where its cores and memory are placed, its devices, and its findings
/// that belong to no drawn device (slot-wide ones, and those of a device that did not resolve).</summary>
internal static class SlotTable
{
    public static void Write(HtmlWriter html, TopologyAudit audit, SiteConfiguration site, ValidationReport report, AuditIndex index)
    {
        html.Element("h2", null, "Slots");
        html.Start("table", "slots");
        html.Start("tr");
        foreach (var head in new[] { "slot", "status", "cores", "memory", "devices", "findings" })
        {
            html.Element("th", null, head);
        }
        html.End();
        foreach (var slot in site.Slots)
        {
            var validation = report.For(slot.Name) ?? new SlotValidation(slot.Name, []);
            html.Start("tr");
            html.Start("td");
            TopologyPage.Swatch(html, TopologyPage.SlotClass(index, slot.Name));
            html.Element("b", null, slot.Name);
            if (slot.Template.Profile is { } profile)
            {
                html.Element("div", "detail", profile);
            }
            html.End();
            html.Start("td");
            html.Element("span", validation.IsUsable ? "usable" : "unusable", validation.IsUsable ? "usable" : "NOT USABLE");
            html.Element("div", "detail", Counts(validation));
            html.End();
            html.Element("td", null, Cores(audit, index, slot));
            html.Element("td", null, Memory(slot.Template.Memory));
            html.Start("td");
            Devices(html, audit, slot);
            html.End();
            html.Start("td");
            Findings(html, index, slot, validation);
            html.End();
            html.End();
        }
        html.End();
        Legend(html, site, index);
    }

    private static string Counts(SlotValidation v) => string.Create(CultureInfo.InvariantCulture,
        $"{v.Errors} error{(v.Errors == 1 ? "" : "s")}, {v.Warnings} warning{(v.Warnings == 1 ? "" : "s")}");

    private static string Cores(TopologyAudit audit, AuditIndex index, Slot slot)
    {
        var cpu = slot.Template.Cpu;
        var node = AuditIndex.NodeOf(audit, slot);
        var policy = cpu.NumaPolicy.ToString().ToLowerInvariant();
        var cpus = index.Cpus.GetValueOrDefault(slot.Name) ?? [];
        var where = node is { } n ? string.Create(CultureInfo.InvariantCulture, $"NUMA node {n} ({policy})") : $"no NUMA node ({policy})";
        var pinned = cpus.Count > 0 ? $"pinned to CPUs {CpuList.Format(cpus)}" : "not pinned (vCPUs float)";
        return string.Create(CultureInfo.InvariantCulture, $"{cpu.Cores} on {where}, {pinned}");
    }

    private static string Memory(MemorySpec memory) => string.Create(CultureInfo.InvariantCulture,
        $"{memory.SizeGiB} GiB{(memory.Hugepages ? $" on {TopologyPage.PageSizeName(memory.EffectivePageSize)} hugepages" : "")}");

    private static void Devices(HtmlWriter html, TopologyAudit audit, Slot slot)
    {
        var resolved = audit.Devices.GetValueOrDefault(slot.Name) ?? [];
        if (slot.Template.Devices.Count == 0)
        {
            html.Element("span", "none", "no host devices");
            return;
        }
        foreach (var device in slot.Template.Devices)
        {
            var function = resolved.FirstOrDefault(d => d.Binding.Name == device.Name)?.Function;
            html.Start("span", "dev");
            html.Element("b", null, device.Name);
            html.Text($" {Kind(device)} ");
            if (function is null)
            {
                html.Element("span", "unresolved", $"{device.Selector}: not resolved");
            }
            else
            {
                html.Element("span", "addr", function.Address.ToString());
            }
            html.End();
        }
    }

    private static string Kind(DeviceBinding d) => d.Kind switch
    {
        DeviceKind.Gpu => "GPU",
        DeviceKind.Nic when d.IsVirtualFunction => "VF",
        DeviceKind.Nic => "NIC",
        _ => "PCI",
    };

    private static void Findings(HtmlWriter html, AuditIndex index, Slot slot, SlotValidation validation)
    {
        var onSlot = index.FindingsOfSlot(slot.Name);
        foreach (var f in onSlot)
        {
            TopologyPage.WriteFinding(html, f, withDevice: true);
        }
        var elsewhere = validation.Findings.Where(f => !onSlot.Contains(f)).ToList();
        if (elsewhere.Count > 0)
        {
            html.Element("div", "detail", "on its devices below: " + string.Join(", ", elsewhere.Select(f => $"{f.Code} ({f.Device})")));
        }
        if (validation.Findings.Count == 0)
        {
            html.Element("span", "usable", "all checks passed");
        }
    }

    private static void Legend(HtmlWriter html, SiteConfiguration site, AuditIndex index)
    {
        html.Start("div", "legend");
        foreach (var slot in site.Slots)
        {
            html.Start("span");
            TopologyPage.Swatch(html, TopologyPage.SlotClass(index, slot.Name));
            html.Text(slot.Name).End();
        }
        html.Start("span");
        TopologyPage.Swatch(html, "free");
        html.Text("given to no slot").End();
        html.Start("span").Element("span", "finding error", "CODE").Text(" error (the slot cannot start)").End();
        html.Start("span").Element("span", "finding warning", "CODE").Text(" warning").End();
        html.End();
    }
}
