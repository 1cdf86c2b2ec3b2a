using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests;

/// <summary>The demo configuration served by real Kestrel on free loopback ports, shared by a test class.</summary>
public sealed class RunningServer : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public WebApplication App { get; private set; } = null!;

    public RunningNode Node { get; private set; } = null!;

    public int Port { get; private set; }

    public HttpClient Http { get; } = new();

    public async Task InitializeAsync()
    {
        Port = ServerTestSupport.FreePort(IPAddress.Parse("127.0.0.10"));
        Node = await NodeComposer.StartAsync(SiteLoader.Load(ServerTestSupport.WriteDemoCopy(_dir, Port)).GetOrThrow(), Serilog.Core.Logger.None);
        App = RedfishServer.Build(Node.State, Serilog.Core.Logger.None);
        await App.StartAsync();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        await Node.DisposeAsync();
        _dir.Dispose();
    }

    public Uri Url(string path, string address = "127.0.0.10") => new($"http://{address}:{Port}{path}");

    public async Task<(HttpResponseMessage Response, JsonElement Body)> SendAsync(HttpMethod method, string path, string? body = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, Url(path));
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }
        configure?.Invoke(request);
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public Task<(HttpResponseMessage Response, JsonElement Body)> GetAsync(string path, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Get, path, null, configure);
}
