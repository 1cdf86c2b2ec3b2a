using System.Globalization;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.Report;

/// <summary>A PCI function: what it is, its driver and names, the slots it is given to, its findings; a PF's VFs inside it.</summary>
internal static class DeviceCard
{
    public static void Write(HtmlWriter html, TopologyAudit audit, AuditIndex index, PciFunction f)
    {
        var owners = index.OwnersOf(f.Address);
        html.Start("div", owners.Count > 0 ? "card own " + TopologyPage.SlotClass(index, owners[0].Slot) : f.IsBridge ? "card bridge" : "card");
        html.Start("div");
        html.Element("span", "kind", Kind(f));
        html.Text(" ");
        html.Element("span", "addr", f.Address.ToString());
        html.Text(" ");
        html.Element("span", "detail", $"{Vendor(f.VendorId)} {f.VendorDeviceHex} · class {f.ClassHex}");
        foreach (var owner in owners)
        {
            html.Text(" ");
            TopologyPage.Badge(html, index, owner.Slot, owner.Device);
        }
        html.End();
        html.Element("div", "detail", string.Join(" · ", Facts(audit, f)));
        foreach (var finding in index.FindingsOn(f.Address))
        {
            TopologyPage.WriteFinding(html, finding, withDevice: false);
        }
        if (f.Sriov is { } sriov && sriov.Vfs.Count > 0)
        {
            html.Start("div", "vfs");
            foreach (var link in sriov.Vfs.OrderBy(v => v.Index))
            {
                Vf(html, audit, index, link);
            }
            html.End();
        }
        html.End();
    }

    private static void Vf(HtmlWriter html, TopologyAudit audit, AuditIndex index, VfLink link)
    {
        var vf = link.Address is { } a ? audit.Inventory.FindByAddress(a) : null;
        if (vf is null)
        {
            html.Start("div", "vf").Text(string.Create(CultureInfo.InvariantCulture, $"VF {link.Index} · virtfn{link.Index} dangles")).End();
            return;
        }
        var owners = index.OwnersOf(vf.Address);
        html.Start("div", owners.Count > 0 ? "vf own " + TopologyPage.SlotClass(index, owners[0].Slot) : "vf");
        html.Element("b", null, string.Create(CultureInfo.InvariantCulture, $"VF {link.Index}"));
        html.Text(" ");
        html.Element("span", "addr", vf.Address.ToString());
        var facts = new List<string> { vf.Driver ?? "no driver" };
        if (vf.IommuGroup is { } g)
        {
            facts.Add(string.Create(CultureInfo.InvariantCulture, $"group {g}"));
        }
        facts.AddRange(Names(vf));
        if (!link.PointsBack)
        {
            facts.Add(vf.VirtualFunction?.PhysFn is { } other ? $"physfn is {other}" : "physfn dangles");
        }
        html.Text(" " + string.Join(" · ", facts));
        foreach (var owner in owners)
        {
            html.Text(" ");
            TopologyPage.Badge(html, index, owner.Slot, owner.Device);
        }
        foreach (var finding in index.FindingsOn(vf.Address))
        {
            TopologyPage.WriteFinding(html, finding, withDevice: false);
        }
        html.End();
    }

    private static IEnumerable<string> Facts(TopologyAudit audit, PciFunction f)
    {
        yield return f.Driver is { } d ? $"driver {d}" : "no driver";
        var labels = audit.Site?.NodeType.PhysicalLabels ?? new Dictionary<string, PciAddress>();
        foreach (var label in labels.Where(p => p.Value == f.Address).Select(p => p.Key).Order(StringComparer.Ordinal))
        {
            yield return $"label {label}";
        }
        if (f.SlotName is { } slot)
        {
            yield return $"PCI slot {slot}";
        }
        if (f.FirmwareLabel is { } firmware)
        {
            yield return $"firmware label {firmware}";
        }
        if (f.SerialNumber is { } serial)
        {
            yield return $"serial {serial}";
        }
        if (f.Sriov is { } sriov)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"SR-IOV {sriov.NumVfs} of {sriov.TotalVfs} VFs");
        }
        if (f.VirtualFunction is { } vf)
        {
            yield return vf.PhysFn is { } pf ? string.Create(CultureInfo.InvariantCulture, $"VF {vf.Index} of {pf}") : "VF, physfn dangles";
        }
        foreach (var name in Names(f))
        {
            yield return name;
        }
    }

    /// <summary>Netdevs (with their state) and RDMA devices.</summary>
    private static IEnumerable<string> Names(PciFunction f) =>
        f.NetDevices.Select(n => $"{n.Name} ({n.OperState ?? "state unknown"})").Concat(f.RdmaDevices.Select(r => $"RDMA {r}"));

    internal static string Kind(PciFunction f) => (f.ClassCode >> 8) switch
    {
        0x0604 => "bridge",
        0x0200 => "Ethernet",
        0x0207 => "InfiniBand",
        0x0403 => "audio",
        0x0108 => "NVMe",
        _ when f.IsDisplay => "GPU",
        _ when f.IsNetwork => "NIC",
        _ when (f.ClassCode >> 16) == 0x12 => "accel",
        _ => "PCI",
    };

    private static string Vendor(int id) => id switch
    {
        0x10de => "NVIDIA",
        0x15b3 => "Mellanox",
        0x8086 => "Intel",
        0x1002 or 0x1022 => "AMD",
        0x1000 or 0x14e4 => "Broadcom",
        0x1af4 => "virtio",
        _ => "vendor",
    };
}
