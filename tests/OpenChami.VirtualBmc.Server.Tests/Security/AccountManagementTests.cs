using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Security;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

/// <summary>
/// Accounts managed over Redfish on real Kestrel: Administrators create, change and delete; every user sets their own
/// password; the rules answer with the Base registry's messages; PasswordChangeRequired confines an account until it
/// sets one; changes are on disk before they count, survive a reload, and yield to a later accounts-file change.
/// </summary>
public sealed class AccountManagementTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string Accounts = "/redfish/v1/AccountService/Accounts";

    private static string MessageId(JsonElement body) => body.GetProperty("error").GetProperty("@Message.ExtendedInfo")[0].GetProperty("MessageId").GetString()!;

    private static string NewName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    private Task<(HttpResponseMessage Response, JsonElement Body)> CreateAsync(string user, string password, string role = "ReadOnly", string extra = "") =>
        server.SendAsync(HttpMethod.Post, Accounts, $$"""{"UserName":"{{user}}","Password":"{{password}}","RoleId":"{{role}}"{{extra}}}""");

    private async Task<HttpStatusCode> StatusAsUserAsync(string user, string password, string path = "/redfish/v1/Systems")
    {
        using var client = server.ClientFor(user, password);
        return (await server.GetAsync(path, client: client)).Response.StatusCode;
    }

    [Fact]
    public async Task An_administrator_creates_an_account_that_can_log_in_and_is_audited_without_its_password()
    {
        var user = NewName("new");
        const string password = "a-long-enough-pass";
        var (created, body) = await CreateAsync(user, password);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"{Accounts}/{user}", created.Headers.Location!.ToString());
        Assert.Equal("ReadOnly", body.GetProperty("RoleId").GetString());
        Assert.False(body.GetProperty("PasswordChangeRequired").GetBoolean());
        Assert.False(body.TryGetProperty("Password", out _));
        Assert.Equal(HttpStatusCode.OK, await StatusAsUserAsync(user, password));
        var (members, list) = await server.GetAsync(Accounts);
        Assert.Contains(list.GetProperty("Members").EnumerateArray(), m => m.GetProperty("@odata.id").GetString() == $"{Accounts}/{user}");

        var audit = File.ReadAllText(Path.Combine(server.Directory, "audit.jsonl"));
        Assert.Contains($"account {user} created, role ReadOnly", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(password, audit, StringComparison.Ordinal);
        var changes = File.ReadAllText(server.Node.State.Site.AccountChangesFile);
        Assert.Contains(user, changes, StringComparison.Ordinal);
        Assert.DoesNotContain(password, changes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creation_rules_answer_with_registry_messages()
    {
        var (shortPassword, shortBody) = await CreateAsync(NewName("s"), "short");
        Assert.Equal(HttpStatusCode.BadRequest, shortPassword.StatusCode);
        Assert.Equal("Base.1.22.PasswordIncorrectLength", MessageId(shortBody));

        var (badName, badNameBody) = await CreateAsync("-no/such name", "a-long-enough-pass");
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.Equal("Base.1.22.PropertyValueFormatError", MessageId(badNameBody));

        var (noRole, noRoleBody) = await server.SendAsync(HttpMethod.Post, Accounts, """{"UserName":"norole1","Password":"a-long-enough-pass"}""");
        Assert.Equal(HttpStatusCode.BadRequest, noRole.StatusCode);
        Assert.Equal("Base.1.22.PropertyMissing", MessageId(noRoleBody));

        var (taken, takenBody) = await CreateAsync("ADMIN", "a-long-enough-pass");
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal("Base.1.22.ResourceAlreadyExists", MessageId(takenBody));

        using var reader = server.ClientFor("reader", ServerTestSupport.TestAccounts.ReaderPassword);
        var (refused, _) = await server.SendAsync(HttpMethod.Post, Accounts, """{"UserName":"byreader","Password":"a-long-enough-pass","RoleId":"Administrator"}""", client: reader);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Every_user_changes_their_own_password_and_nothing_else()
    {
        var user = NewName("self");
        await CreateAsync(user, "first-password-123");
        using var self = server.ClientFor(user, "first-password-123");

        var (reuse, reuseBody) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/{user}", """{"Password":"first-password-123"}""", client: self);
        Assert.Equal(HttpStatusCode.BadRequest, reuse.StatusCode);
        Assert.Equal("Base.1.22.PasswordReuseTooRecent", MessageId(reuseBody));

        var (promote, _) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/{user}", """{"RoleId":"Administrator"}""", client: self);
        Assert.Equal(HttpStatusCode.Forbidden, promote.StatusCode);
        var (other, _) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/operator", """{"Password":"another-password-1"}""", client: self);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);

        var (changed, changedBody) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/{user}", """{"Password":"second-password-456"}""", client: self);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("ReadOnly", changedBody.GetProperty("RoleId").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsUserAsync(user, "first-password-123"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsUserAsync(user, "second-password-456"));
    }

    [Fact]
    public async Task The_session_that_sets_its_own_password_goes_on_and_the_accounts_other_sessions_end()
    {
        var user = NewName("sess");
        await CreateAsync(user, "first-password-123");
        async Task<string> LoginAsync()
        {
            var (login, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions",
                $$"""{"UserName":"{{user}}","Password":"first-password-123"}""", client: server.Anonymous);
            return login.Headers.GetValues("X-Auth-Token").Single();
        }
        var mine = await LoginAsync();
        var other = await LoginAsync();
        Action<HttpRequestMessage> With(string token) => r => r.Headers.Add("X-Auth-Token", token);

        var (changed, _) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/{user}", """{"Password":"second-password-456"}""", With(mine), server.Anonymous);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/redfish/v1/Systems", With(mine), server.Anonymous)).Response.StatusCode);
        var (promote, promoteBody) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/{user}", """{"RoleId":"Administrator"}""", With(mine), server.Anonymous);
        Assert.Equal(HttpStatusCode.Forbidden, promote.StatusCode);
        Assert.Equal("Base.1.22.InsufficientPrivilege", MessageId(promoteBody));
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.GetAsync("/redfish/v1/Systems", With(other), server.Anonymous)).Response.StatusCode);
    }

    [Fact]
    public async Task A_stale_ETag_is_412_and_nothing_changes()
    {
        var user = NewName("etag");
        await CreateAsync(user, "first-password-123");
        var (_, before) = await server.GetAsync($"{Accounts}/{user}");
        var (stale, staleBody) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/{user}", """{"RoleId":"Operator"}""",
            r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"0000000000000000\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("Base.1.22.PreconditionFailed", MessageId(staleBody));
        var (_, after) = await server.GetAsync($"{Accounts}/{user}");
        Assert.Equal(before.GetProperty("RoleId").GetString(), after.GetProperty("RoleId").GetString());

        var (current, _) = await server.GetAsync($"{Accounts}/{user}");
        var (matching, _) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/{user}", """{"RoleId":"Operator"}""",
            r => r.Headers.TryAddWithoutValidation("If-Match", current.Headers.ETag!.ToString()));
        Assert.Equal(HttpStatusCode.OK, matching.StatusCode);
    }

    [Fact]
    public async Task A_role_change_ends_the_accounts_sessions_and_a_deleted_account_is_gone()
    {
        var user = NewName("gone");
        await CreateAsync(user, "first-password-123", role: "Operator");
        var (login, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions",
            $$"""{"UserName":"{{user}}","Password":"first-password-123"}""", client: server.Anonymous);
        var token = login.Headers.GetValues("X-Auth-Token").Single();
        async Task<HttpStatusCode> WithTokenAsync() =>
            (await server.GetAsync("/redfish/v1/Systems", r => r.Headers.Add("X-Auth-Token", token), server.Anonymous)).Response.StatusCode;
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync());

        var (demoted, _) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/{user}", """{"RoleId":"ReadOnly"}""");
        Assert.Equal(HttpStatusCode.OK, demoted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await WithTokenAsync());

        var (deleted, _) = await server.SendAsync(HttpMethod.Delete, $"{Accounts}/{user}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        // An account only Redfish made leaves no trace in the change file once deleted.
        Assert.DoesNotContain(user, File.ReadAllText(server.Node.State.Site.AccountChangesFile), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await server.GetAsync($"{Accounts}/{user}")).Response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsUserAsync(user, "first-password-123"));
    }

    [Fact]
    public async Task The_last_enabled_administrator_cannot_be_removed_demoted_or_disabled()
    {
        foreach (var (method, body) in new[] { (HttpMethod.Delete, (string?)null), (HttpMethod.Patch, """{"RoleId":"Operator"}"""), (HttpMethod.Patch, """{"Enabled":false}""") })
        {
            var (response, error) = await server.SendAsync(method, $"{Accounts}/admin", body);
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("Base.1.22.ResourceInUse", MessageId(error));
        }
        Assert.Equal(HttpStatusCode.OK, await StatusAsUserAsync("admin", ServerTestSupport.TestAccounts.AdminPassword));
    }

    [Fact]
    public async Task PasswordChangeRequired_allows_only_reading_the_account_and_setting_a_password()
    {
        var user = NewName("pcr");
        await CreateAsync(user, "initial-password-1", extra: ""","PasswordChangeRequired":true""");

        var (login, session) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions",
            $$"""{"UserName":"{{user}}","Password":"initial-password-1"}""", client: server.Anonymous);
        Assert.Equal(HttpStatusCode.Created, login.StatusCode);
        Assert.Equal("Base.1.22.PasswordChangeRequired", session.GetProperty("@Message.ExtendedInfo")[0].GetProperty("MessageId").GetString());

        using var basic = server.ClientFor(user, "initial-password-1");
        var (elsewhere, error) = await server.GetAsync("/redfish/v1/SessionService/Sessions", client: basic);
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
        Assert.Equal("Base.1.22.PasswordChangeRequired", MessageId(error));
        Assert.Equal(HttpStatusCode.OK, (await server.GetAsync($"{Accounts}/{user}", client: basic)).Response.StatusCode);

        var (changed, body) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/{user}", """{"Password":"changed-password-2"}""", client: basic);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.False(body.GetProperty("PasswordChangeRequired").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, await StatusAsUserAsync(user, "changed-password-2", "/redfish/v1/SessionService/Sessions"));
    }

    [Fact]
    public async Task Changes_survive_a_reload_and_yield_to_a_later_accounts_file_change()
    {
        var user = NewName("kept");
        await CreateAsync(user, "first-password-123", role: "Operator");
        var (patched, _) = await server.SendAsync(HttpMethod.Patch, $"{Accounts}/operator", """{"Enabled":false}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var hostFile = server.Node.State.Site.HostFile;
        var directory = server.App.Services.GetRequiredService<AccountDirectory>();
        var certificates = server.App.Services.GetRequiredService<CertificateHolder>();

        // SIGHUP with an unchanged accounts file: the Redfish changes stay.
        Assert.True(Reloader.Reload(hostFile, server.Node.State, directory, certificates, Serilog.Core.Logger.None));
        Assert.Equal(HttpStatusCode.OK, await StatusAsUserAsync(user, "first-password-123"));
        Assert.False(directory.Find("operator")!.Enabled);
        // A restart reads the same: the loader applies the change file.
        var restarted = SiteLoader.Load(hostFile).GetOrThrow();
        Assert.Contains(restarted.Accounts, a => a.UserName == user);
        Assert.False(restarted.Accounts.Single(a => a.UserName == "operator").Enabled);

        // Configuration management changes the operator entry afterwards: the file wins, the Redfish change is dropped.
        var accountsFile = server.Node.State.Site.Host.AccountsFile!;
        File.WriteAllText(accountsFile, File.ReadAllText(accountsFile).Replace("role: Operator", "role: ReadOnly", StringComparison.Ordinal));
        Assert.True(Reloader.Reload(hostFile, server.Node.State, directory, certificates, Serilog.Core.Logger.None));
        Assert.True(directory.Find("operator")!.Enabled);
        Assert.Equal(OpenChami.VirtualBmc.Slots.Catalog.AccountRole.ReadOnly, directory.Find("operator")!.Role);
        Assert.Equal(HttpStatusCode.OK, await StatusAsUserAsync("operator", ServerTestSupport.TestAccounts.OperatorPassword));
        Assert.Equal(HttpStatusCode.OK, await StatusAsUserAsync(user, "first-password-123"));
    }

    [Fact]
    public async Task A_change_file_that_is_not_valid_stops_the_start_with_file_line_column()
    {
        var hostFile = server.Node.State.Site.HostFile;
        var copy = Path.Combine(server.Directory, "broken-state");
        var brokenHost = Path.Combine(server.Directory, "host-broken.yaml");
        File.WriteAllText(brokenHost, File.ReadAllText(hostFile).Replace("stateDirectory: state", "stateDirectory: broken-state", StringComparison.Ordinal));
        Directory.CreateDirectory(copy);
        File.WriteAllText(Path.Combine(copy, "account-changes.yaml"), "changes:\n- userName: x\n  basedOn: none\n  role: King\n  passwordHash: nope\n");
        var loaded = SiteLoader.Load(brokenHost);
        Assert.False(loaded.Succeeded);
        Assert.Contains(loaded.Problems, p => p.ToString().Contains("account-changes.yaml:", StringComparison.Ordinal));
        await Task.CompletedTask;
    }
}
