using System.Net;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.Slots.State;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>A device of the slot with the host function it resolved to (null when it could not be resolved).</summary>
public sealed record BoundDevice(DeviceBinding Binding, PciAddress? HostAddress, string? VendorId, string? DeviceId);

/// <summary>
/// One slot as the Redfish layer serves it: its template, its VM, the devices it resolved to, and a view of its state,
/// whose one owner is the core's <see cref="SlotState"/> (the host check and the libvirt adapter write it).
/// </summary>
/// <param name="machine">
/// The slot's VM whether or not the slot is usable now (a slot whose root disk could not be made has a VM that a
/// reimage may make usable); null when it has none (it failed host validation).
/// </param>
public sealed class SlotContext(Slot slot, ISlotRuntime? machine, SlotState state, IReadOnlyList<BoundDevice> devices)
{
    public Slot Slot { get; } = slot;

    public SlotState State { get; } = state;

    /// <summary>The slot's state now: findings, usable or not, whether its domain is reconciled.</summary>
    public SlotStateSnapshot Health => State.Current;

    /// <summary>The VM when the slot is usable; null otherwise (actions are refused, its Status says why).</summary>
    public ISlotRuntime? Runtime => Health.Usable ? Machine : null;

    /// <summary>The VM even when the slot is not usable: what disk operations power off.</summary>
    public ISlotRuntime? Machine { get; } = machine;

    /// <summary>Bumped whenever the state changes, so cached representations are made again.</summary>
    public int Version => Health.Version;

    public IReadOnlyList<BoundDevice> Devices { get; } = devices;

    /// <summary>Where the slot runs on the host (pinned CPUs, their NUMA node, the host CPU model); set by the composer.</summary>
    public SlotHostPlacement HostPlacement { get; init; } = SlotHostPlacement.Unknown;

    public string Name => Slot.Name;

    /// <summary>
    /// When the slot was last powered on or restarted, as this service saw it (its resets, and libvirt's start and
    /// reboot events after start-up); null until then — a VM already running at start-up was started before we knew.
    /// </summary>
    public DateTimeOffset? LastResetTime => Volatile.Read(ref _lastResetTicks) is var ticks and not 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public void MarkReset(DateTimeOffset at) => Volatile.Write(ref _lastResetTicks, at.UtcTicks);

    private long _lastResetTicks;

    /// <summary>The last known power state (from events and resyncs; kept while libvirt is away).</summary>
    public PowerState PowerState => Machine?.PowerState ?? PowerState.Off;

    /// <summary>The slot's SSH console as advertised; null when not served. Set when the console endpoints start.</summary>
    public SlotConsoleEndpoint? ConsoleEndpoint { get; set; }
}

/// <summary>The slots one listener serves: a slot endpoint serves its slot; the optional host endpoint serves all.</summary>
public sealed record EndpointScope(IReadOnlyList<SlotContext> Slots, bool IsHostEndpoint)
{
    public SlotContext? Find(string id) => Slots.FirstOrDefault(s => s.Name == id);

    /// <summary>The slot a slot endpoint serves; null on the host endpoint.</summary>
    public string? SlotName => IsHostEndpoint ? null : Slots[0].Name;

    /// <summary>Whether a record about <paramref name="slot"/> (null: about no one slot) is this endpoint's to show.</summary>
    public bool Shows(string? slot) => IsHostEndpoint || slot is null || slot == Slots[0].Name;
}

/// <summary>The node as served: configuration, per-slot state, and which scope each listener answers for.</summary>
public sealed class NodeState
{
    private readonly Dictionary<(IPAddress, int), EndpointScope> _scopes = [];

    public NodeState(LoadedSite site, IReadOnlyList<SlotContext> slots, BmcEndpoint? hostEndpoint)
    {
        Site = site;
        Slots = slots;
        _accounts = site.Accounts;
        foreach (var slot in slots)
        {
            _scopes[(slot.Slot.Bmc.Address, slot.Slot.Bmc.Port)] = new EndpointScope([slot], IsHostEndpoint: false);
        }
        if (hostEndpoint is not null)
        {
            _scopes[(hostEndpoint.Address, hostEndpoint.Port)] = new EndpointScope(slots, IsHostEndpoint: true);
        }
    }

    public LoadedSite Site { get; }

    public IReadOnlyList<SlotContext> Slots { get; }

    /// <summary>The accounts in force; replaced whole on a reload (SIGHUP).</summary>
    public IReadOnlyList<Account> Accounts
    {
        get => Volatile.Read(ref _accounts);
        set => Volatile.Write(ref _accounts, value);
    }

    private IReadOnlyList<Account> _accounts = [];

    /// <summary>Slot root disks and seeds (reimage, delete-state); set by the composer.</summary>
    public OpenChami.VirtualBmc.Slots.Images.SlotDiskProvisioner? Disks { get; init; }

    /// <summary>One slot's host check and domain reconcile again (Manager.Reset); set by the composer. Returns a summary.</summary>
    public Func<SlotContext, CancellationToken, Task<string>>? Recheck { get; init; }

    /// <summary>When the service started serving: every BMC's last reset until a Manager.Reset.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Why the node is not ready to serve yet (null when ready): a slot whose domain is not reconciled yet.</summary>
    public string? NotReadyReason() =>
        Slots.FirstOrDefault(s => s.Health.Domain == DomainStatus.Unknown) is { } waiting
            ? $"libvirt at {Site.Host.LibvirtUri} not reached yet (slot {waiting.Name} not reconciled)"
            : null;

    /// <summary>The slots' serial consoles (null without a hypervisor); set by the composer.</summary>
    public OpenChami.VirtualBmc.Slots.Console.ISlotConsoles? Consoles { get; init; }

    public IEnumerable<(IPAddress Address, int Port)> Endpoints => _scopes.Keys;

    /// <summary>The addresses of <see cref="Endpoints"/>, from the configuration alone (serve needs them before the node is
    /// composed): what a generated certificate names, at start and on reload.</summary>
    public static IEnumerable<IPAddress> EndpointAddresses(LoadedSite site) =>
        site.Slots.Select(s => s.Bmc.Address).Concat(site.Host.HostEndpoint is { } host ? [host.Address] : []).Distinct();

    public EndpointScope? ScopeFor(IPAddress? localAddress, int localPort)
    {
        if (localAddress is null)
        {
            return null;
        }
        if (localAddress.IsIPv4MappedToIPv6)
        {
            localAddress = localAddress.MapToIPv4();
        }
        return _scopes.GetValueOrDefault((localAddress, localPort));
    }
}
