using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Server.Cli;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Cli;

/// <summary>validate / inventory --html FILE: the page is written beside the usual output, from the same report.</summary>
public sealed class HtmlOutputTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = OpenChami.VirtualBmc.Server.Cli.Cli.RunAsync(args, stdout, stderr, new StringReader("")).GetAwaiter().GetResult();
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string PageText(string file)
    {
        using var reader = XmlReader.Create(file, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader).Root!.Value;
    }

    [Fact]
    public void Validate_json_and_html_name_the_same_slots_and_codes()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        // An export whose serial disagrees: a finding from the inventory export checks too, besides the driver ones.
        var hostId = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(host), "^hostId: (\\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
        dir.Write("inventory-export.json", File.ReadAllText(Path.Combine(RepoPaths.Examples, "demo", "inventory-export.json"))
            .Replace("\"hostId\": \"x1000c0s0b0n0\"", $"\"hostId\": \"{hostId}\"", StringComparison.Ordinal)
            .Replace("1654923000002", "1654923000099", StringComparison.Ordinal));
        File.AppendAllText(host, "inventoryExport: inventory-export.json\n");
        var page = Path.Combine(dir.Path, "audit.html");

        var (code, output, errors) = Run("validate", "--config", host, "--json", "--html", page, "--timings");

        Assert.Equal(ExitCodes.SlotsFailed, code);
        var report = JsonDocument.Parse(output).RootElement;
        var text = PageText(page);
        var codes = 0;
        foreach (var slot in report.GetProperty("slots").EnumerateArray())
        {
            Assert.Contains(slot.GetProperty("slot").GetString()!, text, StringComparison.Ordinal);
            foreach (var finding in slot.GetProperty("findings").EnumerateArray())
            {
                Assert.Contains(finding.GetProperty("code").GetString()!, text, StringComparison.Ordinal);
                Assert.Contains(finding.GetProperty("message").GetString()!, text, StringComparison.Ordinal);
                codes++;
            }
        }
        Assert.Equal(4, codes);
        Assert.Contains(report.GetProperty("summary").GetString()!, text, StringComparison.Ordinal);
        Assert.Matches(@"timings: read host [0-9.]+ ms, validate [0-9.]+ ms, render html [0-9.]+ ms \([0-9]+ bytes\)", errors);
    }

    [Fact]
    public void Inventory_html_shows_the_host_without_slots()
    {
        using var dir = new TempDirectory();
        var page = Path.Combine(dir.Path, "inventory.html");

        var (code, _, _) = Run("inventory", "--sysfs-root", ServerTestSupport.DemoSysfs, "--html", page);

        Assert.Equal(ExitCodes.Ok, code);
        var text = PageText(page);
        Assert.Contains("Host inventory", text, StringComparison.Ordinal);
        Assert.Contains("0000:bc:00.0", text, StringComparison.Ordinal);
        Assert.Contains("NUMA node 1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("slot0", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Unwritable_html_file_is_a_runtime_failure_with_the_reason()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);

        var (code, _, errors) = Run("validate", "--config", host, "--html", Path.Combine(dir.Path, "no-such-dir", "audit.html"));

        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.Contains("cannot write the HTML report to", errors, StringComparison.Ordinal);
    }
}
