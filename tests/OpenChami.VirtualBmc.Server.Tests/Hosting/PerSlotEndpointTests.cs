using Microsoft.AspNetCore.Builder;
using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Hosting;

/// <summary>Real Kestrel on loopback: each slot answers on its own address as its own BMC.</summary>
public sealed class PerSlotEndpointTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private WebApplication? _app;
    private int _port;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _port = ServerTestSupport.FreePort(IPAddress.Parse("127.0.0.10"));
        var site = SiteLoader.Load(ServerTestSupport.WriteDemoCopy(_dir, _port)).GetOrThrow();
        _app = RedfishServer.Build(site, Serilog.Core.Logger.None);
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        _dir.Dispose();
    }

    private async Task<(HttpResponseMessage Response, JsonElement Body)> Get(string address, string path)
    {
        var response = await _http.GetAsync(new Uri($"http://{address}:{_port}{path}"));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (response, body);
    }

    [Fact]
    public async Task EachEndpoint_ServesItsOwnSlot()
    {
        var (_, system0) = await Get("127.0.0.10", "/redfish/v1/Systems/slot0");
        var (_, system1) = await Get("127.0.0.11", "/redfish/v1/Systems/slot1");
        var (_, collection) = await Get("127.0.0.12", "/redfish/v1/Systems");

        Assert.Equal("slot0", system0.GetProperty("Id").GetString());
        Assert.Equal("slot1", system1.GetProperty("Id").GetString());
        Assert.NotEqual(system0.GetProperty("UUID").GetString(), system1.GetProperty("UUID").GetString());
        Assert.Equal("x1000c0s0b0n0-slot0", system0.GetProperty("SerialNumber").GetString());
        Assert.Equal(1, collection.GetProperty("Members@odata.count").GetInt32());
        Assert.Equal("/redfish/v1/Systems/slot2", collection.GetProperty("Members")[0].GetProperty("@odata.id").GetString());
    }

    [Theory]
    [InlineData("/redfish/v1")]
    [InlineData("/redfish/v1/")]
    public async Task ServiceRoot_AnswersWithAndWithoutSlash(string path)
    {
        var (response, body) = await Get("127.0.0.10", path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("4.0", response.Headers.GetValues("OData-Version").Single());
        Assert.Equal("/redfish/v1/Systems", body.GetProperty("Systems").GetProperty("@odata.id").GetString());
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task ServiceRootUuid_DiffersPerEndpointAndIsStable()
    {
        var (_, a) = await Get("127.0.0.10", "/redfish/v1");
        var (_, b) = await Get("127.0.0.11", "/redfish/v1");
        var (_, a2) = await Get("127.0.0.10", "/redfish/v1");
        Assert.NotEqual(a.GetProperty("UUID").GetString(), b.GetProperty("UUID").GetString());
        Assert.Equal(a.GetProperty("UUID").GetString(), a2.GetProperty("UUID").GetString());
    }

    [Theory]
    [InlineData("/redfish/v1/Systems/slot1")] // another slot's system is not on this BMC
    [InlineData("/redfish/v1/NoSuchThing")]
    [InlineData("/")]
    public async Task UnknownResource_Is404WithARedfishError(string path)
    {
        var (response, body) = await Get("127.0.0.10", path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = body.GetProperty("error");
        Assert.Equal("Base.1.22.ResourceNotFound", error.GetProperty("code").GetString());
        Assert.Equal("Base.1.22.ResourceNotFound", error.GetProperty("@Message.ExtendedInfo")[0].GetProperty("MessageId").GetString());
    }
}

/// <summary>Every payload the running service emits validates against the official DMTF schema.</summary>
public sealed class PayloadSchemaTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private WebApplication? _app;
    private int _port;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _port = ServerTestSupport.FreePort(IPAddress.Parse("127.0.0.10"));
        _app = RedfishServer.Build(SiteLoader.Load(ServerTestSupport.WriteDemoCopy(_dir, _port)).GetOrThrow(), Serilog.Core.Logger.None);
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        _dir.Dispose();
    }

    [SkippableTheory]
    [InlineData("/redfish/v1", null)]
    [InlineData("/redfish/v1/Systems", null)]
    [InlineData("/redfish/v1/Systems/slot0", null)]
    [InlineData("/redfish/v1/SessionService", null)]
    [InlineData("/redfish/v1/SessionService/Sessions", null)]
    [InlineData("/redfish/v1/NoSuchThing", "redfish-error.v1_0_2.json")]
    public async Task Payload_ValidatesAgainstTheDmtfSchema(string path, string? schemaFile)
    {
        RedfishSchemas.SkipIfAbsent();
        var json = await _http.GetStringAsync(new Uri($"http://127.0.0.10:{_port}{path}")).ContinueWith(t => t.IsFaulted ? null : t.Result);
        json ??= await (await _http.GetAsync(new Uri($"http://127.0.0.10:{_port}{path}"))).Content.ReadAsStringAsync();
        RedfishSchemas.AssertValid(json, schemaFile);
    }

    [SkippableFact]
    public void Validator_RejectsAnInvalidPayload()
    {
        // The check must be able to fail: a ComputerSystem with a PowerState outside the enum.
        RedfishSchemas.SkipIfAbsent();
        var errors = RedfishSchemas.Validate("""{"@odata.id":"/redfish/v1/Systems/x","@odata.type":"#ComputerSystem.v1_22_0.ComputerSystem","Id":"x","Name":"x","PowerState":"Sideways"}""");
        Assert.NotEmpty(errors);
    }
}
