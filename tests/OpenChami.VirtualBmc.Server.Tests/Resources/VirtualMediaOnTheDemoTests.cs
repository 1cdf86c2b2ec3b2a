using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>The demo's host file with loopback image servers allowed (<c>virtualMedia.insecureAllowLoopback</c>).</summary>
public sealed class LoopbackMediaServer : RunningServer
{
    public const string AllowLoopback = "virtualMedia:\n  insecureAllowLoopback: true\n";

    protected override string Tweak(string hostYaml) => hostYaml + AllowLoopback;

    public string AuditText()
    {
        using var stream = new FileStream(Path.Combine(Directory, "audit.jsonl"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>
/// Virtual media on libvirt's test driver (the demo), which cannot change a running domain's devices: the service
/// downloads the image as on QEMU, records the CD-ROM in the domain's persistent definition, and the next start boots
/// with it.
/// </summary>
public sealed class VirtualMediaOnTheDemoTests(LoopbackMediaServer server) : IClassFixture<LoopbackMediaServer>
{
    private const string Media = "/redfish/v1/Systems/slot0/VirtualMedia/Cd";
    private const string ManagerMedia = "/redfish/v1/Managers/BMC/VirtualMedia/Cd";
    private const string Insert = ManagerMedia + "/Actions/VirtualMedia.InsertMedia";
    private const string Eject = ManagerMedia + "/Actions/VirtualMedia.EjectMedia";
    private const string Reset = "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset";

    private static string Code(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    /// <summary>The slot's domain XML, live or persistent, read on a connection of the test's own.</summary>
    private XDocument DomainXml(bool inactive)
    {
        var runtime = (LibvirtSlotRuntime)server.Node.Hypervisor!.FindSlot("slot0")!;
        using var connection = LibvirtConnection.Open("test:///default");
        using var domain = connection.LookupByName(runtime.DomainName);
        return XDocument.Parse(domain.GetXmlDesc(inactive));
    }

    private static XElement Cdrom(XDocument domain) => domain.Root!.Element("devices")!.Elements("disk")
        .Single(d => d.Attribute("device")?.Value == "cdrom");

    private static string? CdromFile(XDocument domain) => Cdrom(domain).Element("source")?.Attribute("file")?.Value;

    private static string FirstBootDevice(XDocument domain) => domain.Root!.Element("os")!.Elements("boot").First().Attribute("dev")!.Value;

    [Fact]
    public async Task InsertMedia_IsDownloaded_RecordedInTheDefinition_BootedWithACdOverride_AndEjected()
    {
        using var images = new IsoServer();
        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Post, Reset, """{"ResetType":"On"}""")).Response.StatusCode);

        // Inserted while the VM runs: a success, as on QEMU; the running VM sees it at its next start.
        var (insert, insertBody) = await server.SendAsync(HttpMethod.Post, Insert, $$"""{"Image":"{{images.Url}}","TransferProtocolType":"HTTP"}""");
        Assert.True(insert.StatusCode == HttpStatusCode.NoContent, $"{insert.StatusCode}: {(insertBody.ValueKind == JsonValueKind.Undefined ? "" : insertBody.GetRawText())}");
        Assert.True(images.Requests >= 1, "the service downloads the image itself");
        foreach (var path in new[] { Media, ManagerMedia })
        {
            var (_, media) = await server.GetAsync(path);
            Assert.True(media.GetProperty("Inserted").GetBoolean(), path);
            Assert.Equal(images.Url, media.GetProperty("Image").GetString());
            Assert.Equal("URI", media.GetProperty("ConnectedVia").GetString());
            Assert.Equal("boot.iso", media.GetProperty("ImageName").GetString());
        }
        var recorded = CdromFile(DomainXml(inactive: true));
        Assert.NotNull(recorded);
        Assert.StartsWith(Path.Combine(server.Directory, "media-cache"), recorded, StringComparison.Ordinal);
        Assert.Equal(IsoServer.Image, File.ReadAllBytes(recorded));
        Assert.Null(CdromFile(DomainXml(inactive: false))); // the running VM is unchanged until it starts again
        Assert.Contains("recorded in the domain definition; the running VM sees it at its next start", server.AuditText(), StringComparison.Ordinal);
        // A media source is expected to vary: the slot stays usable (the drift check looks only for the CD-ROM).
        Assert.True(server.Node.State.Slots.Single(s => s.Name == "slot0").Health.Usable);

        // A Cd override and a restart: the domain starts from the recorded definition, CD first.
        var (patch, _) = await server.SendAsync(HttpMethod.Patch, "/redfish/v1/Systems/slot0",
            """{"Boot":{"BootSourceOverrideTarget":"Cd","BootSourceOverrideEnabled":"Once"}}""");
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Post, Reset, """{"ResetType":"ForceRestart"}""")).Response.StatusCode);
        var started = DomainXml(inactive: false);
        Assert.Equal(recorded, CdromFile(started));
        Assert.Equal("cdrom", FirstBootDevice(started));
        Assert.Equal(recorded, CdromFile(DomainXml(inactive: true))); // the Once override's revert keeps the media
        Assert.True((await server.GetAsync(Media)).Body.GetProperty("Inserted").GetBoolean());

