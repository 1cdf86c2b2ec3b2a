using System.Globalization;
using System.Text.Json;
using OpenChami.VirtualBmc.Host;
using OpenChami.VirtualBmc.Report;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>inventory: what the host has, as the validator sees it.</summary>
public static class InventoryCommand
{
    private const string Help = """
        Usage: openchami-vbmc inventory [--config HOST.yaml | --sysfs-root DIR] [--json] [--html FILE]

        Prints this host's PCI functions (address, class, vendor:device, NUMA node, IOMMU group, driver, SR-IOV,
        netdev and RDMA names, physical slot label) and NUMA nodes (CPUs, memory, free hugepages).
          --config FILE      read sysfs under the host file's sysfsRoot
          --sysfs-root DIR   read sysfs under DIR (default /)
          --json             machine-readable output
          --html FILE        also write the host as one self-contained HTML page (NUMA nodes, IOMMU groups, PFs and VFs)
        """;

    private static readonly string[] FunctionHeader = ["ADDRESS", "CLASS", "VENDOR:DEVICE", "NUMA", "GROUP", "DRIVER", "SR-IOV", "NAMES", "LABEL"];
    private static readonly string[] NodeHeader = ["NUMA", "CPUS", "MEMORY", "HUGEPAGES FREE"];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var line = CommandLine.Parse("inventory", args, new HashSet<string> { "--config", "--sysfs-root", "--html" }, new HashSet<string> { "--json" });
        if (line.Help)
        {
            stdout.WriteLine(Help);
            return ExitCodes.Ok;
        }
        var root = line.Get("--sysfs-root");
        if (root is null && line.Get("--config") is { } config)
        {
            var loaded = SiteLoader.Load(config);
            if (!loaded.Succeeded)
            {
                ConfigOutput.WriteProblems(loaded.Problems, line.Has("--json"), stdout, stderr);
                return ExitCodes.ConfigInvalid;
            }
            root = loaded.Value!.Host.SysfsRoot;
        }
        var sysfsRoot = Path.GetFullPath(root ?? "/");
        var inventory = new SysfsInventorySource(sysfsRoot).Read();
        if (HtmlReport.Write(line.Get("--html"), () => TopologyAudit.ForInventory(inventory, sysfsRoot), stderr).Failed)
        {
            return ExitCodes.RuntimeFailure;
        }
        if (line.Has("--json"))
        {
            stdout.WriteLine(JsonSerializer.Serialize(inventory, InventoryJsonContext.Default.HostInventory));
            return ExitCodes.Ok;
        }
        Write(stdout, inventory);
        return ExitCodes.Ok;
    }

    public static void Write(TextWriter output, HostInventory inventory)
    {
        output.WriteLine($"{inventory.Functions.Count} PCI functions, {inventory.CpuCount} CPUs, IOMMU {(inventory.IommuEnabled ? "on" : "off")}");
        var rows = new List<string[]> { FunctionHeader };
        foreach (var f in inventory.Functions)
        {
            var sriov = f.Sriov is { } s ? $"{s.NumVfs}/{s.TotalVfs} VFs" : f.VirtualFunction is { } vf ? $"VF {vf.Index} of {vf.PhysFn}" : "";
            rows.Add([
                f.Address.ToString(),
                string.Create(CultureInfo.InvariantCulture, $"0x{f.ClassCode:x6}"),
                string.Create(CultureInfo.InvariantCulture, $"{f.VendorId:x4}:{f.DeviceId:x4}"),
                f.NumaNode?.ToString(CultureInfo.InvariantCulture) ?? "?",
                f.IommuGroup?.ToString(CultureInfo.InvariantCulture) ?? "-",
                f.Driver ?? "(none)",
                sriov,
                string.Join(",", f.NetDevices.Select(n => n.Name).Concat(f.RdmaDevices)),
                f.SlotName ?? "",
            ]);
        }
        WriteRows(output, rows);
        output.WriteLine();
        var nodes = new List<string[]> { NodeHeader };
        foreach (var n in inventory.NumaNodes)
        {
            nodes.Add([
                n.Id.ToString(CultureInfo.InvariantCulture),
                CpuList.Format(n.Cpus),
                n.MemTotalKiB is { } kib ? string.Create(CultureInfo.InvariantCulture, $"{kib / 1024 / 1024} GiB") : "?",
                string.Join(", ", n.Hugepages.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Value.Free} x {p.Key} KiB"))),
            ]);
        }
        WriteRows(output, nodes);
    }

    private static void WriteRows(TextWriter output, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }
    }
}

/// <summary>Source-generated: the native (NativeAOT) build has no reflection-based JSON serialization.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(HostInventory))]
internal sealed partial class InventoryJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
