namespace OpenChami.VirtualBmc.Slots.Runtime;

/// <summary>A slot's power state as Redfish reports it (ComputerSystem.PowerState).</summary>
public enum PowerState { On, Off, PoweringOn, PoweringOff }

/// <summary>
/// A hypervisor's run state of a slot's VM. The numeric values are libvirt's <c>virDomainState</c>, so an adapter can
/// cast; the core itself knows nothing about libvirt.
/// </summary>
public enum DomainRunState
{
    NoState = 0,
    Running = 1,
    Blocked = 2,
    Paused = 3,
    ShuttingDown = 4,
    ShutOff = 5,
    Crashed = 6,
    PmSuspended = 7,
}

/// <summary>
/// The hypervisor's lifecycle events that change power (libvirt's <c>virDomainEventType</c> values).
/// </summary>
public enum DomainLifecycleEvent
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Suspended = 3,
    Resumed = 4,
    Stopped = 5,
    Shutdown = 6,
    PmSuspended = 7,
    Crashed = 8,
}

public static class PowerStateMapping
{
    /// <summary>Running, blocked, paused (and PM-suspended: the guest still holds its resources) are On.</summary>
    public static PowerState FromDomainState(DomainRunState state) => state switch
    {
        DomainRunState.Running or DomainRunState.Blocked or DomainRunState.Paused or DomainRunState.PmSuspended => PowerState.On,
        DomainRunState.ShuttingDown => PowerState.PoweringOff,
        DomainRunState.ShutOff or DomainRunState.Crashed => PowerState.Off,
        DomainRunState.NoState => PowerState.PoweringOn,
        _ => PowerState.PoweringOn,
    };

    /// <summary>The power state a lifecycle event leaves the VM in; null when the event says nothing about power.</summary>
    public static PowerState? FromLifecycleEvent(DomainLifecycleEvent lifecycle) => lifecycle switch
    {
        DomainLifecycleEvent.Started or DomainLifecycleEvent.Resumed or DomainLifecycleEvent.Suspended
            or DomainLifecycleEvent.PmSuspended => PowerState.On,
        DomainLifecycleEvent.Shutdown => PowerState.PoweringOff,
        DomainLifecycleEvent.Stopped or DomainLifecycleEvent.Crashed => PowerState.Off,
        _ => null,
    };
}
