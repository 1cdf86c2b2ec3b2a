using System.Collections.Concurrent;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>
/// One long-lived connection per URI, opened lazily, reopened with exponential backoff when it dies. libvirt calls
/// block (a destroy on QEMU takes over a second, a hung daemon forever), so every call runs on one of a few dedicated
/// worker threads and the caller waits at most <see cref="CallTimeout"/>; a timed-out call keeps its worker until
/// libvirt returns, and the caller gets <see cref="SlotRuntimeErrorKind.Unavailable"/>.
/// </summary>
internal sealed class LibvirtConnectionManager : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread[] _workers;
    private readonly Lock _gate = new();
    private readonly TimeSpan _minBackoff;
    private readonly TimeSpan _maxBackoff;
    private LibvirtConnection? _connection;
    private TimeSpan _backoff;
    private DateTime _nextAttemptUtc = DateTime.MinValue;
    private volatile bool _disposed;
    private volatile bool _everConnected;

    public LibvirtConnectionManager(string uri, TimeSpan callTimeout, int workers = 4, TimeSpan? minBackoff = null, TimeSpan? maxBackoff = null)
    {
        Uri = uri;
        CallTimeout = callTimeout;
        _minBackoff = minBackoff ?? TimeSpan.FromMilliseconds(250);
        _maxBackoff = maxBackoff ?? TimeSpan.FromSeconds(30);
        _backoff = _minBackoff;
        _workers = new Thread[Math.Max(1, workers)];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"libvirt-worker-{i}" };
            _workers[i].Start();
        }
    }

    public string Uri { get; }

    public TimeSpan CallTimeout { get; }

    /// <summary>
    /// Runs on the worker thread after every (re)connect, before the call that triggered it. A throw fails the
    /// connection (it is closed and retried with backoff).
    /// </summary>
    public Action<LibvirtConnection>? Connected { get; set; }

    /// <summary>Runs when a connection is given up (closed under us, transport dead), before it is disposed.</summary>
    public Action<LibvirtConnection>? Disconnected { get; set; }

    /// <summary>The current connection, if any (tests use it to pull the connection from under the manager).</summary>
    internal LibvirtConnection? Current => Volatile.Read(ref _connection);

    /// <summary>
    /// True when a connection was established before and is now gone, closed or dead (libvirtd restarted or went away).
    /// Cheap (virConnectIsAlive makes no RPC).
    /// </summary>
    public bool ConnectionLost => _everConnected && NeedsConnection;

    /// <summary>
    /// True when there is no live connection: never made (libvirt was down at start) or lost. The hypervisor polls it to
    /// connect — and so reconcile and re-subscribe to events — promptly (the backoff throttles the attempts) rather than
    /// at the next call or periodic resync.
    /// </summary>
    public bool NeedsConnection
    {
        get
        {
            if (_disposed)
            {
                return false;
            }
            var connection = Volatile.Read(ref _connection);
            try
            {
                return connection is null || !connection.IsAlive;
            }
            catch (ObjectDisposedException)
            {
                return true;
            }
        }
    }

    /// <summary>Runs <paramref name="call"/> on a worker with a live connection; see <see cref="Submit{T}"/> for the two tasks.</summary>
    public Task<T> RunAsync<T>(Func<LibvirtConnection, T> call, CancellationToken cancellationToken = default) =>
        Submit(call, out _, cancellationToken);

    /// <summary>
    /// Queues <paramref name="call"/>. The returned task is what the caller waits for (with the timeout);
    /// <paramref name="completion"/> completes only when libvirt has really returned, timed out or not.
    /// </summary>
    public Task<T> Submit<T>(Func<LibvirtConnection, T> call, out Task completion, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        completion = result.Task;
        _work.Add(() =>
        {
            try
            {
                result.SetResult(Execute(call));
            }
#pragma warning disable CA1031 // handed to the caller through the task
            catch (Exception e)
#pragma warning restore CA1031
            {
                result.SetException(e);
            }
        }, CancellationToken.None);
        return WaitAsync(result.Task, cancellationToken);
    }

    private async Task<T> WaitAsync<T>(Task<T> task, CancellationToken cancellationToken)
    {
        try
        {
            return await task.WaitAsync(CallTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable,
                $"libvirt ({Uri}) did not answer within {CallTimeout.TotalSeconds:0.#} s", e);
        }
    }

    private T Execute<T>(Func<LibvirtConnection, T> call)
    {
        // A connection disposed under us fails before reaching libvirt (ObjectDisposedException): reconnect and retry once.
        for (var attempt = 0; ; attempt++)
        {
            var connection = EnsureConnected();
            try
            {
                return call(connection);
            }
            catch (ObjectDisposedException) when (attempt == 0)
            {
                Drop(connection);
            }
            catch (ObjectDisposedException e)
            {
                Drop(connection);
                throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable, $"libvirt connection to {Uri} was closed", e);
            }
            catch (LibvirtException e) when (e.IsConnectionLost)
            {
                // The call may or may not have reached the hypervisor: never retried blindly; the next call reconnects.
                Drop(connection);
                throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable, $"libvirt connection to {Uri} lost: {e.Message}", e);
            }
        }
    }

    private LibvirtConnection EnsureConnected()
    {
        lock (_gate)
        {
            if (_connection is { } current)
            {
                if (current.IsAlive)
                {
                    return current;
                }
                DropLocked(current);
            }
            var now = DateTime.UtcNow;
            if (now < _nextAttemptUtc)
            {
                throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable,
                    $"libvirt ({Uri}) is unreachable; next reconnect attempt in {(_nextAttemptUtc - now).TotalSeconds:0.##} s");
            }
            LibvirtConnection? opened = null;
            try
            {
                opened = LibvirtConnection.Open(Uri);
                Connected?.Invoke(opened);
                _connection = opened;
                _everConnected = true;
                _backoff = _minBackoff;
                _nextAttemptUtc = DateTime.MinValue;
                return opened;
            }
            catch (Exception e) when (e is LibvirtException or SlotRuntimeException or ObjectDisposedException)
            {
                opened?.Dispose();
                _nextAttemptUtc = DateTime.UtcNow + _backoff;
                _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _maxBackoff.Ticks));
                throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable, $"cannot connect to libvirt ({Uri}): {e.Message}", e);
            }
        }
    }

    private void Drop(LibvirtConnection connection)
    {
        lock (_gate)
        {
            DropLocked(connection);
        }
    }

    private void DropLocked(LibvirtConnection connection)
    {
        if (!ReferenceEquals(_connection, connection))
        {
            return;
        }
        _connection = null;
        try
        {
            Disconnected?.Invoke(connection);
        }
        finally
        {
            connection.Dispose();
        }
    }

    private void Work()
    {
        try
        {
            foreach (var item in _work.GetConsumingEnumerable())
            {
                item();
            }
        }
        catch (ObjectDisposedException)
        {
            // disposed while waiting
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _work.CompleteAdding();
        foreach (var worker in _workers)
        {
            worker.Join(TimeSpan.FromSeconds(2));
        }
        lock (_gate)
        {
            if (_connection is { } c)
            {
                DropLocked(c);
            }
        }
        _work.Dispose();
    }
}
