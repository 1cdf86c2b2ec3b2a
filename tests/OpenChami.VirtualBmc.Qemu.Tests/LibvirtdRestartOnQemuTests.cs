using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace OpenChami.VirtualBmc.Qemu.Tests;

/// <summary>
/// libvirtd stopped and started again under the whole service while a client polls the System and resets it, as PCS
/// does: while the slot's domain is not reconciled the answer is 503 with Retry-After — never a power-state 409, never
/// a 5xx other than 503 — reads keep answering, and once libvirtd is back the slot acts normally by itself.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class LibvirtdRestartOnQemuTests(ITestOutputHelper output)
{
    private const string System0 = "/redfish/v1/Systems/slot0";
    private const string Reset0 = System0 + "/Actions/ComputerSystem.Reset";

    [SkippableFact]
    public async Task A_client_polling_and_resetting_through_a_libvirtd_restart_gets_503_with_RetryAfter_then_normal_answers()
    {
        var pidFile = Path.Combine(QemuTier.StateDir, "libvirtd.pid");
        await using var node = await QemuServiceNode.StartAsync("restart", "127.0.0.32");
        if (!File.Exists(pidFile))
        {
            var message = $"libvirtd was not started by tests/qemu/start-libvirtd.sh (no {pidFile}); not stopping someone else's daemon";
            Assert.False(QemuTier.Required, message);
            Skip.If(true, message);
        }
        Assert.Equal(HttpStatusCode.NoContent, (await node.PostAsync(Reset0, """{"ResetType":"ForceOff"}""")).StatusCode);

        var seen = new List<(string What, HttpStatusCode Status, string? RetryAfter)>();
        async Task PollOnceAsync(string resetType)
        {
            using var get = await node.Http.GetAsync(new Uri(System0, UriKind.Relative));
            seen.Add(("GET", get.StatusCode, null));
            using var reset = await node.PostAsync(Reset0, $$"""{"ResetType":"{{resetType}}"}""");
            seen.Add((resetType, reset.StatusCode, reset.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        output.WriteLine(QemuTier.RunScript("stop-libvirtd.sh", QemuTier.StateDir));
        var down = Stopwatch.StartNew();
        while (down.Elapsed < TimeSpan.FromSeconds(5))
        {
            await PollOnceAsync("ForceOff");
            await Task.Delay(200);
        }
        Assert.Contains(seen, s => s.Status == HttpStatusCode.ServiceUnavailable && s.RetryAfter == "5");

        output.WriteLine(QemuTier.RunScript("start-libvirtd.sh", QemuTier.StateDir));
        var back = Stopwatch.StartNew();
        while (true)
        {
            using var on = await node.PostAsync(Reset0, """{"ResetType":"On"}""");
            seen.Add(("On", on.StatusCode, on.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (on.StatusCode == HttpStatusCode.NoContent)
            {
                break;
            }
            Assert.True(back.Elapsed < TimeSpan.FromSeconds(60), "Reset On did not succeed within 60 s of libvirtd answering again");
            await Task.Delay(200);
        }
        output.WriteLine($"Reset On accepted {back.Elapsed.TotalSeconds:F1} s after libvirtd was started again");
        QemuTier.Record("libvirtd restart under the service: Reset On accepted after start-libvirtd", back.Elapsed);
        Assert.Equal("On", await node.PowerStateAsync());

        foreach (var group in seen.GroupBy(s => (s.What, s.Status)))
        {
            output.WriteLine($"{group.Key.What} {(int)group.Key.Status}: {group.Count()}");
        }
        Assert.DoesNotContain(seen, s => s.Status == HttpStatusCode.Conflict);
        Assert.All(seen.Where(s => s.What == "GET"), s => Assert.Equal(HttpStatusCode.OK, s.Status));
        Assert.All(seen.Where(s => s.What != "GET"), s => Assert.True(s.Status is HttpStatusCode.NoContent or HttpStatusCode.ServiceUnavailable, $"{s.What}: {(int)s.Status}"));
        Assert.All(seen.Where(s => s.Status == HttpStatusCode.ServiceUnavailable), s => Assert.Equal("5", s.RetryAfter));
        await node.PostAsync(Reset0, """{"ResetType":"ForceOff"}""");
    }
}
