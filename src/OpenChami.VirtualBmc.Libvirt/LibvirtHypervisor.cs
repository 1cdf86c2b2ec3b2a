using System.Threading.Channels;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.Slots.State;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>Settings of the libvirt runtime.</summary>
public sealed record LibvirtHypervisorOptions(string Uri, DomainRenderOptions Domain)
{
    /// <summary>How long a caller waits for one libvirt call before it gets Unavailable.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an action waits for the previous action on the same slot.</summary>
    public TimeSpan SlotBusyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Period of the state resync that backs up the event-fed cache.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often a lost connection (libvirtd restarted) is noticed and reconnected without waiting for a call or the
    /// resync: until then no events arrive and the cache can go stale.
    /// </summary>
    public TimeSpan ConnectionCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Worker threads that make the blocking libvirt calls.</summary>
    public int Workers { get; init; } = 4;

    /// <summary>First wait after a failed connect; it doubles per failure up to 30 s.</summary>
    public TimeSpan ReconnectBackoff { get; init; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>
/// The slots of this host on one libvirt connection. Start it once (<see cref="StartAsync"/>): it connects, subscribes
/// to domain events, reconciles every slot (defines missing domains, reports drift, never touches foreign domains) and
/// starts the periodic resync. Dispose it at shutdown.
/// </summary>
public sealed class LibvirtHypervisor : IHypervisor, IAsyncDisposable
{
    private readonly LibvirtHypervisorOptions _options;
    private readonly Func<Slot, SlotPlacement> _placement;
    private readonly LibvirtConnectionManager _manager;
    private readonly SlotSerializer _serializer;
    private readonly Dictionary<string, LibvirtSlotRuntime> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, LibvirtSlotRuntime> _byUuid = [];
    private readonly Channel<DomainEvent> _events = Channel.CreateUnbounded<DomainEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _dispatcher;
    private Task? _resync;
    private IDisposable? _subscription;
    private IReadOnlyList<SlotReconcileResult> _lastReconcile = [];
    private readonly TimeProvider _clock = TimeProvider.System;

    /// <param name="options">URI, domain rendering and timeouts.</param>
    /// <param name="slots">The host's slots (SiteConfiguration.Slots).</param>
    /// <param name="placement">Host CPUs and device PCI addresses of a slot (from the sysfs inventory).</param>
    /// <param name="serializer">
    /// The per-slot serializer, shared with whatever else acts on the slots (the disk provisioner), so a power action
    /// never interleaves with a reimage; a private one when null.
    /// </param>
    /// <param name="states">
    /// The slots' state, owned by the core: every reconcile result and a lost connection are reported there, and no
    /// action touches a domain it does not call ours. New states when null (tests, one-shot commands).
    /// </param>
    public LibvirtHypervisor(LibvirtHypervisorOptions options, IReadOnlyList<Slot> slots, Func<Slot, SlotPlacement> placement, SlotSerializer? serializer = null,
        IReadOnlyDictionary<string, SlotState>? states = null)
    {
        _options = options;
        _serializer = serializer ?? new SlotSerializer();
        _placement = placement;
        foreach (var slot in slots)
        {
            var runtime = new LibvirtSlotRuntime(this, slot, options.Domain.DomainName(slot.Name), states?[slot.Name] ?? new SlotState(slot.Name));
            _byName.Add(slot.Name, runtime);
            _byUuid.Add(slot.Identity.Uuid, runtime);
        }
        _manager = new LibvirtConnectionManager(options.Uri, options.CallTimeout, options.Workers, options.ReconnectBackoff)
        {
            Connected = OnConnected,
            Disconnected = _ =>
            {
                Interlocked.Exchange(ref _subscription, null)?.Dispose();
                MarkUnknown("the connection was lost");
            },
        };
        _dispatcher = Task.Run(DispatchEventsAsync);
    }

    public IReadOnlyCollection<ISlotRuntime> Slots => _byName.Values;

    public ISlotRuntime? FindSlot(string slotName) => _byName.GetValueOrDefault(slotName);

    /// <summary>The result of the latest reconciliation (it runs again after every reconnect).</summary>
    public IReadOnlyList<SlotReconcileResult> LastReconcile => _lastReconcile;

    internal LibvirtConnectionManager Connections => _manager;

    private LibvirtConsoles? _consoles;

    /// <summary>The slots' serial consoles, made on the first call (each then keeps its slot's console stream open).</summary>
    public OpenChami.VirtualBmc.Slots.Console.ISlotConsoles Consoles(int logLines = OpenChami.VirtualBmc.Slots.Console.ConsoleLog.DefaultCapacity)
    {
        lock (_byName)
        {
            return _consoles ??= new LibvirtConsoles(_byName.Values, _manager, logLines);
        }
    }

    internal DomainRenderOptions DomainOptions => _options.Domain;

    internal string Uri => _options.Uri;

    /// <summary>
    /// Loads libvirt (about fifty shared libraries) and starts its event loop on another thread, so a caller with
    /// other work first (serve reads sysfs) does not wait for it later. Never throws: without libvirt the connection
    /// that follows reports why.
    /// </summary>
    public static Task LoadLibraryInBackground() => Task.Run(() =>
    {
        try
        {
            Native.LibvirtLibrary.EnsureInitialized();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or LibvirtException)
        {
            // the connection reports it
        }
    });

    /// <summary>
    /// Starts the periodic resync, connects and reconciles. Throws Unavailable when libvirt cannot be reached (every
    /// slot's state then says so); the background loop keeps trying promptly, with backoff, and reconciles as soon as
    /// libvirt answers.
    /// </summary>
    public async Task<IReadOnlyList<SlotReconcileResult>> StartAsync(CancellationToken cancellationToken = default)
    {
        _resync ??= Task.Run(ResyncLoopAsync, CancellationToken.None);
        try
        {
            return await _manager.RunAsync(_ => _lastReconcile, cancellationToken).ConfigureAwait(false);
        }
        catch (SlotRuntimeException e) when (e.Kind == SlotRuntimeErrorKind.Unavailable)
        {
            MarkUnknown(e.Message);
            throw;
        }
    }

    /// <summary>
    /// Reconciles <paramref name="slots"/> once without defining or changing anything (validate): a missing domain is
    /// <see cref="ReconcileOutcome.Missing"/>. Throws Unavailable when libvirt cannot be reached.
    /// </summary>
    public static IReadOnlyList<SlotReconcileResult> Check(LibvirtHypervisorOptions options, IReadOnlyList<Slot> slots, Func<Slot, SlotPlacement> placement)
    {
        LibvirtConnection connection;
        try
        {
            connection = LibvirtConnection.Open(options.Uri);
        }
        catch (LibvirtException e)
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable, $"cannot connect to libvirt ({options.Uri}): {e.Message}", e);
        }
        using (connection)
        {
            return slots.Select(slot => Reconcile(connection, slot, options.Domain.DomainName(slot.Name), placement, options.Domain, define: false).Result).ToList();
        }
    }

