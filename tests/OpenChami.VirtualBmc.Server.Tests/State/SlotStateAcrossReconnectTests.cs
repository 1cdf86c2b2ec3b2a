using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.State;

/// <summary>
/// The demo on a private libvirt test-driver host (a node file): each connection reads the file anew, so rewriting it
/// and dropping the connection is "libvirtd restarted with other domains". The file is absent until <see cref="WriteNode"/>.
/// </summary>
public sealed class FileDriverServer : RunningServer
{
    public string NodeFile => Path.Combine(Directory, "node.xml");

    protected override string Tweak(string hostYaml) =>
        hostYaml.Replace("uri: test:///default", "uri: test://" + NodeFile, StringComparison.Ordinal);

    /// <summary>A test-driver host with these domains (XML elements) and nothing else.</summary>
    public void WriteNode(params XElement[] domains) => File.WriteAllText(NodeFile, new XElement("node",
        XElement.Parse("<cpu><mhz>2400</mhz><model>x86_64</model><active>256</active><nodes>2</nodes><sockets>2</sockets><cores>64</cores><threads>2</threads></cpu>"),
        new XElement("memory", 1073741824), domains).ToString());

    /// <summary>The domain the service renders for a slot (its metadata makes it ours).</summary>
    public async Task<XElement> RenderedDomainAsync(string slotName)
    {
        var site = Node.State.Site;
        await using var check = await HostCheck.RunAsync(site.Config, HostCheckMode.BindingsOnly, Serilog.Core.Logger.None);
        return DomainXml.Render(site.Config.FindSlot(slotName)!, check.Placement(site.Config.FindSlot(slotName)!), NodeComposer.RenderOptions(site.Host)).Root!;
    }

    /// <summary>libvirtd "restarts": the service's connection is closed under it; it reconnects and reconciles by itself.</summary>
    public void DropConnection() => Node.Hypervisor!.Connections.Current!.Dispose();
}

public sealed class SlotStateAcrossReconnectTests
{
    private const string System0 = "/redfish/v1/Systems/slot0";
    private const string Reset0 = System0 + "/Actions/ComputerSystem.Reset";

    private static async Task<FileDriverServer> StartAsync(bool withNode)
    {
        var server = new FileDriverServer();
        if (withNode)
        {
            System.IO.Directory.CreateDirectory(server.Directory);
            server.WriteNode();
        }
        await server.InitializeAsync();
        return server;
    }

    private static string[] ConditionCodes(JsonElement system) =>
        system.GetProperty("Status").TryGetProperty("Conditions", out var conditions)
            ? [.. conditions.EnumerateArray().Select(c => c.GetProperty("MessageArgs")[0].GetString()!)]
            : [];

    private static async Task Until(Func<Task<bool>> condition, string what, int timeoutMs)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(100);
        }
    }

    private static string Code(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    [Fact]
    public async Task Libvirt_unreachable_at_start_then_back_answers_503_with_RetryAfter_never_409_then_acts()
    {
        var server = await StartAsync(withNode: false);
        try
        {
            // Reads answer from what is known, and say why actions wait.
            var (get, system) = await server.GetAsync(System0);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Contains("LIBVIRT_UNREACHABLE", ConditionCodes(system));
            foreach (var type in new[] { "On", "ForceOff", "GracefulShutdown" })
            {
                var (reset, error) = await server.SendAsync(HttpMethod.Post, Reset0, $$"""{"ResetType":"{{type}}"}""");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, reset.StatusCode);
                Assert.Equal("Base.1.22.ServiceTemporarilyUnavailable", Code(error));
                Assert.Equal("5", reset.Headers.GetValues("Retry-After").Single());
            }
            var (patch, _) = await server.SendAsync(HttpMethod.Patch, System0, """{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}}""");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, patch.StatusCode);

            // libvirt comes up: the service reconnects by itself (no call, no 60 s resync) and the slot acts normally.
            server.WriteNode();
            var seen = new List<HttpStatusCode>();
            await Until(async () =>
            {
                var (response, _) = await server.SendAsync(HttpMethod.Post, Reset0, """{"ResetType":"On"}""");
                seen.Add(response.StatusCode);
                return response.StatusCode == HttpStatusCode.NoContent;
            }, "Reset On succeeds once libvirt is back", timeoutMs: 20_000);
            Assert.DoesNotContain(HttpStatusCode.Conflict, seen);
            Assert.All(seen, s => Assert.True(s is HttpStatusCode.NoContent or HttpStatusCode.ServiceUnavailable, s.ToString()));
            var (_, after) = await server.GetAsync(System0);
            Assert.Equal("On", after.GetProperty("PowerState").GetString());
            Assert.Empty(ConditionCodes(after));
            Assert.Equal("OK", after.GetProperty("Status").GetProperty("Health").GetString());
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_domain_replaced_by_a_foreign_one_across_a_reconnect_is_shown_and_refuses_actions()
    {
        var server = await StartAsync(withNode: true);
        try
        {
            var (ok, _) = await server.SendAsync(HttpMethod.Post, Reset0, """{"ResetType":"On"}""");
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);

            // After the restart a domain of the same name exists, with another UUID and none of our metadata.
            var ours = await server.RenderedDomainAsync("slot0");
            server.WriteNode(new XElement("domain", new XAttribute("type", "test"), ours.Element("name"),
                new XElement("uuid", Guid.NewGuid()), new XElement("memory", 1048576), new XElement("vcpu", 1),
                new XElement("os", new XElement("type", "hvm"))));
            server.DropConnection();

            await Until(async () => ConditionCodes((await server.GetAsync(System0)).Body).Contains("DOMAIN_FOREIGN"),
                "the foreign domain shows in Status.Conditions", timeoutMs: 20_000);
            var (_, system) = await server.GetAsync(System0);
            Assert.Equal("Critical", system.GetProperty("Status").GetProperty("Health").GetString());
            var (reset, error) = await server.SendAsync(HttpMethod.Post, Reset0, """{"ResetType":"ForceOff"}""");
            Assert.Equal(HttpStatusCode.Conflict, reset.StatusCode);
            Assert.Equal("Base.1.22.ServiceDisabled", Code(error));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Drift_found_at_a_later_reconnect_is_shown_and_refuses_actions()
    {
        var server = await StartAsync(withNode: true);
        try
        {
            var ours = await server.RenderedDomainAsync("slot0");
            ours.Element("vcpu")!.Value = "3";
            server.WriteNode(ours);
            server.DropConnection();

            await Until(async () => ConditionCodes((await server.GetAsync(System0)).Body).Contains("DOMAIN_DRIFT"),
                "the drift shows in Status.Conditions", timeoutMs: 20_000);
            var (reset, error) = await server.SendAsync(HttpMethod.Post, Reset0, """{"ResetType":"On"}""");
            Assert.Equal(HttpStatusCode.Conflict, reset.StatusCode);
            Assert.Equal("Base.1.22.ServiceDisabled", Code(error));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
