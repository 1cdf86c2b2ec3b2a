namespace OpenChami.VirtualBmc.Slots.Runtime;

/// <summary>
/// What the Redfish layer needs from one slot's VM. Implementations serialize the actions of one slot (they never
/// interleave) and run different slots in parallel. Every failure is a <see cref="SlotRuntimeException"/>.
/// </summary>
public interface ISlotRuntime
{
    string SlotName { get; }

    /// <summary>The last known power state, from events and periodic resync. Never calls the hypervisor.</summary>
    PowerState PowerState { get; }

    /// <summary>Raised (on a background thread) when the cached power state changes, the VM reboots or its media tray moves.</summary>
    event EventHandler<SlotEventArgs>? StateChanged;

    Task ResetAsync(ResetType type, CancellationToken cancellationToken = default);

    Task<BootOverride> GetBootOverrideAsync(CancellationToken cancellationToken = default);

    /// <summary>The boot override as last read or written (null when unknown). Never calls the hypervisor.</summary>
    BootOverride? KnownBootOverride { get; }

    /// <summary>Persists the override for the next boot; never restarts the VM.</summary>
    Task SetBootOverrideAsync(BootOverride value, CancellationToken cancellationToken = default);

    /// <summary>The persistent boot order (<see cref="BootOrder.Default"/> when never set); the override still wins for its boots.</summary>
    Task<IReadOnlyList<BootSource>> GetBootOrderAsync(CancellationToken cancellationToken = default);

    /// <summary>The boot order as last read or written (null when unknown). Never calls the hypervisor.</summary>
    IReadOnlyList<BootSource>? KnownBootOrder { get; }

    /// <summary>Persists the order for every later power-on; never restarts the VM. The caller checked it (<see cref="BootOrder.Problem"/>).</summary>
    Task SetBootOrderAsync(IReadOnlyList<BootSource> order, CancellationToken cancellationToken = default);

    /// <summary>The slot's firmware as the given definition of its VM has it.</summary>
    Task<FirmwareView> GetFirmwareAsync(FirmwareDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>Persists firmware settings for the VM's next power-on; never restarts it.</summary>
    Task SetFirmwareSettingsAsync(FirmwareSettings settings, CancellationToken cancellationToken = default);

    /// <summary>A UEFI slot's secure boot: for its next power-on, as its running VM booted, and whether the template pins it.</summary>
    Task<SecureBootState> GetSecureBootAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Persists secure boot for the VM's next power-on (which then starts from a fresh NVRAM of the matching firmware);
    /// never restarts it. NotSupported on a BIOS slot or when the template pins it.
    /// </summary>
    Task SetSecureBootAsync(bool enabled, CancellationToken cancellationToken = default);

    /// <summary>The slot's power-restore policy, kept with its VM (LastState when never set).</summary>
    Task<PowerRestorePolicy> GetPowerRestorePolicyAsync(CancellationToken cancellationToken = default);

    /// <summary>The policy as last read or written (null when unknown). Never calls the hypervisor.</summary>
    PowerRestorePolicy? KnownPowerRestorePolicy { get; }

    /// <summary>Persists the policy with the VM; applied when the service next starts.</summary>
    Task SetPowerRestorePolicyAsync(PowerRestorePolicy policy, CancellationToken cancellationToken = default);

    /// <summary>When an insert or eject reaches the VM: at once, or (libvirt's test driver) at its next start.</summary>
    MediaChange MediaChange { get; }

    /// <summary>The image in the virtual CD drive as recorded for the VM (see <see cref="MediaChange"/>); null when empty.</summary>
    Task<string?> GetInsertedMediaAsync(CancellationToken cancellationToken = default);

    Task InsertMediaAsync(string image, CancellationToken cancellationToken = default);

    Task EjectMediaAsync(CancellationToken cancellationToken = default);
}

/// <summary>All slots of this host.</summary>
public interface IHypervisor
{
    IReadOnlyCollection<ISlotRuntime> Slots { get; }

    /// <summary>The runtime of <paramref name="slotName"/>, or null when the host has no such slot.</summary>
    ISlotRuntime? FindSlot(string slotName);
}

/// <summary>When a change of the virtual CD drive reaches the VM. Either way the VM's persistent definition keeps it.</summary>
public enum MediaChange
{
    /// <summary>The running VM sees the change at once (QEMU: the CD-ROM is changed live and in the definition).</summary>
    Live,

    /// <summary>
    /// The change is recorded in the VM's definition only; a running VM sees it when it next starts (libvirt's test
    /// driver cannot change a running domain's devices). A powered-off VM sees no difference.
    /// </summary>
    NextStart,
}

public enum SlotEventKind { PowerStateChanged, Rebooted, MediaTrayChanged }

public sealed class SlotEventArgs(string slotName, SlotEventKind kind, PowerState powerState) : EventArgs
{
    public string SlotName { get; } = slotName;
    public SlotEventKind Kind { get; } = kind;
    public PowerState PowerState { get; } = powerState;
}