    private void MarkUnknown(string reason)
    {
        foreach (var runtime in _byName.Values)
        {
            runtime.ForgetBootOverride();
            runtime.State.DomainUnknown(_options.Uri, reason);
        }
    }

    /// <summary>Connects if needed (which reconciles), then re-reads every usable slot's state into the cache.</summary>
    public async Task ResyncAsync(CancellationToken cancellationToken = default)
    {
        await _manager.RunAsync(_ => true, cancellationToken).ConfigureAwait(false);
        foreach (var runtime in _byName.Values.Where(r => r.State.Current.DomainActionable))
        {
            var state = await _manager.RunAsync(conn =>
            {
                using var dom = conn.LookupByUuid(runtime.Uuid);
                return dom.GetState().State;
            }, cancellationToken).ConfigureAwait(false);
            runtime.Observe(PowerStateMapping.FromDomainState(state));
            runtime.ForgetBootOverride();
        }
    }

    /// <summary>
    /// Reconciles one slot again, in its turn, as after a reconnect (defines its domain when missing, reports drift, rereads
    /// its power state and boot override): a Manager.Reset of the slot's BMC. Null when the host has no runtime for it.
    /// </summary>
    public async Task<SlotReconcileResult?> ReconcileSlotAsync(string slotName, CancellationToken cancellationToken = default)
    {
        if (!_byName.TryGetValue(slotName, out var runtime))
        {
            return null;
        }
        using var turn = await _serializer.AcquireAsync(slotName, _options.SlotBusyTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            return await _manager.RunAsync(connection =>
            {
                var (result, observed, oncePending) = Reconcile(connection, runtime.Slot, runtime.DomainName, _placement, _options.Domain, define: true);
                runtime.ForgetBootOverride();
                if (observed is { } state)
                {
                    runtime.Observe(state);
                    runtime.OncePending = oncePending;
                }
                runtime.State.Reconciled(result, _clock.GetUtcNow());
                return result;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (SlotRuntimeException e) when (e.Kind == SlotRuntimeErrorKind.Unavailable)
        {
            runtime.State.DomainUnknown(_options.Uri, e.Message);
            throw;
        }
    }

    /// <summary>Runs <paramref name="body"/> for one slot: in the slot's turn, on a libvirt worker, errors mapped to the port's.</summary>
    internal async Task<T> RunSlotAsync<T>(LibvirtSlotRuntime slot, string what, Func<LibvirtConnection, LibvirtDomain, T> body, CancellationToken cancellationToken)
    {
        slot.EnsureActionable();
        var turn = await _serializer.AcquireAsync(slot.SlotName, _options.SlotBusyTimeout, cancellationToken).ConfigureAwait(false);
        Task<T> wait;
        try
        {
            wait = _manager.Submit(conn =>
            {
                slot.EnsureActionable(); // again: connecting may have reconciled and found the domain no longer ours
                using var dom = conn.LookupByUuid(slot.Uuid);
                return body(conn, dom);
            }, out var completion, cancellationToken);
            // The slot is handed on only when libvirt has really returned, even if this caller gave up waiting.
            _ = completion.ContinueWith(_ => turn.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        catch
        {
            turn.Dispose();
            throw;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var result = await wait.ConfigureAwait(false);
            LibvirtMetrics.Record(what, started, null);
            return result;
        }
        catch (LibvirtException e)
        {
            LibvirtMetrics.Record(what, started, e);
            throw Map(e, slot.SlotName, what);
        }
    }

    internal static SlotRuntimeException Map(LibvirtException e, string slot, string what) => e.Code switch
    {
        LibvirtErrorCode.NoSupport or LibvirtErrorCode.OperationUnsupported or LibvirtErrorCode.ConfigUnsupported =>
            new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported, $"slot {slot}: {what} is not supported by this hypervisor ({e.LibvirtMessage})", e),
        LibvirtErrorCode.OperationInvalid =>
            new SlotRuntimeException(SlotRuntimeErrorKind.Conflict, $"slot {slot}: {what} is not possible now ({e.LibvirtMessage})", e),
        LibvirtErrorCode.OperationTimeout =>
            new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable, $"slot {slot}: {what} timed out in libvirt ({e.LibvirtMessage})", e),
        LibvirtErrorCode.NoDomain =>
            new SlotRuntimeException(SlotRuntimeErrorKind.Failed, $"slot {slot}: its VM is no longer defined ({e.LibvirtMessage})", e),
        _ => new SlotRuntimeException(SlotRuntimeErrorKind.Failed, $"slot {slot}: {what} failed: {e.Message}", e),
    };

    private void OnConnected(LibvirtConnection connection)
    {
        Interlocked.Exchange(ref _subscription, connection.SubscribeDomainEvents(new Sink(_events.Writer)))?.Dispose();
        var results = new List<SlotReconcileResult>();
        foreach (var runtime in _byName.Values)
        {
            var (result, observed, oncePending) = Reconcile(connection, runtime.Slot, runtime.DomainName, _placement, _options.Domain, define: true);
            runtime.ForgetBootOverride();
            if (observed is { } state)
            {
                runtime.Observe(state);
                runtime.OncePending = oncePending;
            }
            runtime.State.Reconciled(result, _clock.GetUtcNow());
            results.Add(result);
        }
        _lastReconcile = results;
    }

    /// <summary>
    /// Finds the slot's domain and compares it with the template: defines it when missing (if <paramref name="define"/>),
    /// reports drift, never touches a foreign domain. Returns the outcome, the domain's power state when it is ours, and
    /// whether a Once boot override is pending.
    /// </summary>
    private static (SlotReconcileResult Result, PowerState? Power, bool OncePending) Reconcile(LibvirtConnection connection, Slot slot, string name,
        Func<Slot, SlotPlacement> placementOf, DomainRenderOptions options, bool define)
    {
        (SlotReconcileResult, PowerState?, bool) Result(ReconcileOutcome outcome, IReadOnlyList<DriftItem>? drift = null, string? message = null,
            PowerState? power = null, bool oncePending = false) =>
            (new SlotReconcileResult(slot.Name, name, outcome, drift ?? [], message), power, oncePending);
        try
        {
            var placement = placementOf(slot);
            var expected = DomainXml.Render(slot, placement, options);
            var hash = DomainXml.TemplateHash(slot, placement, options);
            using var byName = connection.TryLookupByName(name);
            using var byUuid = connection.TryLookupByUuid(slot.Identity.Uuid);
            if (byName is null && byUuid is null)
            {
                if (!define)
                {
                    return Result(ReconcileOutcome.Missing);
                }
                using var defined = connection.Define(expected.ToString());
                return Result(ReconcileOutcome.Defined, power: PowerStateMapping.FromDomainState(defined.GetState().State));
            }
            if (byName is null || byUuid is null || byName.Uuid != byUuid.Uuid)
            {
                return Result(ReconcileOutcome.Foreign, message: byName is null
                    ? $"UUID {slot.Identity.Uuid} belongs to domain '{byUuid!.Name}', not '{name}'; left untouched"
                    : $"domain '{name}' has UUID {byName.Uuid}, not the slot's {slot.Identity.Uuid}; left untouched");
            }
            var metadata = DomainXml.ParseMetadata(byName.GetMetadata(DomainXml.MetadataNamespace));
            if (metadata is null)
            {
                return Result(ReconcileOutcome.Foreign, message: $"domain '{name}' has no {DomainXml.MetadataNamespace} metadata: not ours, left untouched");
            }
            if (metadata.SlotName != slot.Name || metadata.HostId != options.HostId)
            {
                return Result(ReconcileOutcome.Foreign,
                    message: $"domain '{name}' belongs to slot '{metadata.SlotName}' of host '{metadata.HostId}'; left untouched");
            }
            var persistent = XDocument.Parse(byName.GetXmlDesc(inactive: true));
            var drift = DomainDrift.Compare(expected, persistent).ToList();
            if (metadata.TemplateHash != hash)
            {
                drift.Add(new DriftItem("template hash", hash, metadata.TemplateHash));
            }
            if (define && drift.Count == 0 && (DomainXml.ApplySerialLog(persistent, expected) | DomainXml.ApplyNvram(persistent, expected)))
            {
                // The host's serial console log (libvirt.serialLogDirectory) or NVRAM place changed: not drift, applied at the next start.
                using var _ = connection.Define(persistent.ToString());
            }
            var power = PowerStateMapping.FromDomainState(byName.GetState().State);
            var once = metadata.BootOverride?.Enabled == BootOverrideEnabled.Once;
            return drift.Count == 0
                ? Result(ReconcileOutcome.InSync, power: power, oncePending: once)
                : Result(ReconcileOutcome.Drifted, drift, "left as it is; redefine the slot to apply the template", power, once);
        }
        catch (Exception e) when (e is LibvirtException or ArgumentException or FormatException or System.Xml.XmlException)
        {
            return Result(ReconcileOutcome.Failed, message: e.Message);
        }
    }

    private async Task DispatchEventsAsync()
    {
        await foreach (var e in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (!_byUuid.TryGetValue(e.Uuid, out var runtime) || !runtime.State.Current.DomainActionable || runtime.DomainName != e.DomainName)
            {
                continue;
            }
            switch (e.Kind)
            {
                case SlotEventKind.PowerStateChanged when PowerStateMapping.FromLifecycleEvent(e.Lifecycle) is { } state:
                    runtime.Observe(state);
                    // Only a start after the Once override was set uses it: the Started event of the run that was already
                    // going when it was set can arrive late, and must not revert it.
                    if (e.Lifecycle == DomainLifecycleEvent.Started && runtime.OncePending && e.RunId != runtime.OnceSetDuringRun)
                    {
                        _ = runtime.RevertOnceOverrideQuietlyAsync(_stopping.Token);
                    }
                    break;
                case SlotEventKind.PowerStateChanged when e.Lifecycle is DomainLifecycleEvent.Defined or DomainLifecycleEvent.Undefined:
                    runtime.ForgetBootOverride(); // redefined (by us or outside): the next read takes the metadata again
                    break;
                case SlotEventKind.Rebooted or SlotEventKind.MediaTrayChanged:
                    runtime.Raise(e.Kind);
                    break;
            }
        }
    }

    /// <summary>
    /// Resyncs every ResyncInterval, and at once (every ConnectionCheckInterval, throttled by the manager's backoff) when
    /// an established connection is lost: a libvirtd restart kills the event subscription, so the cache would otherwise
    /// miss every change until the next call or the next periodic resync.
    /// </summary>
    private async Task ResyncLoopAsync()
    {
        var tick = _options.ConnectionCheckInterval < _options.ResyncInterval ? _options.ConnectionCheckInterval : _options.ResyncInterval;
        using var timer = new PeriodicTimer(tick);
        var sinceResync = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                var lost = _manager.NeedsConnection;
                if (!lost && sinceResync.Elapsed < _options.ResyncInterval)
                {
                    continue;
                }
                try
                {
                    await ResyncAsync(_stopping.Token).ConfigureAwait(false);
                    sinceResync.Restart();
                }
                catch (Exception e) when (e is SlotRuntimeException or LibvirtException)
                {
                    // libvirt away: the next tick (or the next action) reconnects.
                    if (!lost)
                    {
                        sinceResync.Restart();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _consoles?.Dispose();
        if (_resync is not null)
        {
            await _resync.ConfigureAwait(false);
        }
        _manager.Dispose();
        _events.Writer.TryComplete();
        await _dispatcher.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private readonly record struct DomainEvent(SlotEventKind Kind, string DomainName, Guid Uuid, DomainLifecycleEvent Lifecycle, uint RunId = uint.MaxValue);

    /// <summary>Runs on libvirt's event-loop thread: only enqueues.</summary>
    private sealed class Sink(ChannelWriter<DomainEvent> writer) : IDomainEventSink
    {
        public void OnLifecycle(string domainName, Guid uuid, uint runId, DomainLifecycleEvent lifecycle, int detail) =>
            writer.TryWrite(new DomainEvent(SlotEventKind.PowerStateChanged, domainName, uuid, lifecycle, runId));

        public void OnReboot(string domainName, Guid uuid) =>
            writer.TryWrite(new DomainEvent(SlotEventKind.Rebooted, domainName, uuid, default));

        public void OnTrayChange(string domainName, Guid uuid, string deviceAlias, bool opened) =>
            writer.TryWrite(new DomainEvent(SlotEventKind.MediaTrayChanged, domainName, uuid, default));
    }
}
