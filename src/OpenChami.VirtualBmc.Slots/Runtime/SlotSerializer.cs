using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace OpenChami.VirtualBmc.Slots.Runtime;

/// <summary>
/// One lock per slot: actions on one slot never interleave, actions on different slots run in parallel.
/// Waiters are served in arrival order (SemaphoreSlim's async waiters queue).
/// <para>
/// Code run through <see cref="RunAsync{T}"/> already holds its slot's turn, so a nested acquire of the same slot in
/// that flow (a reimage powering the slot off through the runtime) passes instead of deadlocking. With a lock
/// directory, each turn also holds an exclusive lock file (<c>&lt;dir&gt;/&lt;slot&gt;.lock</c>, flock), so two
/// processes on one host (the service and an operator's <c>openchami-vbmc slot reimage</c>) cannot interleave either.
/// </para>
/// </summary>
public sealed class SlotSerializer(string? lockDirectory = null)
{
    private static readonly TimeSpan LockFilePoll = TimeSpan.FromMilliseconds(50);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>The slots whose turn the current async flow holds (set only by <see cref="RunAsync{T}"/>).</summary>
    private readonly AsyncLocal<ImmutableHashSet<string>?> _held = new();

    /// <summary>Where the cross-process lock files are; null: this process only.</summary>
    public string? LockDirectory { get; } = lockDirectory;

    /// <summary>
    /// Waits for the slot's turn. Dispose the result to hand the slot to the next action. Throws Unavailable when the
    /// slot stays busy longer than <paramref name="timeout"/>.
    /// </summary>
    public async Task<IDisposable> AcquireAsync(string slot, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (_held.Value?.Contains(slot) == true)
        {
            return Releaser.None;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var gate = _locks.GetOrAdd(slot, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            throw Busy(slot, timeout);
        }
        try
        {
            var file = LockDirectory is null ? null : await LockFileAsync(slot, timeout - System.Diagnostics.Stopwatch.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
            return new Releaser(gate, file);
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>Runs <paramref name="action"/> in the slot's turn; acquiring the same slot again inside it does not wait.</summary>
    public async Task<T> RunAsync<T>(string slot, TimeSpan timeout, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken = default)
    {
        using var turn = await AcquireAsync(slot, timeout, cancellationToken).ConfigureAwait(false);
        var before = _held.Value;
        _held.Value = (before ?? ImmutableHashSet.Create<string>(StringComparer.Ordinal)).Add(slot);
        try
        {
            return await action(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _held.Value = before;
        }
    }

    private async Task<FileStream> LockFileAsync(string slot, TimeSpan remaining, CancellationToken cancellationToken)
    {
        var path = Path.Combine(LockDirectory!, slot + ".lock");
        RefuseOddLockFile(slot, path);
        Directory.CreateDirectory(LockDirectory!);
        RefuseOddLockFile(slot, path);
        var deadline = DateTime.UtcNow + (remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Linux: released by the kernel if this process dies.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(LockFilePoll, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable,
                    $"slot {slot} is busy with an action of another process (lock file {path} held)", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable, $"slot {slot}: lock file {path} cannot be opened: {e.Message}", e);
            }
        }
    }

    /// <summary>A directory, a link or a foreign file where the lock file belongs: the slot cannot act (never a crash).</summary>
    private void RefuseOddLockFile(string slot, string path)
    {
        if (Images.StatePath.RefusalUnder(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(LockDirectory!))!, path, Images.StatePath.Kind.File) is { } refusal)
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable, $"slot {slot}: lock file refused: {refusal}");
        }
    }

    private static SlotRuntimeException Busy(string slot, TimeSpan timeout) =>
        new(SlotRuntimeErrorKind.Unavailable, $"slot {slot} is busy with another action (waited {timeout.TotalSeconds:0.#} s)");

    private sealed class Releaser(SemaphoreSlim? gate, FileStream? file) : IDisposable
    {
        public static readonly Releaser None = new(null, null);

        private int _released;

        public void Dispose()
        {
            if (gate is not null && Interlocked.Exchange(ref _released, 1) == 0)
            {
                file?.Dispose();
                gate.Release();
            }
        }
    }
}
