using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

/// <summary>TLS and limits, against real Kestrel on loopback.</summary>
public sealed class TransportTests(RunningServer server) : IClassFixture<RunningServer>
{
    private async Task<SslStream> ConnectAsync(SslProtocols protocols)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Parse("127.0.0.10"), server.Port);
        var ssl = new SslStream(client.GetStream(), false, (_, cert, _, _) => cert?.GetCertHashString() == server.CertificateThumbprint);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.10", EnabledSslProtocols = protocols });
        return ssl;
    }

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task ModernTls_IsAccepted(SslProtocols protocol)
    {
        await using var ssl = await ConnectAsync(protocol);
        Assert.Equal(protocol, ssl.SslProtocol);
    }

    [Fact]
    public async Task ReplacedCertificate_ServesTheNextHandshake_AndTheOldOneComesBack()
    {
        var holder = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<OpenChami.VirtualBmc.Server.Hosting.CertificateHolder>(server.App.Services);
        var original = holder.Current!;
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=replacement", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var replacement = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(
            created.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12), null);
        try
        {
            holder.Current = replacement;
            string? seen = null;
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(IPAddress.Parse("127.0.0.10"), server.Port);
                await using var ssl = new SslStream(client.GetStream(), false, (_, cert, _, _) => (seen = cert?.GetCertHashString()) is not null);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.10" });
            }
            Assert.Equal(replacement.GetCertHashString(), seen);
        }
        finally
        {
            holder.Current = original;
        }
        await using var again = await ConnectAsync(SslProtocols.Tls13);
        Assert.Equal(SslProtocols.Tls13, again.SslProtocol);
    }

    [Fact]
    public async Task Tls13_IsPreferred()
    {
        await using var ssl = await ConnectAsync(SslProtocols.Tls12 | SslProtocols.Tls13);
        Assert.Equal(SslProtocols.Tls13, ssl.SslProtocol);
    }

    [Fact]
    public async Task PlainHttp_OnTheTlsPort_GetsNoResource()
    {
        using var plain = new HttpClient();
        var failed = false;
        try
        {
            var response = await plain.GetAsync(new Uri($"http://127.0.0.10:{server.Port}/redfish/v1"));
            failed = response.StatusCode != HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            failed = true;
        }
        Assert.True(failed);
    }

    [Fact]
    public async Task TooManyHeaders_AreRefused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Url("/redfish/v1"));
        for (var i = 0; i < 80; i++)
        {
            request.Headers.Add($"X-Padding-{i}", "x");
        }
        var response = await server.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task SlowHeaders_AreCutOffByTheHeaderTimeout()
    {
        // Slowloris: start a request and never finish its headers; Kestrel must close the connection (10 s timeout).
        await using var ssl = await ConnectAsync(SslProtocols.Tls13);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes("GET /redfish/v1 HTTP/1.1\r\nHost: x\r\n"));
        var started = DateTime.UtcNow;
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        int read;
        try
        {
            read = await ssl.ReadAsync(buffer, deadline.Token);
            while (read > 0)
            {
                read = await ssl.ReadAsync(buffer, deadline.Token);
            }
        }
        catch (IOException)
        {
            read = 0; // connection reset: also closed
        }
        var waited = DateTime.UtcNow - started;
        Assert.False(deadline.IsCancellationRequested, "the server kept a half-sent request open for 40 s");
        Assert.InRange(waited.TotalSeconds, 5, 35);
    }

    [Fact]
    public async Task BodyOverTheAuthenticatedCap_Is413()
    {
        var body = $$"""{"ResetType":"On","Pad":"{{new string('x', 70 * 1024)}}"}""";
        // Expect: 100-continue, as curl sends for large bodies: the 413 comes before the body is sent. Without it the
        // server may answer and close while the client is still writing, and a loaded machine sees a broken pipe.
        var (response, error) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", body,
            configure: r => r.Headers.ExpectContinue = true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("Base.1.22.PayloadTooLarge", error.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task DeeplyNestedJson_IsMalformed()
    {
        var body = string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40);
        var (response, error) = await server.SendAsync(HttpMethod.Patch, "/redfish/v1/Systems/slot0", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Base.1.22.MalformedJSON", error.GetProperty("error").GetProperty("code").GetString());
    }
}

/// <summary>The Insecure… anonymous grant, and the host endpoint listing every slot (127.0.0.19, as in the demo).</summary>
public sealed class AnonymousOperatorServer : RunningServer
{
    protected override string Tweak(string hostYaml) => hostYaml
        .Replace("security:\n", "security:\n  insecureAnonymous:\n    networks: [\"127.0.0.0/8\"]\n    role: Operator\n", StringComparison.Ordinal);
}

public sealed class InsecureAnonymousAndHostEndpointTests(AnonymousOperatorServer server) : IClassFixture<AnonymousOperatorServer>
{
    [Fact]
    public async Task AnonymousFromAnAllowedNetwork_GetsTheConfiguredRoleOnly()
    {
        var (reset, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""", client: server.Anonymous);
        var (accounts, _) = await server.GetAsync("/redfish/v1/AccountService/Accounts/admin", client: server.Anonymous);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, accounts.StatusCode);
    }

    [Fact]
    public async Task HostEndpoint_ListsEverySlot_WithItsOwnState()
    {
        var (_, systems) = await server.SendAsync(HttpMethod.Get, "/", configure: r => r.RequestUri = server.Url("/redfish/v1/Systems", "127.0.0.19"));
        var (_, slot3) = await server.SendAsync(HttpMethod.Get, "/", configure: r => r.RequestUri = server.Url("/redfish/v1/Systems/slot3", "127.0.0.19"));
        var (_, manager) = await server.SendAsync(HttpMethod.Get, "/", configure: r => r.RequestUri = server.Url("/redfish/v1/Managers/BMC", "127.0.0.19"));
        Assert.Equal(4, systems.GetProperty("Members@odata.count").GetInt32());
        Assert.Equal("UnavailableOffline", slot3.GetProperty("Status").GetProperty("State").GetString());
        Assert.Equal(4, manager.GetProperty("Links").GetProperty("ManagerForServers").GetArrayLength());
    }
}
