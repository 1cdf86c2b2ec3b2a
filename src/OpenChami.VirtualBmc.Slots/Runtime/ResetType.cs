namespace OpenChami.VirtualBmc.Slots.Runtime;

/// <summary>Redfish <c>ResetType</c> values a slot accepts in ComputerSystem.Reset.</summary>
public enum ResetType
{
    On,
    ForceOff,
    GracefulShutdown,
    GracefulRestart,
    ForceRestart,
    PowerCycle,
    Nmi,
    PushPowerButton,
    ForceOn,
}

/// <summary>One primitive hypervisor operation.</summary>
public enum PowerOperation
{
    /// <summary>Power on (libvirt create).</summary>
    Start,
    /// <summary>Hard power off (libvirt destroy).</summary>
    Destroy,
    /// <summary>ACPI power button; returns at once, the guest powers off later.</summary>
    Shutdown,
    /// <summary>ACPI reboot request to the guest.</summary>
    Reboot,
    /// <summary>Hard reset of a running VM.</summary>
    Reset,
    /// <summary>Non-maskable interrupt.</summary>
    InjectNmi,
}

/// <summary>What a reset request does, given whether the VM is running. Pure: the adapter runs the operations in order.</summary>
public static class ResetPlan
{
    /// <summary>
    /// The operations for <paramref name="type"/>; empty when the request is already satisfied (On when on, ForceOff when off).
    /// Throws <see cref="SlotRuntimeException"/> (Conflict) when the request makes no sense in this state (NMI to an off VM).
    /// </summary>
    public static IReadOnlyList<PowerOperation> For(ResetType type, PowerState state)
    {
        var running = state != PowerState.Off;
        return type switch
        {
            ResetType.On or ResetType.ForceOn => running ? [] : [PowerOperation.Start],
            ResetType.ForceOff => running ? [PowerOperation.Destroy] : [],
            ResetType.GracefulShutdown => running ? [PowerOperation.Shutdown] : [],
            ResetType.GracefulRestart => running
                ? [PowerOperation.Reboot]
                : throw new SlotRuntimeException(SlotRuntimeErrorKind.Conflict, "GracefulRestart needs a running system; it is off"),
            ResetType.ForceRestart => running ? [PowerOperation.Reset] : [PowerOperation.Start],
            ResetType.PowerCycle => running ? [PowerOperation.Destroy, PowerOperation.Start] : [PowerOperation.Start],
            ResetType.Nmi => running
                ? [PowerOperation.InjectNmi]
                : throw new SlotRuntimeException(SlotRuntimeErrorKind.Conflict, "Nmi needs a running system; it is off"),
            ResetType.PushPowerButton => running ? [PowerOperation.Shutdown] : [PowerOperation.Start],
            _ => throw new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported, $"reset type {type} is not supported"),
        };
    }
}
