using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.Host.Services;
using OpenChami.VirtualBmc.TestSupport;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>Managers/BMC/NetworkProtocol: what the running service offers, read-only.</summary>
public sealed class ManagerNetworkProtocolTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string NetworkProtocol = "/redfish/v1/Managers/BMC/NetworkProtocol";

    private static List<string> MessageIds(JsonElement body) =>
        body.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()!).ToList();

    [SkippableFact]
    public async Task IsLinkedFromTheManager_ValidatesAndSaysWhatThisEndpointServes()
    {
        RedfishSchemas.SkipIfAbsent();
        var (_, manager) = await server.GetAsync("/redfish/v1/Managers/BMC");
        Assert.Equal(NetworkProtocol, manager.GetProperty("NetworkProtocol").GetProperty("@odata.id").GetString());
        var (response, body) = await server.GetAsync(NetworkProtocol);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        RedfishSchemas.AssertValid(body.GetRawText());

        Assert.True(body.GetProperty("HTTPS").GetProperty("ProtocolEnabled").GetBoolean());
        Assert.Equal(server.Port, body.GetProperty("HTTPS").GetProperty("Port").GetInt32());
        Assert.False(body.GetProperty("HTTP").GetProperty("ProtocolEnabled").GetBoolean());
        Assert.False(body.GetProperty("IPMI").GetProperty("ProtocolEnabled").GetBoolean());
        Assert.Equal(623, body.GetProperty("IPMI").GetProperty("Port").GetInt32());
        Assert.False(body.GetProperty("SSDP").GetProperty("ProtocolEnabled").GetBoolean());
        Assert.Equal(Dns.GetHostName(), body.GetProperty("HostName").GetString());

        var console = server.Node.State.Slots.Single(s => s.Name == "slot0").ConsoleEndpoint;
        Assert.NotNull(console); // the test configuration serves SSH consoles
        Assert.True(body.GetProperty("SSH").GetProperty("ProtocolEnabled").GetBoolean());
        Assert.Equal(console.Port, body.GetProperty("SSH").GetProperty("Port").GetInt32());

        var host = new HostTimeSources().Read();
        Assert.Equal(host.Configured, body.GetProperty("NTP").GetProperty("ProtocolEnabled").GetBoolean());
        Assert.Equal(host.Servers, body.GetProperty("NTP").GetProperty("NetworkSuppliedServers").EnumerateArray().Select(s => s.GetString()!));
    }

    [Fact]
    public async Task Patch_IsRefusedPropertyByProperty_AndNeedsConfigureManager()
    {
        var (response, body) = await server.SendAsync(HttpMethod.Patch, NetworkProtocol, """{"NTP":{"ProtocolEnabled":true},"IPMI":{"ProtocolEnabled":true},"Nonsense":1}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["Base.1.22.PropertyNotWritable", "Base.1.22.PropertyNotWritable", "Base.1.22.PropertyUnknown"], MessageIds(body));

        using var reader = server.ClientFor("reader", TestAccounts.ReaderPassword);
        var (denied, deniedBody) = await server.SendAsync(HttpMethod.Patch, NetworkProtocol, """{"NTP":{"ProtocolEnabled":true}}""", client: reader);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("Base.1.22.InsufficientPrivilege", MessageIds(deniedBody));
    }
}

/// <summary>The host's NTP servers, read from the time daemons' configuration files under an injected root.</summary>
public sealed class HostTimeSourcesTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void NoDaemonConfigured_IsNotConfigured()
    {
        _root.Write("etc/hostname", "node\n");
        var sources = new HostTimeSources(_root.Path).Read();
        Assert.False(sources.Configured);
        Assert.Empty(sources.Servers);
    }

    [Fact]
    public void Timesyncd_DropInsOverride_AndFallbackOnlyWhenNtpIsEmpty()
    {
        _root.Write("etc/systemd/timesyncd.conf", "[Time]\n#NTP=commented.example\nNTP=a.example b.example\nFallbackNTP=fallback.example\n");
        _root.Write("etc/systemd/timesyncd.conf.d/50-site.conf", "[Time]\nNTP=site1.example\tsite2.example\n");
        Assert.Equal(["site1.example", "site2.example"], new HostTimeSources(_root.Path).Read().Servers);

        _root.Write("etc/systemd/timesyncd.conf.d/60-reset.conf", "[Time]\nNTP=\n");
        var sources = new HostTimeSources(_root.Path).Read();
        Assert.Equal(["fallback.example"], sources.Servers);
        Assert.Equal(["systemd-timesyncd"], sources.Daemons);
    }

    [Fact]
    public void ChronyAndNtpsec_ServerAndPoolLines_FromEveryFile()
    {
        _root.Write("etc/chrony/chrony.conf", "# comment\npool 2.debian.pool.ntp.org iburst\nsourcedir /etc/chrony/sources.d\nserver 10.0.0.1 iburst prefer\n");
        _root.Write("etc/chrony/sources.d/site.sources", "server ntp.site.example iburst\n");
        _root.Write("etc/chrony/conf.d/local.conf", "! server commented.example\nserver 10.0.0.1\n");
        _root.Write("etc/ntpsec/ntp.conf", "driftfile /var/lib/ntpsec/ntp.drift\npool 0.debian.pool.ntp.org iburst\nrestrict default kod\n");
        var sources = new HostTimeSources(_root.Path).Read();
        Assert.True(sources.Configured);
        Assert.Equal(["2.debian.pool.ntp.org", "10.0.0.1", "ntp.site.example", "0.debian.pool.ntp.org"], sources.Servers);
        Assert.Equal(["chrony", "ntpsec"], sources.Daemons);
    }
}
