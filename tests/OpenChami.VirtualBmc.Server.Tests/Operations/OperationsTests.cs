using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.TestSupport;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Operations;

/// <summary>A server with its admin listener on a free loopback port.</summary>
public sealed class AdminServer : RunningServer
{
    public int AdminPort { get; } = FreePort(IPAddress.Loopback);

    public string HostFile => Path.Combine(Directory, "host.yaml");

    protected override string Tweak(string hostYaml) =>
        hostYaml.Replace("slots:\n", $"admin:\n  address: 127.0.0.1\n  port: {AdminPort}\nslots:\n", StringComparison.Ordinal);
}

public sealed class OperationsTests(AdminServer server) : IClassFixture<AdminServer>
{
    private async Task<HttpResponseMessage> Admin(string path)
    {
        using var plain = new HttpClient();
        var response = await plain.GetAsync(new Uri($"http://127.0.0.1:{server.AdminPort}{path}"));
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    [Fact]
    public async Task Metrics_ShowRequestsPowerStatesFindingsAndAuthFailures()
    {
        await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""");
        await server.GetAsync("/redfish/v1/Systems/slot0");
        using (var wrong = server.ClientFor("reader", "not-it"))
        {
            await server.GetAsync("/redfish/v1/Systems", client: wrong);
        }

        var text = await (await Admin("/metrics")).Content.ReadAsStringAsync();

        Assert.Matches(@"http_request_duration_seconds_bucket\{[^}]*endpoint=""/redfish/v1/Systems/\{id\}""", text);
        Assert.Matches(@"http_requests_received_total\{code=""2xx""", text);
        // Every test server in this process registers a meter of the same name and prometheus-net reports one series
        // per label set, so another server's slot0 may be the one shown: assert the series, not which server's value.
        Assert.Matches(@"openchami_virtualbmc_slot_power_state\{slot=""slot0"",state=""On""\} [01]", text);
        Assert.Matches(@"openchami_virtualbmc_slot_power_state\{slot=""slot0"",state=""Off""\} [01]", text);
        Assert.Matches(@"openchami_virtualbmc_slot_usable\{slot=""slot2""\} 0", text);
        Assert.Matches(@"openchami_virtualbmc_validation_findings\{(?=[^}]*slot=""slot2"")(?=[^}]*severity=""Error"")[^}]*\} 2", text);
        // The same holds for the observable counters: the series is asserted here, this server's count on its authenticator.
        Assert.Matches(@"openchami_virtualbmc_auth_failures(_total)? [0-9]", text);
        Assert.InRange(server.App.Services.GetRequiredService<OpenChami.VirtualBmc.Server.Security.Authenticator>().FailureCounts.Failed, 1, long.MaxValue);
        Assert.Matches(@"openchami_virtualbmc_libvirt_call_duration_seconds_count\{(?=[^}]*operation=""reset On"")[^}]*\} [1-9]", text);
    }

    [Fact]
    public async Task HealthAndReadiness_Answer()
    {
        var live = await Admin("/healthz");
        var ready = await Admin("/readyz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready: 2 of 4 slots usable\n", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AdminListener_IsNotARedfishEndpoint_AndRedfishEndpointsServeNoMetrics()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Admin("/redfish/v1")).StatusCode);
        var (metrics, _) = await server.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
    }

    [Fact]
    public async Task Reload_SwapsAccounts_AndABadFileChangesNothing()
    {
        var node = server.Node.State;
        var holder = server.App.Services.GetRequiredService<CertificateHolder>();
        var directory = server.App.Services.GetRequiredService<OpenChami.VirtualBmc.Server.Security.AccountDirectory>();
        var accounts = Path.Combine(server.Directory, "accounts.yaml");
        var original = await File.ReadAllTextAsync(accounts);
        using var newcomer = server.ClientFor("newcomer", "newcomer-pass-1234");
        try
        {
            await File.WriteAllTextAsync(accounts, original.Replace("- userName: reader", "- userName: newcomer", StringComparison.Ordinal)
                .Replace(original.Split('\n').First(l => l.Contains("passwordHash", StringComparison.Ordinal) && original.IndexOf(l, StringComparison.Ordinal) > original.IndexOf("reader", StringComparison.Ordinal)),
                    $"  passwordHash: \"{PasswordHasher.Hash("newcomer-pass-1234", 10_000)}\"", StringComparison.Ordinal));
            Assert.True(Reloader.Reload(server.HostFile, node, directory, holder, Serilog.Core.Logger.None));
            Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/redfish/v1/Systems", client: newcomer)).Response.StatusCode);

            await File.WriteAllTextAsync(accounts, "accounts:\n- userName: broken\n  role: Root\n");
            Assert.False(Reloader.Reload(server.HostFile, node, directory, holder, Serilog.Core.Logger.None));
            Assert.Equal(HttpStatusCode.OK, (await server.GetAsync("/redfish/v1/Systems", client: newcomer)).Response.StatusCode);
        }
        finally
        {
            await File.WriteAllTextAsync(accounts, original);
            Reloader.Reload(server.HostFile, node, directory, holder, Serilog.Core.Logger.None);
        }
    }
}

public sealed class HostPrepareCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = OpenChami.VirtualBmc.Server.Cli.Cli.RunAsync(args, stdout, stderr, TextReader.Null).GetAwaiter().GetResult();
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void DryRun_PrintsThePlan_ThenApplyingMakesEverySlotUsable_AndASecondRunIsEmpty()
    {
        using var dir = new TempDirectory();
        var sysfs = OpenChami.VirtualBmc.TestSupport.Sysfs.DenseNodeFixture.Build(Path.Combine(dir.Path, "sysfs"));
        var host = WriteDemoCopy(dir, 8443);

        var (planCode, plan, _) = Run("host", "prepare", "--config", host, "--sysfs-root", sysfs, "--dry-run");
        var (validateBefore, _, _) = Run("validate", "--config", host, "--sysfs-root", sysfs);

        Assert.Equal(0, planCode);
        Assert.Contains("vfio-pci > /sys/bus/pci/devices/0000:9a:00.0/driver_override", plan, StringComparison.Ordinal);
        Assert.Equal(1, validateBefore);
        // A dry run writes nothing.
        Assert.Equal("(null)", File.ReadAllText(Path.Combine(sysfs, "sys/bus/pci/devices/0000:9a:00.0/driver_override")).Trim());
    }

    [Fact]
    public void HostWithoutSubcommand_IsAUsageError()
    {
        var (code, _, errors) = Run("host", "frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("the only subcommand is 'prepare'", errors, StringComparison.Ordinal);
    }
}
