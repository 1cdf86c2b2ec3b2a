using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace OpenChami.VirtualBmc.Qemu.Tests;

/// <summary>
/// OpenCHAMI PCS's power operations (the ResetType sequences of the client contract §3.3), sent over HTTP the way PCS
/// sends them (Basic auth, <c>{"ResetType":…}</c>) and confirmed the way PCS confirms them (polling the System's
/// PowerState), against a QEMU guest that handles ACPI like a real OS.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class PcsOnQemuTests(ITestOutputHelper output)
{
    private const string Ready = "VBMC-READY";
    private const string AcpiShutdown = "VBMC-ACPI: power button -> poweroff";
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);
    /// <summary>PCS polls every 15 s and gives a transition 5 min; a guest that handles ACPI must be far inside that.</summary>
    private static readonly TimeSpan Confirm = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task Pcs_operations_on_a_qemu_slot_are_confirmed_by_polling_power_state()
    {
        await using var node = await QemuServiceNode.StartAsync("pcs", "127.0.0.31");

        // force-off, then on: ForceOff → Off; On → On and the guest boots.
        await Operation(node, "force-off", "ForceOff");
        await WaitForState(node, "Off");
        await Operation(node, "on", "On");
        await WaitForState(node, "On");
        await node.Console.WaitForAsync(Ready, Boot);

        // soft-off: GracefulShutdown only; the guest's ACPI handler powers it off.
        var shutdown = await Operation(node, "soft-off", "GracefulShutdown");
        var off = await WaitForState(node, "Off");
        Assert.Contains(AcpiShutdown, node.Console.Text(), StringComparison.Ordinal);
        QemuTier.Record("PCS soft-off: GracefulShutdown POST -> PowerState Off over HTTP", off);
        output.WriteLine($"soft-off confirmed in {off.TotalSeconds:F1} s (POST took {shutdown.TotalMilliseconds:F0} ms)");

        // init from Off: On.
        await Operation(node, "init (off)", "On");
        await WaitForState(node, "On");
        await node.Console.WaitForAsync(Ready, Boot);

        // soft-restart: GracefulRestart; the guest goes down through ACPI and comes back in the same QEMU process, so
        // the console (truncated only when QEMU starts) shows a second boot while PowerState ends On.
        await Operation(node, "soft-restart", "GracefulRestart");
        await node.Console.WaitForAsync(Ready, Boot, occurrences: 2);
        await WaitForState(node, "On");
        Assert.Contains(AcpiShutdown, node.Console.Text(), StringComparison.Ordinal);

        // hard-restart (and init from On, the same sequence): GracefulShutdown, wait for Off, then On.
        foreach (var operation in new[] { "hard-restart", "init (on)" })
        {
            await Operation(node, operation, "GracefulShutdown");
            var down = await WaitForState(node, "Off");
            await Operation(node, operation, "On");
            var up = await WaitForState(node, "On");
            await node.Console.WaitForAsync(Ready, Boot);
            output.WriteLine($"{operation}: Off after {down.TotalSeconds:F1} s, On after {up.TotalSeconds:F1} s");
        }
        QemuTier.Record("PCS hard-restart: GracefulShutdown -> Off", await TimeHardOff(node));

        // force-off again, and the idempotent cases PCS relies on: On when On and ForceOff when Off succeed.
        await Operation(node, "force-off", "ForceOff");
        await WaitForState(node, "Off");
        await Operation(node, "force-off (already off)", "ForceOff");
        Assert.Equal("Off", await node.PowerStateAsync());
    }

    /// <summary>One more GracefulShutdown of a ready guest, timed to Off (the figure run-tier.sh prints).</summary>
    private static async Task<TimeSpan> TimeHardOff(QemuServiceNode node)
    {
        await Operation(node, "hard-restart (timed)", "GracefulShutdown");
        return await WaitForState(node, "Off");
    }

    private static async Task<TimeSpan> Operation(QemuServiceNode node, string operation, string resetType)
    {
        var clock = Stopwatch.StartNew();
        using var response = await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", $$"""{"ResetType":"{{resetType}}"}""");
        Assert.True(response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK,
            $"{operation}: POST ResetType {resetType} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return clock.Elapsed;
    }

    /// <summary>Polls PowerState (as PCS does, here every 250 ms) until it is <paramref name="state"/>; returns how long that took.</summary>
    private static async Task<TimeSpan> WaitForState(QemuServiceNode node, string state)
    {
        var clock = Stopwatch.StartNew();
        string current;
        while ((current = await node.PowerStateAsync()) != state)
        {
            Assert.True(clock.Elapsed < Confirm, $"PowerState still {current} after {Confirm.TotalSeconds} s (wanted {state})");
            await Task.Delay(250);
        }
        return clock.Elapsed;
    }
}
