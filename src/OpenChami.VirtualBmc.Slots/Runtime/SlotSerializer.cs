using System.Collections.Concurrent;

namespace OpenChami.VirtualBmc.Slots.Runtime;

/// <summary>
/// One lock per slot: actions on one slot never interleave, actions on different slots run in parallel.
/// Waiters are served in arrival order (SemaphoreSlim's async waiters queue).
/// </summary>
public sealed class SlotSerializer
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>
    /// Waits for the slot's turn. Dispose the result to hand the slot to the next action. Throws Unavailable when the
    /// slot stays busy longer than <paramref name="timeout"/>.
    /// </summary>
    public async Task<IDisposable> AcquireAsync(string slot, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var gate = _locks.GetOrAdd(slot, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable, $"slot {slot} is busy with another action (waited {timeout.TotalSeconds:0.#} s)");
        }
        return new Releaser(gate);
    }

    /// <summary>Runs <paramref name="action"/> in the slot's turn.</summary>
    public async Task<T> RunAsync<T>(string slot, TimeSpan timeout, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken = default)
    {
        using var turn = await AcquireAsync(slot, timeout, cancellationToken).ConfigureAwait(false);
        return await action(cancellationToken).ConfigureAwait(false);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
