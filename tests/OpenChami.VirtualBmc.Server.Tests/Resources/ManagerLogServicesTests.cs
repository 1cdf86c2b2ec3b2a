using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenChami.VirtualBmc.Server.Events;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.State;
using OpenChami.VirtualBmc.Slots.Validation;
using OpenChami.VirtualBmc.TestSupport;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>Managers/BMC/LogServices: the BMC's event log and the (read-only, Administrator-only) audit log.</summary>
public sealed class ManagerLogServicesTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string LogServices = "/redfish/v1/Managers/BMC/LogServices";
    private const string EventLog = LogServices + "/EventLog";
    private const string AuditLog = LogServices + "/AuditLog";

    private static List<string> MessageIds(JsonElement body) =>
        body.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()!).ToList();

    private static List<JsonElement> Members(JsonElement collection) => [.. collection.GetProperty("Members").EnumerateArray()];

    private async Task<List<JsonElement>> EventsAsync() => Members((await server.GetAsync(EventLog + "/Entries")).Body);

    [SkippableFact]
    public async Task TheServices_AreLinkedFromTheManager_AndEveryPayloadValidates()
    {
        RedfishSchemas.SkipIfAbsent();
        var (_, manager) = await server.GetAsync("/redfish/v1/Managers/BMC");
        Assert.Equal(LogServices, manager.GetProperty("LogServices").GetProperty("@odata.id").GetString());
        var (_, services) = await server.GetAsync(LogServices);
        RedfishSchemas.AssertValid(services.GetRawText());
        Assert.Equal([EventLog, AuditLog], Members(services).Select(m => m.GetProperty("@odata.id").GetString()));
        foreach (var service in new[] { EventLog, AuditLog })
        {
            var (_, payload) = await server.GetAsync(service);
            RedfishSchemas.AssertValid(payload.GetRawText());
            var (_, entries) = await server.GetAsync(service + "/Entries");
            RedfishSchemas.AssertValid(entries.GetRawText());
            Assert.NotEmpty(Members(entries));
            var (entryResponse, entry) = await server.GetAsync(Members(entries)[^1].GetProperty("@odata.id").GetString()!);
            Assert.Equal(HttpStatusCode.OK, entryResponse.StatusCode);
            RedfishSchemas.AssertValid(entry.GetRawText());
        }
        var metadata = await server.Http.GetStringAsync(server.Url("/redfish/v1/$metadata"));
        Assert.Contains("ManagerNetworkProtocol_v1.xml", metadata, StringComparison.Ordinal);
        Assert.Contains("UpdateService_v1.xml", metadata, StringComparison.Ordinal);
        Assert.Contains("SoftwareInventory_v1.xml", metadata, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventLog_RecordsTheStart_ABmcReset_AndFindingsRaisedAndCleared()
    {
        Assert.Contains(await EventsAsync(), e => e.GetProperty("MessageId").GetString() == "OpenCHAMIVbmc.1.0.ServiceStarted");

        var (reset, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Managers/BMC/Actions/Manager.Reset", """{"ResetType":"GracefulRestart"}""");
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        var resetEntry = (await EventsAsync()).Last(e => e.GetProperty("MessageId").GetString() == "OpenCHAMIVbmc.1.0.ManagerReset");
        Assert.Equal(["GracefulRestart", "admin"], resetEntry.GetProperty("MessageArgs").EnumerateArray().Take(2).Select(a => a.GetString()));

        var slot = server.Node.State.Slots.Single(s => s.Name == "slot0");
        var finding = new ValidationFinding("TEST_PLANTED", FindingSeverity.Warning, "slot0", "gpu0", "x", "y", "planted by the test");
        slot.State.Replace(FindingSource.Disk, [finding]);
        slot.State.Replace(FindingSource.Disk, []);
        var events = await EventsAsync();
        var raised = events.FindLastIndex(e => e.GetProperty("MessageId").GetString() == "OpenCHAMIVbmc.1.0.SlotFindingRaised"
            && e.GetProperty("MessageArgs")[1].GetString() == "TEST_PLANTED");
        var cleared = events.FindLastIndex(e => e.GetProperty("MessageId").GetString() == "OpenCHAMIVbmc.1.0.SlotFindingCleared"
            && e.GetProperty("MessageArgs")[1].GetString() == "TEST_PLANTED");
        Assert.True(raised >= 0 && cleared > raised, $"raised at {raised}, cleared at {cleared}");
        Assert.Equal("Warning", events[raised].GetProperty("Severity").GetString());
        Assert.Equal("Event", events[raised].GetProperty("EntryType").GetString());

        // Another endpoint's BMC does not show this slot's events.
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Url(EventLog + "/Entries", "127.0.0.11"));
        using var other = await server.Http.SendAsync(request);
        var otherEvents = JsonDocument.Parse(await other.Content.ReadAsStringAsync()).RootElement.GetProperty("Members").EnumerateArray();
        Assert.DoesNotContain(otherEvents, e => e.GetProperty("MessageArgs").EnumerateArray().Any(a => a.GetString() == "TEST_PLANTED"));
    }

    [Fact]
    public async Task NoEntry_HasAnEmptyMessageArg()
    {
        // A finding on no one device and an anonymous request have arguments with no value: served as words, since
        // the Service Validator warns on every empty string.
        await server.Anonymous.GetAsync(server.Url("/redfish/v1/Systems"));
        await server.SendAsync(HttpMethod.Post, "/redfish/v1/Managers/BMC/Actions/Manager.Reset", """{"ResetType":"ForceRestart"}""");
        var entries = Members((await server.GetAsync(EventLog + "/Entries")).Body).Concat(Members((await server.GetAsync(AuditLog + "/Entries")).Body)).ToList();
        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.DoesNotContain("", e.GetProperty("MessageArgs").EnumerateArray().Select(a => a.GetString())));
    }

    [Fact]
    public async Task EventLog_Entries_ArePagedByTopAndSkip_WithANextLink()
    {
        var log = server.App.Services.GetRequiredService<BmcEventLog>();
        for (var i = 0; i < 3; i++)
        {
            log.Record(BmcEventMessages.ConfigurationReloaded($"paging-{i}.yaml"));
        }
        var (_, page) = await server.GetAsync(EventLog + "/Entries?$top=2");
        Assert.Equal(2, Members(page).Count);
        Assert.Equal(EventLog + "/Entries?$skip=2&$top=2", page.GetProperty("Members@odata.nextLink").GetString());
        var (_, all) = await server.GetAsync(EventLog + "/Entries");
        var (_, last) = await server.GetAsync(EventLog + $"/Entries?$skip={Members(all).Count - 1}");
        Assert.False(last.TryGetProperty("Members@odata.nextLink", out _));
        Assert.Equal(Members(all)[^1].GetProperty("Id").GetString(), Members(last).Single().GetProperty("Id").GetString());
    }

    [Fact]
    public async Task Reloads_AreRecorded_SuccessAndFailure()
    {
        var log = server.App.Services.GetRequiredService<BmcEventLog>();
        var directory = server.App.Services.GetRequiredService<AccountDirectory>();
        var certificates = server.App.Services.GetRequiredService<CertificateHolder>();
        Assert.True(Reloader.Reload(server.Node.State.Site.HostFile, server.Node.State, directory, certificates, Serilog.Core.Logger.None, events: log));
        Assert.Equal("OpenCHAMIVbmc.1.0.ConfigurationReloaded", log.Entries[^1].MessageId);
        var missing = Path.Combine(server.Directory, "no-such-host.yaml");
        Assert.False(Reloader.Reload(missing, server.Node.State, directory, certificates, Serilog.Core.Logger.None, events: log));
        Assert.Equal("OpenCHAMIVbmc.1.0.ConfigurationReloadFailed", log.Entries[^1].MessageId);
        Assert.Equal([missing], log.Entries[^1].MessageArgs);
    }

    [Fact]
    public async Task AuditLog_IsForAdministratorsOnly_AndNeverCleared()
    {
        var (posted, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""");
        Assert.NotEqual(HttpStatusCode.Forbidden, posted.StatusCode);
        var (_, entries) = await server.GetAsync(AuditLog + "/Entries");
        Assert.Contains(Members(entries), e => e.GetProperty("MessageId").GetString() == "OpenCHAMIVbmc.1.0.AuditRecord"
            && e.GetProperty("Message").GetString()!.StartsWith("outcome POST /redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset by admin", StringComparison.Ordinal));

        var (service, servicePayload) = await server.GetAsync(AuditLog);
        Assert.Equal(HttpStatusCode.OK, service.StatusCode);
        Assert.False(servicePayload.TryGetProperty("Actions", out _), "the audit log advertises no ClearLog");
        var (clear, clearBody) = await server.SendAsync(HttpMethod.Post, AuditLog + "/Actions/LogService.ClearLog", "{}");
        Assert.Equal(HttpStatusCode.NotImplemented, clear.StatusCode);
        Assert.Equal(["Base.1.22.ActionNotSupported"], MessageIds(clearBody));
        Assert.True(new FileInfo(Path.Combine(server.Directory, "audit.jsonl")).Length > 0);

        foreach (var (user, password) in new[] { ("operator", TestAccounts.OperatorPassword), ("reader", TestAccounts.ReaderPassword) })
        {
            using var client = server.ClientFor(user, password);
            foreach (var path in new[] { AuditLog, AuditLog + "/Entries", Members(entries)[^1].GetProperty("@odata.id").GetString()! })
            {
                var (denied, body) = await server.GetAsync(path, client: client);
                Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
                Assert.Equal(["Base.1.22.InsufficientPrivilege"], MessageIds(body));
            }
            // The collection lists only what the client may read, so walking it (Ansible's GetLogs) is never refused.
            var (_, services) = await server.GetAsync(LogServices, client: client);
            Assert.Equal([EventLog], Members(services).Select(m => m.GetProperty("@odata.id").GetString()));
        }
        var (notALine, _) = await server.GetAsync(AuditLog + "/Entries/1");
        Assert.Equal(HttpStatusCode.NotFound, notALine.StatusCode);
    }

}

/// <summary>ClearLog on a server of its own: the other tests read what the log recorded since the start.</summary>
public sealed class EventLogClearTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string EventLog = "/redfish/v1/Managers/BMC/LogServices/EventLog";

    [Fact]
    public async Task ClearLog_LeavesOneEntrySayingWhoCleared_IsAudited_AndNeedsConfigureManager()
    {
        using var reader = server.ClientFor("reader", TestAccounts.ReaderPassword);
        var (refused, _) = await server.SendAsync(HttpMethod.Post, EventLog + "/Actions/LogService.ClearLog", "{}", client: reader);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var (_, service) = await server.GetAsync(EventLog);
        var target = service.GetProperty("Actions").GetProperty("#LogService.ClearLog").GetProperty("target").GetString()!;

        var (cleared, _) = await server.SendAsync(HttpMethod.Post, target, "{}");

        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        var entry = Assert.Single((await server.GetAsync(EventLog + "/Entries")).Body.GetProperty("Members").EnumerateArray());
        Assert.Equal("OpenCHAMIVbmc.1.0.EventLogCleared", entry.GetProperty("MessageId").GetString());
        Assert.Equal(["admin"], entry.GetProperty("MessageArgs").EnumerateArray().Select(a => a.GetString()));
        var audit = await File.ReadAllLinesAsync(Path.Combine(server.Directory, "audit.jsonl"));
        Assert.Contains(audit.Select(l => JsonDocument.Parse(l).RootElement), r => r.GetProperty("event").GetString() == "outcome"
            && r.GetProperty("path").GetString() == target && r.GetProperty("status").GetInt32() == 204);
    }
}

