using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using OpenChami.VirtualBmc.Server.Audit;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

/// <summary>A server with an admin listener and a pre-authentication budget too large to matter: floods reach the service.</summary>
public sealed class FloodServer : RunningServer
{
    public int AdminPort { get; } = FreePort(IPAddress.Loopback);

    public string AuditFile => Path.Combine(Directory, "audit.jsonl");

    protected override string Tweak(string hostYaml) => hostYaml
        .Replace("security:\n", "security:\n  preAuthRequestsPerSecondPerSource: 100000\n", StringComparison.Ordinal)
        .Replace("slots:\n", $"admin:\n  address: 127.0.0.1\n  port: {AdminPort}\nslots:\n", StringComparison.Ordinal);

    public async Task<string> MetricsAsync()
    {
        using var plain = new HttpClient();
        return await plain.GetStringAsync(new Uri($"http://127.0.0.1:{AdminPort}/metrics"));
    }
}

/// <summary>Floods that must not disturb (or be disturbed by) other test servers: run alone.</summary>
[CollectionDefinition(nameof(Alone), DisableParallelization = true)]
public sealed class Alone;

/// <summary>What one unauthenticated client can make the service keep: metric series, audit lines.</summary>
[Collection(nameof(Alone))]
public sealed partial class AbuseTests(FloodServer server) : IClassFixture<FloodServer>
{
    private static readonly HashSet<string> ClosedMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other", "_OTHER", "CONNECT", "TRACE"];

    /// <summary>The series count once it stops moving (meters are exported on a schedule).</summary>
    private async Task<int> SettledSeriesAsync()
    {
        var (last, same) = (-1, 0);
        for (var i = 0; i < 60 && same < 2; i++)
        {
            var now = Series(await server.MetricsAsync());
            (last, same) = (now, now == last ? same + 1 : 0);
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        return last;
    }

    // prometheus-net's middleware (replaced) used method="…"; ASP.NET Core's own meter, also exported, http_request_method="…".
    [GeneratedRegex(@"method=""([^""]*)""")]
    private static partial Regex MethodLabel();

    private static int Series(string metrics) => metrics.Split('\n').Count(l => l.Length > 0 && l[0] != '#');

    private static async Task FloodAsync(int count, Func<int, HttpRequestMessage> request, HttpClient client)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                using var message = request(i);
                using var response = await client.SendAsync(message);
            }
        }));
    }

    [Fact]
    public async Task TenThousandRandomMethods_AddNoMetricSeries()
    {
        var random = new Random(14);
        string RandomMethod() => new(Enumerable.Range(0, 16).Select(_ => (char)('A' + random.Next(26))).ToArray());
        var methods = Enumerable.Range(0, 12_000).Select(_ => RandomMethod()).ToArray();
        HttpRequestMessage Request(int i) => new(new HttpMethod(methods[i]), server.Url(i % 2 == 0 ? "/redfish/v1/Systems" : $"/x/{i}"));
        // A first flood makes every label set these requests can reach exist (some meters publish late).
        await FloodAsync(2_000, Request, server.Anonymous);
        var before = await SettledSeriesAsync();

        await FloodAsync(10_000, i => Request(2_000 + i), server.Anonymous);

        var after = await SettledSeriesAsync();
        var metrics = await server.MetricsAsync();
        // prometheus-net's middleware added about twenty series per unknown method (200,000 here). What may still appear
        // is a fixed handful: ASP.NET Core's and HttpClient's own meters publish a label set like method="_OTHER" late.
        Assert.InRange(after - before, 0, 200);
        Assert.All(MethodLabel().Matches(metrics).Select(m => m.Groups[1].Value), m => Assert.Contains(m, ClosedMethods));
        Assert.DoesNotContain(methods[7_000], metrics, StringComparison.Ordinal);
        Assert.Matches(@"http_requests_received_total\{code=""4xx"",method=""other"",endpoint=""""\} [1-9]", metrics);
    }

    [Fact]
    public async Task AnonymousFlood_WritesNoLinePerRequest_OnlyASummaryWithTotals()
    {
        var audit = server.App.Services.GetRequiredService<AuditLog>();
        audit.FlushSummary();
        var before = new FileInfo(server.AuditFile).Length;
        using var wrong = server.ClientFor("nobody", "wrong");

        await FloodAsync(2_000, i => (i % 4) switch
        {
            0 => new HttpRequestMessage(HttpMethod.Post, server.Url("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset")) { Content = new StringContent("""{"ResetType":"On"}""") },
            1 => new HttpRequestMessage(HttpMethod.Patch, server.Url("/redfish/v1/Systems/slot0")) { Content = new StringContent("{}") },
            2 => new HttpRequestMessage(HttpMethod.Post, server.Url($"/redfish/v1/Nothing/{i}")),
            _ => new HttpRequestMessage(HttpMethod.Post, server.Url("/redfish/v1/SessionService/Sessions")) { Content = new StringContent("{}") },
        }, server.Anonymous);
        await FloodAsync(20, _ => new HttpRequestMessage(HttpMethod.Get, server.Url("/redfish/v1/Systems")), wrong);

        Assert.Equal(before, new FileInfo(server.AuditFile).Length);
        audit.FlushSummary();
        var added = File.ReadAllLines(server.AuditFile).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("event").GetString() == "unauthenticated").ToList();
        var summary = added[^1].GetProperty("parameters");
        // An unknown path is authenticated first (an anonymous client learns no route shape), so it is a 401 like the
        // others; 401s, 400s and wrong passwords are counted.
        Assert.Equal(2_020, summary.GetProperty("failures").GetInt64());
        Assert.Equal(1_500, summary.GetProperty("kinds").GetProperty("401").GetInt64());
        Assert.Equal(500, summary.GetProperty("kinds").GetProperty("400").GetInt64());
        Assert.Equal(2_020, summary.GetProperty("sources").GetProperty("127.0.0.1").GetInt64());
        Assert.Equal(20, summary.GetProperty("userNames").GetProperty("nobody").GetInt64());
        Assert.InRange(new FileInfo(server.AuditFile).Length - before, 1, 4096);
    }
}
