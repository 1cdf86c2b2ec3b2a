namespace OpenChami.VirtualBmc.Slots.Console;

/// <summary>
/// One attached viewer: a bounded queue of output chunks, drained by its session. A viewer that falls more than
/// <see cref="MaxQueuedBytes"/> behind is closed (its reader is too slow), so one stuck client never holds memory.
/// </summary>
public sealed class ConsoleViewer : IDisposable
{
    public const int MaxQueuedBytes = 1 << 20;

    private readonly Queue<byte[]> _chunks = new();
    private readonly Lock _gate = new();
    private readonly Action<ConsoleViewer> _detach;
    private int _queuedBytes;
    private string? _closedReason;
    private int _disposed;

    internal ConsoleViewer(Action<ConsoleViewer> detach) => _detach = detach;

    /// <summary>Set once the console will send nothing more to this viewer, with the reason in one line.</summary>
    public string? ClosedReason
    {
        get
        {
            lock (_gate)
            {
                return _closedReason;
            }
        }
    }

    /// <summary>Signalled when output arrives or the viewer is closed.</summary>
    public SemaphoreSlim Ready { get; } = new(0);

    /// <summary>The next chunk of output, if one is queued.</summary>
    public bool TryRead(out byte[] chunk)
    {
        lock (_gate)
        {
            if (_chunks.TryDequeue(out chunk!))
            {
                _queuedBytes -= chunk.Length;
                return true;
            }
            return false;
        }
    }

    internal void Enqueue(ReadOnlySpan<byte> output)
    {
        lock (_gate)
        {
            if (_closedReason is not null)
            {
                return;
            }
            if (_queuedBytes + output.Length > MaxQueuedBytes)
            {
                _chunks.Clear();
                _queuedBytes = 0;
                _closedReason = "the console client reads too slowly; detached";
            }
            else
            {
                _chunks.Enqueue(output.ToArray());
                _queuedBytes += output.Length;
            }
        }
        Signal();
    }

    internal void Close(string reason)
    {
        lock (_gate)
        {
            _closedReason ??= reason;
        }
        Signal();
    }

    private void Signal()
    {
        if (Ready.CurrentCount == 0)
        {
            Ready.Release();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _detach(this);
        }
    }
}
