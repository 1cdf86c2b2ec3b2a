namespace OpenChami.VirtualBmc.Slots.Console;

/// <summary>
/// The fan-out of one slot's console output: every attached viewer gets every byte published after it attached
/// (conman's "join"), and the log keeps the latest lines. Adapters publish from their reader; thread-safe.
/// </summary>
public sealed class ConsoleHub(string slotName, TimeProvider time, int logCapacity = ConsoleLog.DefaultCapacity)
{
    private readonly Lock _gate = new();
    private readonly List<ConsoleViewer> _viewers = [];
    private string? _unsupported;

    public string SlotName { get; } = slotName;

    public ConsoleLog Log { get; } = new(time, logCapacity);

    public int ViewerCount
    {
        get
        {
            lock (_gate)
            {
                return _viewers.Count;
            }
        }
    }

    public string? Unsupported => Volatile.Read(ref _unsupported);

    public ConsoleViewer Attach()
    {
        var viewer = new ConsoleViewer(Detach);
        lock (_gate)
        {
            if (_unsupported is { } reason)
            {
                viewer.Close(reason);
                return viewer;
            }
            _viewers.Add(viewer);
        }
        return viewer;
    }

    public void Publish(ReadOnlySpan<byte> output)
    {
        if (output.IsEmpty)
        {
            return;
        }
        Log.Append(output);
        ConsoleViewer[] viewers;
        lock (_gate)
        {
            viewers = [.. _viewers];
        }
        foreach (var viewer in viewers)
        {
            viewer.Enqueue(output);
        }
    }

    /// <summary>This slot will never have a console: current viewers are told why and closed, later ones at once.</summary>
    public void MarkUnsupported(string reason)
    {
        ConsoleViewer[] viewers;
        lock (_gate)
        {
            _unsupported = reason;
            viewers = [.. _viewers];
        }
        foreach (var viewer in viewers)
        {
            viewer.Close(reason);
        }
    }

    /// <summary>The service stops: every viewer is closed with <paramref name="reason"/>.</summary>
    public void CloseAll(string reason) => MarkUnsupported(reason);

    private void Detach(ConsoleViewer viewer)
    {
        lock (_gate)
        {
            _viewers.Remove(viewer);
        }
    }
}