        // Eject: gone from the definition (the CD-ROM itself stays), read back empty; the next start has no media.
        var (eject, _) = await server.SendAsync(HttpMethod.Post, Eject, "{}");
        Assert.Equal(HttpStatusCode.NoContent, eject.StatusCode);
        var (_, ejected) = await server.GetAsync(Media);
        Assert.False(ejected.GetProperty("Inserted").GetBoolean());
        Assert.Equal(JsonValueKind.Null, ejected.TryGetProperty("Image", out var image) ? image.ValueKind : JsonValueKind.Null);
        Assert.Equal("NotConnected", ejected.GetProperty("ConnectedVia").GetString());
        var definition = DomainXml(inactive: true);
        Assert.Null(Cdrom(definition).Element("source"));
        Assert.Equal("sda", Cdrom(definition).Element("target")!.Attribute("dev")!.Value);
        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Post, Reset, """{"ResetType":"PowerCycle"}""")).Response.StatusCode);
        Assert.Null(CdromFile(DomainXml(inactive: false)));
        Assert.True(server.Node.State.Slots.Single(s => s.Name == "slot0").Health.Usable);
    }

    [Fact]
    public async Task InsertMedia_WhileOff_IsInTheDomainAtTheNextStart()
    {
        using var images = new IsoServer("off.iso");
        await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot1/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""",
            r => r.RequestUri = server.Url("/redfish/v1/Systems/slot1/Actions/ComputerSystem.Reset", "127.0.0.11"));
        var (insert, _) = await server.SendAsync(HttpMethod.Post, "/", $$"""{"Image":"{{images.Url}}"}""",
            r => r.RequestUri = server.Url("/redfish/v1/Systems/slot1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia", "127.0.0.11"));
        Assert.Equal(HttpStatusCode.NoContent, insert.StatusCode);
        var (on, _) = await server.SendAsync(HttpMethod.Post, "/", """{"ResetType":"On"}""",
            r => r.RequestUri = server.Url("/redfish/v1/Systems/slot1/Actions/ComputerSystem.Reset", "127.0.0.11"));
        Assert.Equal(HttpStatusCode.NoContent, on.StatusCode);

        var runtime = (LibvirtSlotRuntime)server.Node.Hypervisor!.FindSlot("slot1")!;
        using var connection = LibvirtConnection.Open("test:///default");
        using var domain = connection.LookupByName(runtime.DomainName);
        var live = CdromFile(XDocument.Parse(domain.GetXmlDesc()));
        Assert.NotNull(live);
        Assert.Equal(IsoServer.Image, File.ReadAllBytes(live));
        Assert.Equal(live, await runtime.GetInsertedMediaAsync());

        var (eject, _) = await server.SendAsync(HttpMethod.Post, "/", "{}",
            r => r.RequestUri = server.Url("/redfish/v1/Systems/slot1/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia", "127.0.0.11"));
        Assert.Equal(HttpStatusCode.NoContent, eject.StatusCode);
        Assert.Null(await runtime.GetInsertedMediaAsync());
    }

    [Theory]
    [InlineData("http://10.1.2.3/boot.iso")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://192.168.0.1:8080/boot.iso")]
    public async Task PrivateOrLinkLocalUrl_IsRefusedAsOnQemu_AndNothingIsRecorded(string url)
    {
        var (response, body) = await server.SendAsync(HttpMethod.Post, "/", $$"""{"Image":"{{url}}"}""",
            r => r.RequestUri = server.Url("/redfish/v1/Systems/slot1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia", "127.0.0.11"));
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body.GetRawText());
        Assert.Equal("Base.1.22.ActionParameterValueFormatError", Code(body));
        var (_, media) = await server.GetAsync("/", r => r.RequestUri = server.Url("/redfish/v1/Systems/slot1/VirtualMedia/Cd", "127.0.0.11"));
        Assert.False(media.GetProperty("Inserted").GetBoolean());
        Assert.Null(await server.Node.Hypervisor!.FindSlot("slot1")!.GetInsertedMediaAsync());
    }
}

/// <summary>What was inserted on the demo survives a restart of the service: read from the domain's definition, not drift.</summary>
public sealed class VirtualMediaAcrossRestartTests
{
    [Fact]
    public async Task InsertedMedia_ReadsBackAfterARestart_AndTheRecordedDefinitionIsNotDrift()
    {
        using var dir = new TempDirectory();
        using var images = new IsoServer("kept.iso");
        var port = ServerTestSupport.FreePort(IPAddress.Parse("127.0.0.10"));
        var host = ServerTestSupport.WriteDemoCopy(dir, port);
        File.AppendAllText(host, LoopbackMediaServer.AllowLoopback);
        // test:///default keeps the domains while a connection is open: this one outlives the first service.
        using var keep = LibvirtConnection.Open("test:///default");

        string recorded;
        await using (var first = await NodeComposer.StartAsync(SiteLoader.Load(host).GetOrThrow(), Serilog.Core.Logger.None))
        {
            await using var app = RedfishServer.Build(first.State, Serilog.Core.Logger.None);
            await app.StartAsync();
            using var http = Client(dir);
            var insert = await http.PostAsync(Url(port, "/redfish/v1/Systems/slot0/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia"),
                new StringContent($$"""{"Image":"{{images.Url}}"}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.NoContent, insert.StatusCode);
            recorded = (await first.Hypervisor!.FindSlot("slot0")!.GetInsertedMediaAsync())!;
            await app.StopAsync();
        }

        await using var second = await NodeComposer.StartAsync(SiteLoader.Load(host).GetOrThrow(), Serilog.Core.Logger.None);
        var slot0 = second.State.Slots.Single(s => s.Name == "slot0");
        Assert.True(slot0.Health.Usable, string.Join("; ", slot0.Health.Findings.Select(f => f.Message)));
        Assert.DoesNotContain(slot0.Health.Findings, f => f.Code == "DOMAIN_DRIFT");
        await using var again = RedfishServer.Build(second.State, Serilog.Core.Logger.None);
        await again.StartAsync();
        using (var http = Client(dir))
        {
            using var media = JsonDocument.Parse(await http.GetStringAsync(Url(port, "/redfish/v1/Systems/slot0/VirtualMedia/Cd")));
            Assert.True(media.RootElement.GetProperty("Inserted").GetBoolean());
            Assert.Equal(images.Url, media.RootElement.GetProperty("Image").GetString());
            Assert.Equal(recorded, await second.Hypervisor!.FindSlot("slot0")!.GetInsertedMediaAsync());
            Assert.True(File.Exists(recorded), "the image cache keeps a held file across restarts");

            var eject = await http.PostAsync(Url(port, "/redfish/v1/Systems/slot0/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia"),
                new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.NoContent, eject.StatusCode);
            Assert.Null(await second.Hypervisor!.FindSlot("slot0")!.GetInsertedMediaAsync());
        }
        await again.StopAsync();
    }

    private static Uri Url(int port, string path) => new($"https://127.0.0.10:{port}{path}");

    private static HttpClient Client(TempDirectory dir)
    {
        var thumbprint = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dir.Path, "tls", "cert.pem"))).Thumbprint;
        var client = new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.Thumbprint == thumbprint,
        });
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"admin:{ServerTestSupport.TestAccounts.AdminPassword}")));
        return client;
    }
}
