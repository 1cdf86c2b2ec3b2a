using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Libvirt.Tests;

/// <summary>A hung libvirt call is simulated by a call that blocks its worker thread.</summary>
public sealed class ConnectionManagerTests
{
    [Fact]
    public async Task A_hung_call_times_out_for_the_caller_and_other_calls_still_run()
    {
        using var manager = new LibvirtConnectionManager("test:///default", TimeSpan.FromMilliseconds(200), workers: 2);
        using var release = new ManualResetEventSlim();
        var hung = manager.RunAsync(_ => release.Wait(TimeSpan.FromSeconds(10)));
        var e = await Assert.ThrowsAsync<SlotRuntimeException>(() => hung);
        Assert.Equal(SlotRuntimeErrorKind.Unavailable, e.Kind);
        Assert.IsType<TimeoutException>(e.InnerException);
        // The second worker still answers.
        Assert.True(await manager.RunAsync(conn => conn.IsAlive));
        release.Set();
    }

    [Fact]
    public async Task A_slot_is_handed_on_only_when_the_hung_call_really_returned()
    {
        var slot = TestSlots.Fresh(0);
        var prefix = TestSlots.UniquePrefix();
        // The timeout covers every call, start-up included: 2 s, not less, so a loaded CI machine does not trip it early.
        await using var hv = new LibvirtHypervisor(
            new LibvirtHypervisorOptions("test:///default", TestSlots.Options(prefix)) { CallTimeout = TimeSpan.FromSeconds(2) },
            [slot], TestSlots.Placement);
        await hv.StartAsync();
        var runtime = (LibvirtSlotRuntime)hv.FindSlot(slot.Name)!;
        using var release = new ManualResetEventSlim();
        var finished = false;
        var hung = hv.RunSlotAsync(runtime, "hang", (_, _) => { release.Wait(TimeSpan.FromSeconds(20)); Volatile.Write(ref finished, true); return 0; }, CancellationToken.None);
        var e = await Assert.ThrowsAsync<SlotRuntimeException>(() => hung);
        Assert.Equal(SlotRuntimeErrorKind.Unavailable, e.Kind);
        Assert.False(Volatile.Read(ref finished));

        var next = hv.RunSlotAsync(runtime, "next", (_, dom) => { dom.Undefine(removeNvram: false); return Volatile.Read(ref finished); }, CancellationToken.None);
        await Task.Delay(200);
        Assert.False(next.IsCompleted, "the next action must wait for the hung call, not only for its caller");
        release.Set();
        Assert.True(await next);
    }
}
