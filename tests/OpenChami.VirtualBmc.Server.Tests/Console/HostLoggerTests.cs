using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Console;

/// <summary>The demo served with consoles whose output the test writes: the HostLogger log service over real Kestrel.</summary>
public sealed class HostLoggerServer : RunningServer
{
    internal EchoConsoles Consoles { get; private set; } = null!;

    public HttpClient Served { get; private set; } = null!;

    private Microsoft.AspNetCore.Builder.WebApplication _app = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // The same node again, with consoles the test feeds, on a second set of ports.
        await App.StopAsync();
        Consoles = new EchoConsoles(Node.State.Slots.Select(s => s.Name));
        var state = new NodeState(Node.State.Site, Node.State.Slots, Node.State.Site.Host.HostEndpoint) { Consoles = Consoles, Disks = Node.State.Disks };
        state.Accounts = Node.State.Accounts;
        _app = RedfishServer.Build(state, Serilog.Core.Logger.None);
        await _app.StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await base.DisposeAsync();
    }
}

public sealed class HostLoggerTests(HostLoggerServer server) : IClassFixture<HostLoggerServer>
{
    private const string Service = "/redfish/v1/Systems/slot0/LogServices/HostLogger";

    [SkippableFact]
    public async Task Entries_AreTheConsoleLines_NewestLast_PagedByTopAndSkip_AndValidate()
    {
        RedfishSchemas.SkipIfAbsent();
        var console = server.Consoles.All["slot0"];
        await server.SendAsync(HttpMethod.Post, Service + "/Actions/LogService.ClearLog", "{}");
        console.Publish("first line\r\nsecond \u001b[1mline\u001b[0m\r\nthird line\r\nfourth");
        var (response, body) = await server.GetAsync(Service + "/Entries");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        RedfishSchemas.AssertValid(body.GetRawText());
        var messages = body.GetProperty("Members").EnumerateArray().Select(m => m.GetProperty("Message").GetString()).ToList();
        Assert.Equal(["first line", "second line", "third line"], messages); // "fourth" has no line end yet
        var (_, page) = await server.GetAsync(Service + "/Entries?$skip=1&$top=1");
        Assert.Equal(["second line"], page.GetProperty("Members").EnumerateArray().Select(m => m.GetProperty("Message").GetString()).ToList());

        var id = body.GetProperty("Members")[2].GetProperty("Id").GetString();
        var (entryResponse, entry) = await server.GetAsync(Service + "/Entries/" + id);
        Assert.Equal(HttpStatusCode.OK, entryResponse.StatusCode);
        RedfishSchemas.AssertValid(entry.GetRawText());
        Assert.Equal("third line", entry.GetProperty("Message").GetString());
        Assert.False(server.Consoles.All["slot1"].Log.Entries.Any(), "one slot's console never shows in another's log");
    }

    [SkippableFact]
    public async Task TheService_IsLinkedFromTheSystem_AndValidates()
    {
        RedfishSchemas.SkipIfAbsent();
        var (_, system) = await server.GetAsync("/redfish/v1/Systems/slot0");
        Assert.Equal("/redfish/v1/Systems/slot0/LogServices", system.GetProperty("LogServices").GetProperty("@odata.id").GetString());
        var (_, services) = await server.GetAsync("/redfish/v1/Systems/slot0/LogServices");
        RedfishSchemas.AssertValid(services.GetRawText());
        Assert.Equal(Service, services.GetProperty("Members")[0].GetProperty("@odata.id").GetString());
        var (_, service) = await server.GetAsync(Service);
        RedfishSchemas.AssertValid(service.GetRawText());
        Assert.True(service.GetProperty("ServiceEnabled").GetBoolean());
        Assert.Equal(1000, service.GetProperty("MaxNumberOfRecords").GetInt32());
        var metadata = await server.Http.GetStringAsync(server.Url("/redfish/v1/$metadata"));
        Assert.Contains("LogService_v1.xml", metadata, StringComparison.Ordinal);
        Assert.Contains("LogEntry_v1.xml", metadata, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClearLog_EmptiesIt_IsAudited_AndNeedsConfigureManager()
    {
        server.Consoles.All["slot0"].Publish("to be cleared\n");
        using var reader = server.ClientFor("reader", ServerTestSupport.TestAccounts.ReaderPassword);
        var (refused, _) = await server.SendAsync(HttpMethod.Post, Service + "/Actions/LogService.ClearLog", "{}", client: reader);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var (cleared, _) = await server.SendAsync(HttpMethod.Post, Service + "/Actions/LogService.ClearLog", "{}");
        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        var (_, entries) = await server.GetAsync(Service + "/Entries");
        Assert.Equal(0, entries.GetProperty("Members@odata.count").GetInt32());
        var audit = await File.ReadAllLinesAsync(Path.Combine(server.Directory, "audit.jsonl"));
        Assert.Contains(audit.Select(l => JsonDocument.Parse(l).RootElement), r => r.GetProperty("event").GetString() == "outcome"
            && r.GetProperty("path").GetString() == Service + "/Actions/LogService.ClearLog" && r.GetProperty("status").GetInt32() == 204);
    }

    [Fact]
    public async Task AnotherLogService_IsNotFound()
    {
        var (response, body) = await server.GetAsync("/redfish/v1/Systems/slot0/LogServices/SEL");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("ResourceNotFound", body.GetRawText(), StringComparison.Ordinal);
    }
}
