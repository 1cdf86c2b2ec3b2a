using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenChami.VirtualBmc.Server.Security;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

public sealed class AuthTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static string Code(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    [Theory]
    [InlineData("/redfish/v1")]
    [InlineData("/redfish/v1/")]
    [InlineData("/redfish/v1/$metadata")]
    [InlineData("/redfish/v1/odata")]
    public async Task OnlyRootMetadataAndODataAreAnonymous(string path)
    {
        var response = await server.Anonymous.GetAsync(server.Url(path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/redfish/v1/Systems")]
    [InlineData("/redfish/v1/Systems/slot0")]
    [InlineData("/redfish/v1/SessionService/Sessions")]
    [InlineData("/redfish/v1/AccountService/Accounts")]
    [InlineData("/redfish/v1/Managers/BMC")]
    public async Task EverythingElse_Needs401WithBasicChallenge(string path)
    {
        var (response, body) = await server.GetAsync(path, client: server.Anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Base.1.22.NoValidSession", Code(body));
        Assert.StartsWith("Basic realm=", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongPassword_UnknownUser_AndMalformedBasic_LookTheSame()
    {
        var answers = new List<(HttpStatusCode, string, string)>();
        foreach (var client in new[] { server.ClientFor("operator", "wrong-password"), server.ClientFor("nobody", "whatever"), server.ClientFor("", "") })
        {
            using (client)
            {
                var (response, body) = await server.GetAsync("/redfish/v1/Systems", client: client);
                answers.Add((response.StatusCode, body.GetRawText(), response.Headers.WwwAuthenticate.ToString()));
            }
        }
        Assert.All(answers, a => Assert.Equal(answers[0], a));
        Assert.Equal(HttpStatusCode.Unauthorized, answers[0].Item1);
    }

    [Fact]
    public async Task Session_LoginUseAndLogout()
    {
        var (login, session) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions",
            $$"""{"UserName":"reader","Password":"{{TestAccounts.ReaderPassword}}"}""", client: server.Anonymous);
        Assert.Equal(HttpStatusCode.Created, login.StatusCode);
        var token = login.Headers.GetValues("X-Auth-Token").Single();
        Assert.True(token.Length >= 43, "256-bit token");
        var location = login.Headers.Location!.ToString();
        Assert.Equal(location, session.GetProperty("@odata.id").GetString());
        Assert.Equal(JsonValueKind.Null, session.GetProperty("Password").ValueKind);

        void WithToken(HttpRequestMessage r) => r.Headers.Add("X-Auth-Token", token);
        var (systems, _) = await server.GetAsync("/redfish/v1/Systems", WithToken, server.Anonymous);
        var (reset, resetBody) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""", WithToken, server.Anonymous);
        var (mine, _) = await server.GetAsync(location, WithToken, server.Anonymous);
        var (logout, _) = await server.SendAsync(HttpMethod.Delete, location, null, WithToken, server.Anonymous);
        var (after, afterBody) = await server.GetAsync("/redfish/v1/Systems", WithToken, server.Anonymous);

        Assert.Equal(HttpStatusCode.OK, systems.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, reset.StatusCode); // ReadOnly holds no ConfigureComponents
        Assert.Equal("Base.1.22.InsufficientPrivilege", Code(resetBody));
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("Base.1.22.NoValidSession", Code(afterBody));
    }

    [Fact]
    public async Task Sessions_OfOthers_AreInvisibleToNonAdministrators()
    {
        var (adminLogin, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions",
            $$"""{"UserName":"admin","Password":"{{TestAccounts.AdminPassword}}"}""", client: server.Anonymous);
        var adminSession = adminLogin.Headers.Location!.ToString();
        using var op = server.ClientFor("operator", TestAccounts.OperatorPassword);

        var (list, body) = await server.GetAsync("/redfish/v1/SessionService/Sessions", client: op);
        var (get, _) = await server.GetAsync(adminSession, client: op);
        var (delete, _) = await server.SendAsync(HttpMethod.Delete, adminSession, client: op);
        var (adminList, adminBody) = await server.GetAsync("/redfish/v1/SessionService/Sessions");

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.DoesNotContain(adminSession, body.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Contains(adminSession, adminBody.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, adminList.StatusCode);
    }

    [Theory]
    [InlineData("""{"UserName":"admin"}""", "Base.1.22.PropertyMissing")]
    [InlineData("""{"UserName":"admin","Password":"x","Extra":1}""", "Base.1.22.PropertyUnknown")]
    [InlineData("""{"UserName":5,"Password":"x"}""", "Base.1.22.PropertyValueTypeError")]
    [InlineData("""not json""", "Base.1.22.MalformedJSON")]
    public async Task BadLoginBody_Is400(string body, string messageId)
    {
        var (response, error) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions", body, client: server.Anonymous);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(messageId, error.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedBodyBeforeAuthentication_Is413()
    {
        var big = $$"""{"UserName":"admin","Password":"{{new string('x', 8000)}}"}""";
        var (response, body) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions", big, client: server.Anonymous);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("Base.1.22.PayloadTooLarge", Code(body));
    }

    [Fact]
    public async Task BasicCredentials_AreVerifiedOnceThenCached_AndEveryFailureCostsOneSlowHash()
    {
        var authenticator = server.App.Services.GetRequiredService<Authenticator>();
        using var reader = server.ClientFor("reader", TestAccounts.ReaderPassword);
        await server.GetAsync("/redfish/v1/Systems", client: reader);
        var before = authenticator.SlowHashes;
        for (var i = 0; i < 20; i++)
        {
            var (ok, _) = await server.GetAsync("/redfish/v1/Systems", client: reader);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        Assert.Equal(before, authenticator.SlowHashes);

        using var wrong = server.ClientFor("reader", "not-the-password");
        using var unknown = server.ClientFor("ghost", "not-the-password");
        await server.GetAsync("/redfish/v1/Systems", client: wrong);
        Assert.Equal(before + 1, authenticator.SlowHashes);
        await server.GetAsync("/redfish/v1/Systems", client: unknown);
        Assert.Equal(before + 2, authenticator.SlowHashes);
    }

    [Fact]
    public async Task ConcurrentRequestsWithAnUncachedCredential_ShareOneSlowHash_AndAllSucceed()
    {
        var accounts = server.App.Services.GetRequiredService<Func<IReadOnlyList<OpenChami.VirtualBmc.Slots.Catalog.Account>>>();
        var config = server.App.Services.GetRequiredService<OpenChami.VirtualBmc.Slots.Catalog.SecurityConfig>();
        // A fresh authenticator: nothing cached (the server's may already know these credentials).
        using var cold = new Authenticator(accounts, config, TimeProvider.System);
        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ =>
            Task.Run(() => cold.VerifyAsync("reader", TestAccounts.ReaderPassword, CancellationToken.None))));
        Assert.All(results, r => Assert.Equal(Authenticator.Outcome.Accepted, r.Outcome));
        Assert.True(cold.SlowHashes <= 2, $"{cold.SlowHashes} slow hashes for one credential");
        var wrong = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            Task.Run(() => cold.VerifyAsync("reader", "not-it", CancellationToken.None))));
        Assert.All(wrong, r => Assert.Equal(Authenticator.Outcome.Rejected, r.Outcome));
        Assert.Equal(3, cold.FailureCounts.Failed); // each attempt still counts toward lockout
    }

    [Fact]
    public async Task SecurityHeaders_AreOnEveryResponse()
    {
        foreach (var path in new[] { "/redfish/v1", "/redfish/v1/Systems/slot0", "/redfish/v1/nope" })
        {
            var response = await server.Http.GetAsync(server.Url(path));
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.StartsWith("max-age=", response.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
            Assert.True(response.Headers.CacheControl!.NoStore);
            Assert.False(response.Headers.Contains("Server"));
        }
    }
}

public sealed class BadInputTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static string Code(System.Text.Json.JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    [Theory]
    [InlineData("""{"Image":"http://example.org/a.iso","Inserted":false}""", "Base.1.22.ActionParameterNotSupported")]
    [InlineData("""{"Image":"http://example.org/a.iso","WriteProtected":false}""", "Base.1.22.ActionParameterNotSupported")]
    [InlineData("""{"Image":"http://example.org/a.iso","TransferMethod":"Upload"}""", "Base.1.22.ActionParameterValueNotInList")]
    [InlineData("""{"Image":true}""", "Base.1.22.ActionParameterValueTypeError")]
    [InlineData("""{"Image":"gopher://example.org/a.iso"}""", "Base.1.22.ActionParameterValueFormatError")]
    [InlineData("""{"Image":"/var/lib/libvirt/images/other.qcow2"}""", "Base.1.22.ActionParameterValueFormatError")]
    [InlineData("""{"Image":"http://example.org/a.iso","UserName":"u"}""", "Base.1.22.ActionParameterMissing")]
    public async Task BadInsertMedia_Is400AndAttachesNothing(string body, string messageId)
    {
        var (response, error) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia", body);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(messageId, error.GetRawText(), StringComparison.Ordinal);
        var (_, media) = await server.GetAsync("/redfish/v1/Systems/slot0/VirtualMedia/Cd");
        Assert.False(media.GetProperty("Inserted").GetBoolean());
    }

    [Fact]
    public async Task TextPlainBody_IsNotParsedAsJson()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server.Url("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset"))
        {
            Content = new StringContent("""{"ResetType":"ForceOff"}""", System.Text.Encoding.UTF8, "text/plain"),
        };
        var response = await server.Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Base.1.22.HeaderInvalid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/redfish/v1/Systems/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/redfish/v1//Systems")]
    [InlineData("/redfish/v1/Systems/slot0;x")]
    [InlineData("/redfish/v1/Systems/slot0%00")]
    public async Task OddPaths_AreNeverA500(string path)
    {
        var response = await server.Http.GetAsync(server.Url(path));
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{path}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task AfterMalformedRequests_AValidLoginStillWorks()
    {
        foreach (var body in new[] { "{", "[]", "null", "\"x\"" })
        {
            var (bad, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions", body, client: server.Anonymous);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        }
        var (login, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions",
            $$"""{"UserName":"admin","Password":"{{ServerTestSupport.TestAccounts.AdminPassword}}"}""", client: server.Anonymous);
        Assert.Equal(System.Net.HttpStatusCode.Created, login.StatusCode);
    }

    [Theory]
    [InlineData("/redfish/v1/Systems?$top=-1")]
    [InlineData("/redfish/v1/Systems?$skip=99999999999999999999")]
    public async Task OutOfRangeQuery_Is400(string path)
    {
        var (response, body) = await server.GetAsync(path);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Base.1.22.QueryParameterValueTypeError", Code(body));
    }

    [Fact]
    public async Task UnsupportedQuery_IsRefusedBeforeAuthentication()
    {
        var (response, _) = await server.GetAsync("/redfish/v1/Systems?$expand=*", client: server.Anonymous);
        Assert.Equal(System.Net.HttpStatusCode.NotImplemented, response.StatusCode);
    }
}
