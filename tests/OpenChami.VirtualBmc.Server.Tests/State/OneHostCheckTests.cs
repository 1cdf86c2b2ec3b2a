using System.Text.Json;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.State;

/// <summary>validate and serve run the one host check: the same host gives the same findings, domain drift included.</summary>
public sealed class OneHostCheckTests
{
    [Fact]
    public async Task Validate_and_serve_report_the_same_findings_for_the_same_host()
    {
        var server = new FileDriverServer();
        server.WriteNode();
        await server.InitializeAsync();
        var hostFile = Path.Combine(server.Directory, "host.yaml");
        try
        {
            // A drifted domain for slot0 on the host both of them read.
            var drifted = await server.RenderedDomainAsync("slot0");
            drifted.Element("vcpu")!.Value = "3";
            server.WriteNode(drifted);
            await using var node = await NodeComposer.StartAsync(SiteLoader.Load(hostFile).GetOrThrow(), Serilog.Core.Logger.None);
            var served = node.State.Slots.ToDictionary(s => s.Name, s => s.Health.Findings.Select(f => $"{f.Code}/{f.Severity}/{f.Device}").ToList());

            using var stdout = new StringWriter();
            var code = await OpenChami.VirtualBmc.Server.Cli.Cli.RunAsync(["validate", "--config", hostFile, "--json"], stdout, TextWriter.Null, new StringReader(""));
            Assert.Equal(1, code);
            var validated = JsonDocument.Parse(stdout.ToString()).RootElement.GetProperty("slots").EnumerateArray().ToDictionary(
                s => s.GetProperty("slot").GetString()!,
                s => s.GetProperty("findings").EnumerateArray().Select(f =>
                    $"{f.GetProperty("code").GetString()}/{f.GetProperty("severity").GetString()}/{(f.TryGetProperty("device", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : "")}").ToList());

            Assert.Equal(served.Keys.Order(), validated.Keys.Order());
            foreach (var (slot, findings) in served)
            {
                Assert.Equal(findings, validated[slot]);
            }
            Assert.Contains("DOMAIN_DRIFT/Error/", served["slot0"]);
            Assert.NotEmpty(served["slot2"]);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
