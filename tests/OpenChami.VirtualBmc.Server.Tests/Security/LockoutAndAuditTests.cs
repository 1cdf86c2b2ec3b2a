using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.Server.Audit;
using Microsoft.Extensions.DependencyInjection;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

/// <summary>A server with a lockout after 3 failures, and its audit log.</summary>
public sealed class LockoutServer : RunningServer
{
    protected override string Tweak(string hostYaml) =>
        hostYaml.Replace("security:\n", "security:\n  lockoutThreshold: 3\n  lockoutDurationSeconds: 600\n", StringComparison.Ordinal);

    public string AuditFile => Path.Combine(Directory, "audit.jsonl");

    public List<JsonElement> AuditRecords()
    {
        using var stream = new FileStream(AuditFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }
}

public sealed class LockoutAndAuditTests(LockoutServer server) : IClassFixture<LockoutServer>
{
    [Fact]
    public async Task ScriptedSession_ReadsAsAnHonestRecord()
    {
        // login, reset, insert media (from a private address, refused: 400), logout; then 3 wrong passwords lock the operator out.
        var (login, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions",
            $$"""{"UserName":"admin","Password":"{{TestAccounts.AdminPassword}}"}""", client: server.Anonymous);
        var token = login.Headers.GetValues("X-Auth-Token").Single();
        void WithToken(HttpRequestMessage r) => r.Headers.Add("X-Auth-Token", token);
        await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"ForceRestart"}""", WithToken, server.Anonymous);
        await server.SendAsync(HttpMethod.Post, "/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia",
            """{"Image":"https://10.20.30.40/boot.iso","UserName":"img","Password":"media-secret"}""", WithToken, server.Anonymous);
        await server.SendAsync(HttpMethod.Delete, login.Headers.Location!.ToString(), null, WithToken, server.Anonymous);
        var statuses = new List<HttpStatusCode>();
        using (var wrong = server.ClientFor("operator", "guess-1"))
        {
            for (var i = 0; i < 3; i++)
            {
                statuses.Add((await server.GetAsync("/redfish/v1/Systems", client: wrong)).Response.StatusCode);
            }
        }
        using var right = server.ClientFor("operator", TestAccounts.OperatorPassword);
        var (locked, lockedBody) = await server.GetAsync("/redfish/v1/Systems", client: right);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode); // the right password does not help while locked
        Assert.Equal("Base.1.22.AccessUnauthorized", lockedBody.GetProperty("error").GetProperty("code").GetString());
        // The BMC's event log has the lockout too (a GET: no audit line).
        var events = (await server.GetAsync("/redfish/v1/Managers/BMC/LogServices/EventLog/Entries")).Body.GetProperty("Members").EnumerateArray().ToList();
        Assert.Contains(events, e => e.GetProperty("MessageId").GetString() == "OpenCHAMIVbmc.1.0.AccountLocked"
            && e.GetProperty("MessageArgs")[0].GetString() == "operator" && e.GetProperty("Severity").GetString() == "Warning");

        server.App.Services.GetRequiredService<AuditLog>().FlushSummary();
        var records = server.AuditRecords();
        string Line(JsonElement r) => $"{r.GetProperty("event").GetString()} {r.GetProperty("method").GetString()} {r.GetProperty("path").GetString()} " +
            $"{(r.TryGetProperty("account", out var a) ? a.GetString() : "-")} {(r.TryGetProperty("status", out var s) ? s.GetInt32() : 0)}";
        var lines = records.Select(Line).ToList();
        Assert.Equal(
        [
            "intent POST /redfish/v1/SessionService/Sessions admin 0",
            "outcome POST /redfish/v1/SessionService/Sessions admin 201",
            "intent POST /redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset admin 0",
            "outcome POST /redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset admin 204",
            "intent POST /redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia admin 0",
            "outcome POST /redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia admin 400",
            $"intent DELETE {login.Headers.Location} admin 0",
            $"outcome DELETE {login.Headers.Location} admin 204",
            // Failed logins are counted, not lined: the one that locked the account gets a line, and the summary
            // (written once a minute, here at once) has the totals.
            "account-locked GET /redfish/v1/Systems - 401",
            "unauthenticated - - - 401",
        ], lines);
        Assert.Equal("failure; account locked", records[8].GetProperty("result").GetString());
        Assert.Equal("operator", records[8].GetProperty("parameters").GetProperty("UserName").GetString());
        Assert.Equal(4, records[9].GetProperty("parameters").GetProperty("failures").GetInt32());
        Assert.Equal(4, records[9].GetProperty("parameters").GetProperty("userNames").GetProperty("operator").GetInt32());
        Assert.Equal("ForceRestart", records[2].GetProperty("parameters").GetProperty("ResetType").GetString());
        Assert.Equal("slot0", records[3].GetProperty("slot").GetString());
        Assert.Equal("127.0.0.1", records[3].GetProperty("source").GetString());
        Assert.True(records[3].GetProperty("durationMs").GetDouble() >= 0);
        var text = File.ReadAllText(server.AuditFile);
        Assert.DoesNotContain(TestAccounts.AdminPassword, text, StringComparison.Ordinal);
        Assert.DoesNotContain("media-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
    }

}

public sealed class UnwritableAuditTests(RunningServer server) : IClassFixture<RunningServer>
{
    [Fact]
    public async Task UnwritableAuditLog_RefusesTheAction()
    {
        var audit = server.App.Services.GetRequiredService<AuditLog>();
        var runtime = server.Node.Hypervisor!.FindSlot("slot1")!;
        var before = runtime.PowerState;
        audit.Dispose();
        var (response, body) = await server.SendAsync(HttpMethod.Post, "/", """{"ResetType":"ForceOff"}""",
            r => r.RequestUri = server.Url("/redfish/v1/Systems/slot1/Actions/ComputerSystem.Reset", "127.0.0.11"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Base.1.22.ServiceTemporarilyUnavailable", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(before, runtime.PowerState);
    }
}