/// <summary>The event log's owner: bounded, persisted as JSON lines, read back after a restart.</summary>
public sealed class BmcEventLogTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string FilePath => BmcEventLog.PathIn(Path.Combine(_dir.Path, "state"));

    [Fact]
    public void Entries_SurviveARestart_AndIdsContinue()
    {
        var first = new BmcEventLog(FilePath, TimeProvider.System, Serilog.Core.Logger.None);
        first.Record(BmcEventMessages.ServiceStarted("1.2.3"));
        first.Record(BmcEventMessages.AccountLocked("mallory"), "slot0");

        var second = new BmcEventLog(FilePath, TimeProvider.System, Serilog.Core.Logger.None);
        Assert.Equal(["OpenCHAMIVbmc.1.0.ServiceStarted", "OpenCHAMIVbmc.1.0.AccountLocked"], second.Entries.Select(e => e.MessageId));
        Assert.Equal("slot0", second.Entries[1].Slot);
        Assert.Equal(["mallory"], second.Entries[1].MessageArgs);
        Assert.Equal(3, second.Record(BmcEventMessages.ServiceStopped()).Id);
    }

    [Fact]
    public void KeepsTheNewestN_AndRewritesTheFileOnceItHoldsTwiceThat()
    {
        var log = new BmcEventLog(FilePath, TimeProvider.System, Serilog.Core.Logger.None, capacity: 5);
        for (var i = 1; i <= 12; i++)
        {
            log.Record(BmcEventMessages.ConfigurationReloaded($"{i}.yaml"));
            Assert.True(File.ReadAllLines(FilePath).Length <= 10, $"after {i}: {File.ReadAllLines(FilePath).Length} lines");
        }
        Assert.Equal([8L, 9, 10, 11, 12], log.Entries.Select(e => e.Id));
        Assert.Equal([8L, 9, 10, 11, 12], new BmcEventLog(FilePath, TimeProvider.System, Serilog.Core.Logger.None, capacity: 5).Entries.Select(e => e.Id));
    }

    [Fact]
    public void WithoutAFile_ItLivesInMemory_AndATornLastLineIsSkipped()
    {
        var memory = new BmcEventLog(null, TimeProvider.System, Serilog.Core.Logger.None);
        memory.Record(BmcEventMessages.ServiceStarted("1.0.0"));
        Assert.Single(memory.Entries);
        Assert.False(File.Exists(FilePath));

        var log = new BmcEventLog(FilePath, TimeProvider.System, Serilog.Core.Logger.None);
        log.Record(BmcEventMessages.ServiceStarted("1.0.0"));
        File.AppendAllText(FilePath, "{\"id\":2,\"creat");
        Assert.Single(new BmcEventLog(FilePath, TimeProvider.System, Serilog.Core.Logger.None).Entries);
    }
}

