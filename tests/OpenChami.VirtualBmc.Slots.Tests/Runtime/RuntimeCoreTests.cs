using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Slots.Tests.Runtime;

public sealed class PowerStateMappingTests
{
    [Theory]
    [InlineData(DomainRunState.Running, PowerState.On)]
    [InlineData(DomainRunState.Blocked, PowerState.On)]
    [InlineData(DomainRunState.Paused, PowerState.On)]
    [InlineData(DomainRunState.PmSuspended, PowerState.On)]
    [InlineData(DomainRunState.ShuttingDown, PowerState.PoweringOff)]
    [InlineData(DomainRunState.ShutOff, PowerState.Off)]
    [InlineData(DomainRunState.Crashed, PowerState.Off)]
    [InlineData(DomainRunState.NoState, PowerState.PoweringOn)]
    public void Domain_state_maps_to_power_state(DomainRunState state, PowerState expected) =>
        Assert.Equal(expected, PowerStateMapping.FromDomainState(state));

    [Fact]
    public void Domain_state_values_are_libvirts()
    {
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], Enum.GetValues<DomainRunState>().Select(s => (int)s));
        Assert.Equal(2, (int)DomainLifecycleEvent.Started);
        Assert.Equal(5, (int)DomainLifecycleEvent.Stopped);
        Assert.Equal(8, (int)DomainLifecycleEvent.Crashed);
    }

    [Theory]
    [InlineData(DomainLifecycleEvent.Started, PowerState.On)]
    [InlineData(DomainLifecycleEvent.Resumed, PowerState.On)]
    [InlineData(DomainLifecycleEvent.Suspended, PowerState.On)]
    [InlineData(DomainLifecycleEvent.Shutdown, PowerState.PoweringOff)]
    [InlineData(DomainLifecycleEvent.Stopped, PowerState.Off)]
    [InlineData(DomainLifecycleEvent.Crashed, PowerState.Off)]
    [InlineData(DomainLifecycleEvent.Defined, null)]
    [InlineData(DomainLifecycleEvent.Undefined, null)]
    public void Lifecycle_event_maps_to_power_state(DomainLifecycleEvent lifecycle, PowerState? expected) =>
        Assert.Equal(expected, PowerStateMapping.FromLifecycleEvent(lifecycle));
}

public sealed class ResetPlanTests
{
    [Theory]
    [InlineData(ResetType.On, PowerState.Off, new[] { PowerOperation.Start })]
    [InlineData(ResetType.On, PowerState.On, new PowerOperation[0])]
    [InlineData(ResetType.ForceOn, PowerState.Off, new[] { PowerOperation.Start })]
    [InlineData(ResetType.ForceOn, PowerState.On, new PowerOperation[0])]
    [InlineData(ResetType.ForceOff, PowerState.On, new[] { PowerOperation.Destroy })]
    [InlineData(ResetType.ForceOff, PowerState.PoweringOff, new[] { PowerOperation.Destroy })]
    [InlineData(ResetType.ForceOff, PowerState.Off, new PowerOperation[0])]
    [InlineData(ResetType.GracefulShutdown, PowerState.On, new[] { PowerOperation.Shutdown })]
    [InlineData(ResetType.GracefulShutdown, PowerState.Off, new PowerOperation[0])]
    [InlineData(ResetType.GracefulRestart, PowerState.On, new[] { PowerOperation.Reboot })]
    [InlineData(ResetType.ForceRestart, PowerState.On, new[] { PowerOperation.Reset })]
    [InlineData(ResetType.ForceRestart, PowerState.Off, new[] { PowerOperation.Start })]
    [InlineData(ResetType.PowerCycle, PowerState.On, new[] { PowerOperation.Destroy, PowerOperation.Start })]
    [InlineData(ResetType.PowerCycle, PowerState.Off, new[] { PowerOperation.Start })]
    [InlineData(ResetType.Nmi, PowerState.On, new[] { PowerOperation.InjectNmi })]
    [InlineData(ResetType.PushPowerButton, PowerState.On, new[] { PowerOperation.Shutdown })]
    [InlineData(ResetType.PushPowerButton, PowerState.Off, new[] { PowerOperation.Start })]
    public void Reset_type_gives_operations(ResetType type, PowerState state, PowerOperation[] expected) =>
        Assert.Equal(expected, ResetPlan.For(type, state));

    [Theory]
    [InlineData(ResetType.GracefulRestart)]
    [InlineData(ResetType.Nmi)]
    public void Reset_that_needs_a_running_system_conflicts_when_off(ResetType type)
    {
        var e = Assert.Throws<SlotRuntimeException>(() => ResetPlan.For(type, PowerState.Off));
        Assert.Equal(SlotRuntimeErrorKind.Conflict, e.Kind);
    }

    [Fact]
    public void Every_reset_type_has_a_plan_when_on()
    {
        foreach (var type in Enum.GetValues<ResetType>())
        {
            _ = ResetPlan.For(type, PowerState.On);
        }
    }
}

public sealed class SlotSerializerTests
{
    [Fact]
    public async Task Actions_on_one_slot_never_interleave()
    {
        var serializer = new SlotSerializer();
        var inside = 0;
        var maxInside = 0;
        var order = new List<int>();
        var tasks = Enumerable.Range(0, 40).Select(i => Task.Run(() => serializer.RunAsync("s", TimeSpan.FromSeconds(10), async ct =>
        {
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref maxInside, now);
            lock (order) order.Add(i);
            await Task.Delay(1, ct);
            Interlocked.Decrement(ref inside);
            return i;
        }))).ToList();
        await Task.WhenAll(tasks);
        Assert.Equal(1, maxInside);
        Assert.Equal(40, order.Distinct().Count());
    }

    [Fact]
    public async Task Different_slots_run_in_parallel()
    {
        var serializer = new SlotSerializer();
        using var a = await serializer.AcquireAsync("a", TimeSpan.FromSeconds(1));
        // "a" is held: "b" still gets its turn at once.
        using var b = await serializer.AcquireAsync("b", TimeSpan.FromSeconds(1));
        var e = await Assert.ThrowsAsync<SlotRuntimeException>(() => serializer.AcquireAsync("a", TimeSpan.FromMilliseconds(50)));
        Assert.Equal(SlotRuntimeErrorKind.Unavailable, e.Kind);
    }

    [Fact]
    public async Task Releasing_twice_does_not_open_the_slot_for_two()
    {
        var serializer = new SlotSerializer();
        var turn = await serializer.AcquireAsync("a", TimeSpan.FromSeconds(1));
        turn.Dispose();
        turn.Dispose();
        using var first = await serializer.AcquireAsync("a", TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<SlotRuntimeException>(() => serializer.AcquireAsync("a", TimeSpan.FromMilliseconds(50)));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
