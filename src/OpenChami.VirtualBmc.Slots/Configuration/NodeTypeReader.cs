using System.Text.Json.Nodes;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Images;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>Maps a schema-valid node type tree to the catalog records.</summary>
internal static class NodeTypeReader
{
    public static NodeType Read(TreeReader root)
    {
        var labels = new Dictionary<string, PciAddress>(StringComparer.Ordinal);
        var labelLocations = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var (label, value) in root["physicalLabels"].Members())
        {
            labels[label] = PciAddress.Parse(value.AsString()!);
            labelLocations[label] = value.Where;
        }
        NodeResources? resources = null;
        if (root.Has("resources"))
        {
            var r = root["resources"];
            resources = new NodeResources(
                r["numaNodes"].Items().Select(n => new NumaNodeResources(n.Int("id")!.Value, n.Int("cores")!.Value, n.Int("memoryGiB")!.Value, n.Int("hugepagesGiB"), n.Where)).ToList(),
                r.Where);
        }
        return new NodeType(
            root.String("nodeType")!,
            root.String("description"),
            labels,
            resources,
            root["vmSlots"].Items().Select(ReadSlot).ToList(),
            root.Where,
            labelLocations);
    }

    private static SlotTemplate ReadSlot(TreeReader s)
    {
        var cpu = s["cpu"];
        var memory = s["memory"];
        var cloudInit = s["cloudInit"];
        return new SlotTemplate(
            s.String("name")!,
            s.String("profile"),
            string.IsNullOrEmpty(s.String("image")) ? null : s.String("image"),
            s.String("firmware") == "bios" ? Firmware.Bios : Firmware.Uefi,
            new CpuSpec(cpu.Int("cores")!.Value, ParsePolicy(cpu.String("numaPolicy")), cpu.Int("numaNode"), cpu.Where),
            new MemorySpec(memory.Int("sizeGiB")!.Value, memory.Bool("hugepages") ?? false,
                memory.String("hugepageSize") switch { "2M" => HugepageSize.TwoMiB, "1G" => HugepageSize.OneGiB, _ => null }, memory.Where),
            s["devices"].Items().Select(ReadDevice).ToList(),
            s["networks"].Items().Select(n => new NetworkAttachment(n.String("name")!, n.String("bridge"), n.String("network"), n.Where)).ToList(),
            s.Has("cloudInit")
                ? new CloudInitTemplate(cloudInit.Bool("localSeed") ?? false, ReadUserData(cloudInit), cloudInit.RawJson("metaData"),
                    cloudInit.Has("userData") ? cloudInit["userData"].Where : null, cloudInit.Has("metaData") ? cloudInit["metaData"].Where : null)
                : CloudInitTemplate.None,
            s.Where)
        {
            ImageWhere = s.Has("image") ? s.KeyWhere("image") : null,
            SecureBoot = s.String("secureBoot") switch { "enabled" => true, "disabled" => false, _ => null },
            SecureBootWhere = s.Has("secureBoot") ? s.KeyWhere("secureBoot") : null,
        };
    }

    /// <summary>userData is text, or a mapping: the cloud-config itself, so the operator need not nest YAML in a string.</summary>
    private static string? ReadUserData(TreeReader cloudInit) =>
        cloudInit.String("userData") ?? (cloudInit.Node("userData") is JsonObject config ? CloudConfig.Header + "\n" + SeedYaml.Write(config) : null);

    private static DeviceBinding ReadDevice(TreeReader d)
    {
        var selector = d["selector"];
        var kind = d.String("kind") switch
        {
            "gpu" => DeviceKind.Gpu,
            "nic" => DeviceKind.Nic,
            _ => DeviceKind.Pci,
        };
        NicMode? mode = d.String("mode") switch
        {
            "passthrough" => NicMode.Passthrough,
            "sriov-vf" => NicMode.SriovVf,
            _ => null,
        };
        return new DeviceBinding(
            d.String("name")!,
            kind,
            mode,
            new DeviceSelector(
                selector.String("pciAddress") is { } a ? PciAddress.Parse(a) : null,
                selector.String("physicalLabel"),
                selector.String("pf"),
                selector.Int("vfIndex"),
                selector.Where),
            d.Where);
    }

    private static NumaPolicy ParsePolicy(string? text) => text switch
    {
        "preferred" => NumaPolicy.Preferred,
        "none" => NumaPolicy.None,
        _ => NumaPolicy.Strict,
    };
}