/// <summary>The audit file's newest records, read from its end in bounded memory.</summary>
public sealed class AuditTailTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Line(int i, string padding = "") =>
        $$"""{"time":"2025-01-01T00:00:00+00:00","event":"outcome","source":"10.0.0.{{i % 250}}","method":"POST","path":"/p/{{i}}{{padding}}","requestId":"r{{i}}"}""" + "\n";

    [Fact]
    public void Read_GivesTheNewestInOrder_WithTheirOffsets_AndLeavesOutALineBeingWritten()
    {
        var path = Path.Combine(_dir.Path, "audit.jsonl");
        var text = string.Concat(Enumerable.Range(0, 3000).Select(i => Line(i)));
        File.WriteAllText(path, text + "not json\n" + "{\"time\":\"2025-01-01T00:0");
        var tail = OpenChami.VirtualBmc.Server.Audit.AuditTail.Read(path, 5, _ => true);
        Assert.Equal(["/p/2995", "/p/2996", "/p/2997", "/p/2998", "/p/2999"], tail.Select(l => l.Record.Path));
        foreach (var line in tail)
        {
            Assert.Equal(line.Record.Path, OpenChami.VirtualBmc.Server.Audit.AuditTail.ReadAt(path, line.Offset)!.Record.Path);
        }
        Assert.Null(OpenChami.VirtualBmc.Server.Audit.AuditTail.ReadAt(path, tail[0].Offset + 1));
        var all = OpenChami.VirtualBmc.Server.Audit.AuditTail.Read(path, 10_000, r => r.Path.EndsWith('7'));
        Assert.Equal(300, all.Count); // across many blocks, the first line of the file included
        Assert.Equal("/p/7", all[0].Record.Path);
    }

    [Fact]
    public void Read_OfAHugeFile_ReadsOnlyItsEnd()
    {
        var path = Path.Combine(_dir.Path, "audit.jsonl");
        var padding = new string('x', 1000);
        using (var writer = new StreamWriter(path))
        {
            for (var i = 0; i < 8000; i++) // about 8 MiB, twice what a read may take
            {
                writer.Write(Line(i, padding));
            }
        }
        var tail = OpenChami.VirtualBmc.Server.Audit.AuditTail.Read(path, int.MaxValue, _ => true);
        Assert.InRange(tail.Count, 1000, 5000);
        Assert.Equal("/p/7999" + padding, tail[^1].Record.Path);
    }
}

/// <summary>Every OEM MessageId the logs write is documented in docs/redfish.md's OEM registry table.</summary>
public sealed class OemMessagesDocumentedTests
{
    [Fact]
    public void EveryEventMessage_AndTheAuditRecord_AreInTheDocs()
    {
        var docs = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "redfish.md"));
        var ids = typeof(BmcEventMessages).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(m => (BmcEventMessage)m.Invoke(null, m.GetParameters().Select(p => p.ParameterType == typeof(bool) ? (object)false : "x").ToArray())!)
            .Select(m => m.MessageId)
            .Append(OpenChami.VirtualBmc.Server.Resources.AuditLogResource.MessageId)
            .ToList();
        Assert.True(ids.Count >= 10, $"only {ids.Count} messages found");
        Assert.All(ids, id => Assert.Contains($"| `{id}` |", docs, StringComparison.Ordinal));
    }
}
