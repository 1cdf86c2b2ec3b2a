using OpenChami.VirtualBmc.Slots.Console;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>
/// A slot's serial console on libvirt: keeps the console stream open while the VM runs, reopening it when the VM
/// starts again (power cycle) or the connection comes back (libvirtd restart). A driver without consoles (the test
/// driver) is found out at the first attempt, whatever the power state, and reported to every viewer.
/// </summary>
internal sealed class LibvirtSlotConsole : ISlotConsole, IDisposable
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    private readonly LibvirtSlotRuntime _runtime;
    private readonly LibvirtConnectionManager _manager;
    private readonly ConsoleHub _hub;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _supervisor;
    private ConsoleStream? _stream;

    public LibvirtSlotConsole(LibvirtSlotRuntime runtime, LibvirtConnectionManager manager, int logLines)
    {
        _runtime = runtime;
        _manager = manager;
        _hub = new ConsoleHub(runtime.SlotName, TimeProvider.System, logLines);
        _runtime.StateChanged += OnStateChanged;
        _supervisor = Task.Run(SuperviseAsync);
    }

    public string SlotName => _runtime.SlotName;

    public string? Unsupported => _hub.Unsupported;

    public ConsoleLog Log => _hub.Log;

    public ConsoleViewer Attach() => _hub.Attach();

    public bool TrySend(ReadOnlySpan<byte> input) => Volatile.Read(ref _stream) is { IsClosed: false } stream && stream.TrySend(input);

    /// <summary>True while a console stream is open (the VM runs and libvirt is reachable).</summary>
    internal bool Connected => Volatile.Read(ref _stream) is { IsClosed: false };

    private void OnStateChanged(object? sender, SlotEventArgs e) => Wake();

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task SuperviseAsync()
    {
        var first = true;
        while (!_stopping.IsCancellationRequested)
        {
            var stream = Volatile.Read(ref _stream);
            if (stream is { IsClosed: false } && !IsAlive(stream.Connection))
            {
                // libvirtd went away (and the manager may already be on a new connection): this stream is dead even
                // if no event said so.
                stream.Close();
            }
            if ((stream is null || stream.IsClosed) && _runtime.State.Current.DomainActionable && (first || _runtime.PowerState != PowerState.Off))
            {
                try
                {
                    var opened = await _manager.RunAsync(conn => ConsoleStream.OpenFor(conn, _runtime.Uuid, _hub, Wake), _stopping.Token).ConfigureAwait(false);
                    Volatile.Write(ref _stream, opened);
                    first = false;
                }
                catch (LibvirtException e) when (e.Code is LibvirtErrorCode.NoSupport)
                {
                    _hub.MarkUnsupported($"{SlotName}: this hypervisor gives no serial console ({e.LibvirtMessage}); nothing to show.");
                    return;
                }
                catch (Exception e) when (e is LibvirtException or SlotRuntimeException)
                {
                    first = false; // not running yet, no console device, libvirt unreachable: try again later
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            try
            {
                await _wake.WaitAsync(RetryInterval, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static bool IsAlive(LibvirtConnection connection)
    {
        try
        {
            return connection.IsAlive;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _runtime.StateChanged -= OnStateChanged;
        _stopping.Cancel();
        try
        {
            _supervisor.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
        Volatile.Read(ref _stream)?.Close();
        _hub.CloseAll($"{SlotName}: the service is stopping.");
        _stopping.Dispose();
    }
}

/// <summary>The consoles of the hypervisor's slots, made on first use.</summary>
internal sealed class LibvirtConsoles(IEnumerable<LibvirtSlotRuntime> runtimes, LibvirtConnectionManager manager, int logLines) : ISlotConsoles, IDisposable
{
    private readonly Dictionary<string, LibvirtSlotConsole> _consoles = runtimes.ToDictionary(r => r.SlotName, r => new LibvirtSlotConsole(r, manager, logLines), StringComparer.Ordinal);

    public ISlotConsole? FindConsole(string slotName) => _consoles.GetValueOrDefault(slotName);

    public void Dispose()
    {
        foreach (var console in _consoles.Values)
        {
            console.Dispose();
        }
    }
}
