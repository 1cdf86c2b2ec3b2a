using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests;

/// <summary>The demo configuration served by real Kestrel on free loopback ports, shared by a test class.</summary>
public class RunningServer : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public WebApplication App { get; private set; } = null!;

    public RunningNode Node { get; private set; } = null!;

    public int Port { get; private set; }

    /// <summary>HTTPS client that trusts exactly this server's generated certificate and logs in as admin (Basic).</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The same, without credentials.</summary>
    public HttpClient Anonymous { get; private set; } = null!;

    public string Directory => _dir.Path;

    public HttpClient ClientFor(string? user, string? password)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.Thumbprint == _thumbprint,
        };
        var client = new HttpClient(handler);
        if (user is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        return client;
    }

    private string? _thumbprint;

    public string CertificateThumbprint => _thumbprint!;

    public virtual async Task InitializeAsync()
    {
        Port = ServerTestSupport.FreePort(IPAddress.Parse("127.0.0.10"));
        var hostFile = ServerTestSupport.WriteDemoCopy(_dir, Port);
        File.WriteAllText(hostFile, Tweak(File.ReadAllText(hostFile)));
        Node = await NodeComposer.StartAsync(SiteLoader.Load(hostFile).GetOrThrow(), Serilog.Core.Logger.None);
        App = RedfishServer.Build(Node.State, Serilog.Core.Logger.None);
        await App.StartAsync();
        _thumbprint = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(_dir.Path, "tls", "cert.pem"))).Thumbprint;
        Http = ClientFor("admin", ServerTestSupport.TestAccounts.AdminPassword);
        Anonymous = ClientFor(null, null);
    }

    public virtual async Task DisposeAsync()
    {
        Http.Dispose();
        Anonymous.Dispose();
        await App.DisposeAsync();
        await Node.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>A subclass changes the host file here (e.g. a lower lockout threshold).</summary>
    protected virtual string Tweak(string hostYaml) => hostYaml;

    public Uri Url(string path, string address = "127.0.0.10") => new($"https://{address}:{Port}{path}");

    public async Task<(HttpResponseMessage Response, JsonElement Body)> SendAsync(HttpMethod method, string path, string? body = null, Action<HttpRequestMessage>? configure = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(method, Url(path));
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }
        configure?.Invoke(request);
        var response = await (client ?? Http).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public Task<(HttpResponseMessage Response, JsonElement Body)> GetAsync(string path, Action<HttpRequestMessage>? configure = null, HttpClient? client = null) =>
        SendAsync(HttpMethod.Get, path, null, configure, client);
}
