using System.Net;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>How a slot came out of host validation: usable or not, and every finding, as the Redfish layer shows them.</summary>
public sealed record SlotHealth(bool Usable, IReadOnlyList<SlotFindingView> Findings)
{
    public static readonly SlotHealth Unchecked = new(true, []);
}

public sealed record SlotFindingView(string Code, string Severity, string? Device, string Message);

/// <summary>A device of the slot with the host function it resolved to (null when it could not be resolved).</summary>
public sealed record BoundDevice(DeviceBinding Binding, PciAddress? HostAddress, string? VendorId, string? DeviceId);

/// <summary>Everything the Redfish layer knows of one slot.</summary>
/// <param name="machine">
/// The slot's VM whether or not the slot is usable now (a slot whose root disk could not be made has a VM that a
/// reimage may make usable); null when it has none (it failed host validation).
/// </param>
public sealed class SlotContext(Slot slot, ISlotRuntime? machine, SlotHealth health, IReadOnlyList<BoundDevice> devices)
{
    private SlotHealth _health = health;
    private readonly Lock _healthGate = new();

    public Slot Slot { get; } = slot;

    /// <summary>The VM when the slot is usable; null otherwise (actions are refused, its Status says why).</summary>
    public ISlotRuntime? Runtime => Health.Usable ? Machine : null;

    /// <summary>The VM even when the slot is not usable: what disk operations power off.</summary>
    public ISlotRuntime? Machine { get; } = machine;

    public SlotHealth Health => Volatile.Read(ref _health);

    /// <summary>Bumped whenever <see cref="Health"/> changes, so cached representations are made again.</summary>
    public int Version => Volatile.Read(ref _version);

    private int _version;

    /// <summary>Replaces the findings of the given codes (after a disk operation fixed or changed them).</summary>
    public void UpdateFindings(IReadOnlySet<string> codes, IReadOnlyList<SlotFindingView> add)
    {
        lock (_healthGate)
        {
            var kept = _health.Findings.Where(f => !codes.Contains(f.Code)).Concat(add).ToList();
            Volatile.Write(ref _health, new SlotHealth(kept.All(f => f.Severity != "Error"), kept));
            Interlocked.Increment(ref _version);
        }
    }

    public IReadOnlyList<BoundDevice> Devices { get; } = devices;

    public string Name => Slot.Name;

    public PowerState PowerState => Runtime?.PowerState ?? PowerState.Off;

    /// <summary>The slot's SSH console as advertised; null when not served. Set when the console endpoints start.</summary>
    public SlotConsoleEndpoint? ConsoleEndpoint { get; set; }

    /// <summary>The cache file in the CD drive and the URL it came from (null when none was inserted since start).</summary>
    public (string LocalPath, string Url)? MediaSource { get; set; }
}

/// <summary>The slots one listener serves: a slot endpoint serves its slot; the optional host endpoint serves all.</summary>
public sealed record EndpointScope(IReadOnlyList<SlotContext> Slots, bool IsHostEndpoint)
{
    public SlotContext? Find(string id) => Slots.FirstOrDefault(s => s.Name == id);
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

    /// <summary>The slots' serial consoles (null without a hypervisor); set by the composer.</summary>
    public OpenChami.VirtualBmc.Slots.Console.ISlotConsoles? Consoles { get; init; }

    /// <summary>Why the node is not ready to serve yet (null when ready): set by the composer.</summary>
    public Func<string?> NotReadyReason { get; set; } = () => null;

    public IEnumerable<(IPAddress Address, int Port)> Endpoints => _scopes.Keys;

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
