using System.Net;
using System.Text;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

/// <summary>Three sessions in all, two per account.</summary>
public sealed class FewSessionsServer : RunningServer
{
    protected override string Tweak(string hostYaml) =>
        hostYaml.Replace("security:\n", "security:\n  maxSessions: 3\n  maxSessionsPerAccount: 2\n", StringComparison.Ordinal);
}

public sealed class SessionLimitTests(FewSessionsServer server) : IClassFixture<FewSessionsServer>
{
    private async Task<HttpResponseMessage> LoginAsync(string user, string password)
    {
        var (response, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions",
            $$"""{"UserName":"{{user}}","Password":"{{password}}"}""", client: server.Anonymous);
        return response;
    }

    private async Task<HttpStatusCode> WithTokenAsync(HttpResponseMessage login) =>
        (await server.GetAsync("/redfish/v1/Systems", r => r.Headers.Add("X-Auth-Token", login.Headers.GetValues("X-Auth-Token").Single()), server.Anonymous)).Response.StatusCode;

    [Fact]
    public async Task OneReadOnlyAccount_CannotTakeEverySession_AndAnAdministratorCanAlwaysLogIn()
    {
        var readerLogins = new List<HttpResponseMessage>();
        for (var i = 0; i < 64; i++)
        {
            readerLogins.Add(await LoginAsync("reader", TestAccounts.ReaderPassword));
        }
        Assert.All(readerLogins, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        // At its cap (2) each new login ended the account's least recently used session: only the last two live.
        Assert.Equal(HttpStatusCode.Unauthorized, await WithTokenAsync(readerLogins[0]));
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync(readerLogins[^1]));
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync(readerLogins[^2]));

        var operatorLogin = await LoginAsync("operator", TestAccounts.OperatorPassword);
        Assert.Equal(HttpStatusCode.Created, operatorLogin.StatusCode); // 3 of 3 now

        var admin = await LoginAsync("admin", TestAccounts.AdminPassword);
        Assert.Equal(HttpStatusCode.Created, admin.StatusCode); // ended the least recently used session of another account
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync(admin));

        var refused = await LoginAsync("operator", TestAccounts.OperatorPassword);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("SessionLimitExceeded", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }
}

/// <summary>Four connections and one pre-authentication request per second (burst five) per source address.</summary>
public sealed class LimitedSourcesServer : RunningServer
{
    protected override string Tweak(string hostYaml) =>
        hostYaml.Replace("security:\n", "security:\n  maxConnectionsPerSource: 4\n  preAuthRequestsPerSecondPerSource: 1\n", StringComparison.Ordinal);
}

public sealed class SourceLimitTests(LimitedSourcesServer server) : IClassFixture<LimitedSourcesServer>
{
    [Fact]
    public async Task OneSource_HoldingItsConnectionCap_DoesNotLockOthersOut()
    {
        var hog = IPAddress.Parse("127.0.0.101");
        var held = new List<System.Net.Security.SslStream>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                held.Add(await SourceAddressClient.TlsAsync(hog, server.Port, server.CertificateThumbprint));
            }
            var refused = await Record.ExceptionAsync(async () => held.Add(await SourceAddressClient.TlsAsync(hog, server.Port, server.CertificateThumbprint)));
            Assert.NotNull(refused); // closed before the handshake

            using var other = SourceAddressClient.Http(IPAddress.Parse("127.0.0.102"), server.CertificateThumbprint, "admin", TestAccounts.AdminPassword);
            Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(server.Url("/redfish/v1/Systems/slot0"))).StatusCode);

            await held[0].DisposeAsync(); // a closed connection is given back
            held.RemoveAt(0);
            Exception? again = null;
            for (var attempt = 0; attempt < 50; attempt++)
            {
                again = await Record.ExceptionAsync(async () => held.Add(await SourceAddressClient.TlsAsync(hog, server.Port, server.CertificateThumbprint)));
                if (again is null)
                {
                    break;
                }
                await Task.Delay(100);
            }
            Assert.Null(again);
        }
        finally
        {
            foreach (var ssl in held)
            {
                await ssl.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task OneSource_SpendingItsPreAuthenticationBudget_Gets503WithRetryAfter_OthersDoNot()
    {
        using var noisy = SourceAddressClient.Http(IPAddress.Parse("127.0.0.103"), server.CertificateThumbprint);
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 20; i++)
        {
            answers.Add(await noisy.PostAsync(server.Url("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset"),
                new StringContent("""{"ResetType":"On"}""", Encoding.UTF8, "application/json")));
        }
        var limited = answers.First(a => a.StatusCode == HttpStatusCode.ServiceUnavailable);
        Assert.Contains("ServiceTemporarilyUnavailable", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized) <= 7); // the burst (5) and a refill or two

        using var quiet = SourceAddressClient.Http(IPAddress.Parse("127.0.0.104"), server.CertificateThumbprint);
        Assert.Equal(HttpStatusCode.OK, (await quiet.GetAsync(server.Url("/redfish/v1/"))).StatusCode);
        using var authenticated = SourceAddressClient.Http(IPAddress.Parse("127.0.0.105"), server.CertificateThumbprint, "admin", TestAccounts.AdminPassword);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await authenticated.GetAsync(server.Url("/redfish/v1/Systems/slot0"))).StatusCode); // never drains it
        }
    }
}
