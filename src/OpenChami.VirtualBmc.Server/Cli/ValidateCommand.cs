using System.Text.Json;
using System.Text.Json.Serialization;
using OpenChami.VirtualBmc.Report;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>validate: configuration first (every problem with file:line:column), then the host checks per slot.</summary>
public static class ValidateCommand
{
    private const string Help = """
        Usage: openchami-vbmc validate --config HOST.yaml [--sysfs-root DIR] [--json] [--html FILE] [--timings]

        Loads the host file, the node type and the accounts and image catalog files it names and reports every
        problem in them, each as file:line:column: error <code>: <message>. Then reads this host (sysfs: PCI
        devices, IOMMU groups, NUMA nodes, drivers, SR-IOV PF/VF links, netdev and RDMA names, CPUs, hugepages)
        and checks every slot's device bindings, root disk (its image is in the catalog, the base image can be
        had, an existing overlay is intact) and libvirt domain (ours and in sync with the template; one that is
        not defined yet is no finding), reporting every finding of every slot (codes: docs/validation.md). It
        is the check serve runs at start, without making disks or defining domains.
        When the host file names an inventoryExport, labels also resolve through it and each card's PCI VPD
        serial is compared with it (the kernel lets only root read VPD; docs/inventory-export.md).
          --config FILE      the host file (e.g. /etc/openchami-vbmc/host.yaml)
          --sysfs-root DIR   read sysfs under DIR instead of the host file's sysfsRoot (default /)
          --json             machine-readable output
          --html FILE        also write the audit as one self-contained HTML page: NUMA nodes, IOMMU groups,
                             devices coloured by slot, every finding on its device (docs/validation.md)
          --timings          print how long reading the host and validating took

        Exit codes: 0 every slot usable, 1 a slot failed a host check, 2 usage, 3 configuration invalid.
        """;

    private static readonly string[] Header = ["SLOT", "STATUS", "DEVICE", "CHECK", "RESULT", "DETAIL"];
    private static readonly string[] EndpointHeader = ["ENDPOINT", "REDFISH", "SSH CONSOLE"];

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var line = CommandLine.Parse("validate", args, new HashSet<string> { "--config", "--sysfs-root", "--html" }, new HashSet<string> { "--json", "--timings" });
        if (line.Help)
        {
            stdout.WriteLine(Help);
            return ExitCodes.Ok;
        }
        var loaded = SiteLoader.Load(line.Require("--config"));
        if (!loaded.Succeeded)
        {
            ConfigOutput.WriteProblems(loaded.Problems, line.Has("--json"), stdout, stderr);
            return ExitCodes.ConfigInvalid;
        }
        var site = loaded.Value!.Config;
        if (line.Get("--sysfs-root") is { } root)
        {
            site = site with { Host = site.Host with { SysfsRoot = Path.GetFullPath(root) } };
        }
        var warnings = ConfigWarning.Of(site);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var check = HostCheck.RunAsync(site, HostCheckMode.ReadOnly, Serilog.Core.Logger.None).GetAwaiter().GetResult();
        var report = check.Report;
        var inventory = check.Inventory;
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var html = HtmlReport.Write(line.Get("--html"), () => TopologyAudit.ForValidation(site, inventory, report, check.Resolved), stderr);
        if (html.Failed)
        {
            return ExitCodes.RuntimeFailure;
        }

        if (line.Has("--json"))
        {
            stdout.WriteLine(JsonSerializer.Serialize(new ReportJson(true, site.HostFile, site.Host.SysfsRoot, report.Summary, report.AllUsable, report.Slots)
                {
                    Warnings = [.. warnings.Select(w => w.ToString())],
                },
                ValidateJsonContext.Default.ReportJson));
        }
        else
        {
            stdout.WriteLine($"{site.HostFile}: configuration valid: host {site.Host.HostId}, node type {site.NodeType.Name}, {site.Slots.Count} slots");
            foreach (var warning in warnings)
            {
                stdout.WriteLine(warning);
            }
            stdout.WriteLine($"host: {site.Host.SysfsRoot}: {inventory.Functions.Count} PCI functions, {inventory.NumaNodes.Count} NUMA nodes, IOMMU {(inventory.IommuEnabled ? "on" : "off")}");
            stdout.WriteLine();
            WriteTable(stdout, report);
            stdout.WriteLine();
            WriteEndpoints(stdout, site);
            stdout.WriteLine();
            stdout.WriteLine(report.Summary);
        }
        if (line.Has("--timings"))
        {
            stderr.WriteLine($"timings: read host {check.ReadHost.TotalMilliseconds:F1} ms, validate {(elapsed - check.ReadHost).TotalMilliseconds:F1} ms{html.Timing}");
        }
        return report.AllUsable ? ExitCodes.Ok : ExitCodes.SlotsFailed;
    }

    /// <summary>Where each slot will answer: its Redfish service and its SSH console (what conman and Magellan are given).</summary>
    public static void WriteEndpoints(TextWriter output, OpenChami.VirtualBmc.Slots.Catalog.SiteConfiguration site)
    {
        var scheme = site.Host.InsecurePlainHttp ? "http" : "https";
        var rows = new List<string[]> { EndpointHeader };
        foreach (var slot in site.Slots)
        {
            var address = slot.Bmc.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{slot.Bmc.Address}]" : slot.Bmc.Address.ToString();
            rows.Add([slot.Name, $"{scheme}://{slot.Bmc}/redfish/v1", site.Host.Console.Enabled ? $"{address}:{site.Host.Console.SshPort}" : "off"]);
        }
        if (site.Host.HostEndpoint is { } host)
        {
            rows.Add(["(host)", $"{scheme}://{host}/redfish/v1", "-"]);
        }
        TextTable.Write(output, rows);
    }

    /// <summary>One row per finding, one "ok" row per clean slot: readable at a glance, greppable by code.</summary>
    public static void WriteTable(TextWriter output, ValidationReport report)
    {
        var rows = new List<string[]> { Header };
        foreach (var slot in report.Slots)
        {
            var status = slot.IsUsable ? "usable" : "NOT USABLE";
            if (slot.Findings.Count == 0)
            {
                rows.Add([slot.Slot, status, "-", "all checks", "ok", ""]);
            }
            foreach (var f in slot.Findings)
            {
                rows.Add([slot.Slot, status, f.Device ?? "-", f.Code, f.Severity == FindingSeverity.Error ? "error" : "warning", f.Message]);
            }
        }
        TextTable.Write(output, rows);
    }

    public sealed record ReportJson(bool ConfigValid, string HostFile, string SysfsRoot, string Summary, bool AllUsable, IReadOnlyList<SlotValidation> Slots)
    {
        /// <summary>Configuration warnings (file:line:column: warning code: message); they do not change the exit code.</summary>
        public IReadOnlyList<string> Warnings { get; init; } = [];
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ValidateCommand.ReportJson))]
internal sealed partial class ValidateJsonContext : JsonSerializerContext;
