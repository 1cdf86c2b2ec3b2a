using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>
/// Verifies user name and password for Basic auth and session login alike.
/// <list type="bullet">
/// <item>Slow hashes are not run per request: a verified credential is remembered for a short time in a bounded
/// cache keyed by an HMAC of (user, password) under a per-process secret — the password itself is never stored —
/// and each entry remembers the hash it was checked against, so a changed password takes effect at once.</item>
/// <item>Lockout: too many failures in the window lock the name for a while; Basic and sessions share the count.</item>
/// <item>Wrong password, unknown user and locked account get the same answer and cost the same: one slow hash.</item>
/// <item>At most <see cref="Environment.ProcessorCount"/> slow hashes run at once, so failed logins cannot starve
/// the request threads; callers beyond the queue bound are told to retry.</item>
/// </list>
/// </summary>
public sealed class Authenticator : IDisposable
{
    public const int MaxCachedCredentials = 4096;
    private const int MaxQueuedVerifications = 64;

    private readonly Func<IReadOnlyList<Account>> _accounts;
    private readonly SecurityConfig _config;
    private readonly TimeProvider _time;
    private readonly byte[] _cacheSecret = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, CachedCredential> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FailureCount> _failures = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _slowHashes = new(Environment.ProcessorCount);
    private readonly ConcurrentDictionary<string, Task<bool>> _inFlight = new(StringComparer.Ordinal);
    private int _waiting;
    private string? _dummyHash;

    public Authenticator(Func<IReadOnlyList<Account>> accounts, SecurityConfig config, TimeProvider time)
    {
        _accounts = accounts;
        _config = config;
        _time = time;
    }

    /// <summary>How many slow hashes ran: every failed attempt costs exactly one, a cached success none.</summary>
    public long SlowHashes => Interlocked.Read(ref _slowHashCount);

    private long _slowHashCount;
    private long _failedLogins;
    private long _lockouts;

    /// <summary>Failed logins so far, and how many of them locked an account.</summary>
    public (long Failed, long Lockouts) FailureCounts => (Interlocked.Read(ref _failedLogins), Interlocked.Read(ref _lockouts));

    public enum Outcome { Accepted, Rejected, Busy }

    public async Task<(Outcome Outcome, Account? Account)> VerifyAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var account = _accounts().FirstOrDefault(a => a.Enabled && string.Equals(a.UserName, userName, StringComparison.Ordinal));
        var locked = IsLocked(userName);
        var key = CacheKey(userName, password);
        if (!locked && account is not null && _cache.TryGetValue(key, out var cached)
            && cached.Expires > _time.GetUtcNow() && cached.PasswordHash == account.PasswordHash)
        {
            return (Outcome.Accepted, account);
        }

        // Concurrent requests with the same credential (a client opening many connections at once, e.g. after a
        // restart) share one slow hash instead of each queueing its own: the cold-cache herd would otherwise fill the
        // queue and get 503s. Each caller still applies the outcome itself (failure count, lockout, audit).
        var flightKey = key + "\0" + (account?.PasswordHash ?? "");
        bool matches;
        while (true)
        {
            if (_inFlight.TryGetValue(flightKey, out var shared))
            {
                matches = await shared.WaitAsync(cancellationToken);
                break;
            }
            if (Interlocked.Increment(ref _waiting) > MaxQueuedVerifications + Environment.ProcessorCount)
            {
                Interlocked.Decrement(ref _waiting);
                return (Outcome.Busy, null);
            }
            var flight = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_inFlight.TryAdd(flightKey, flight.Task))
            {
                Interlocked.Decrement(ref _waiting);
                continue; // someone else started it a moment ago: join theirs
            }
            try
            {
                // Not cancelled by this caller: others may be waiting for the same answer.
                await _slowHashes.WaitAsync(CancellationToken.None);
                try
                {
                    // Always one slow hash, whatever the case, so time tells nothing about the account.
                    flight.SetResult(PasswordHasher.Verify(password, account?.PasswordHash ?? DummyHash()) && account is not null);
                    Interlocked.Increment(ref _slowHashCount);
                }
                finally
                {
                    _slowHashes.Release();
                }
            }
            catch (Exception e)
            {
                flight.TrySetException(e);
                throw;
            }
            finally
            {
                _inFlight.TryRemove(flightKey, out _);
                Interlocked.Decrement(ref _waiting);
            }
            matches = await flight.Task.WaitAsync(cancellationToken);
            break;
        }

        if (matches && !locked)
        {
            _failures.TryRemove(userName, out _);
            Remember(key, account!);
            return (Outcome.Accepted, account);
        }
        var nowLocked = CountFailure(userName);
        Interlocked.Increment(ref _failedLogins);
        if (nowLocked)
        {
            Interlocked.Increment(ref _lockouts);
        }
        return (Outcome.Rejected, null);
    }

    /// <summary>A hash as slow as the real accounts' (their highest iteration count), checked for unknown users.</summary>
    private string DummyHash() => _dummyHash ??= PasswordHasher.Hash(Guid.NewGuid().ToString(),
        _accounts().Select(a => PasswordHasher.IterationsOf(a.PasswordHash)).DefaultIfEmpty(PasswordHasher.DefaultIterations).Max());

    /// <summary>When the name's lock ends, if it is locked now.</summary>
    public DateTimeOffset? LockedUntil(string userName) =>
        _failures.TryGetValue(userName, out var f) && f.LockedUntil is { } until && until > _time.GetUtcNow() ? until : null;

    /// <summary>An administrator's "Locked: false": the name's failures are forgotten.</summary>
    public void Unlock(string userName) => _failures.TryRemove(userName, out _);

    public bool IsLocked(string userName) =>
        _failures.TryGetValue(userName, out var f) && f.LockedUntil is { } until && until > _time.GetUtcNow();

    private bool CountFailure(string userName)
    {
        var now = _time.GetUtcNow();
        var updated = _failures.AddOrUpdate(userName,
            _ => new FailureCount(1, now, null),
            (_, f) => f.LockedUntil is { } until && until > now ? f
                : now - f.WindowStart > _config.LockoutWindow ? new FailureCount(1, now, null)
                : new FailureCount(f.Count + 1, f.WindowStart, null));
        if (updated.LockedUntil is null && updated.Count >= _config.LockoutThreshold)
        {
            updated = _failures[userName] = updated with { LockedUntil = now + _config.LockoutDuration };
        }
        // Bound the table: names that never log in successfully must not grow it without limit.
        if (_failures.Count > 16 * MaxCachedCredentials)
        {
            foreach (var stale in _failures.Where(p => now - p.Value.WindowStart > _config.LockoutWindow && (p.Value.LockedUntil ?? now) <= now).Select(p => p.Key).ToList())
            {
                _failures.TryRemove(stale, out _);
            }
        }
        return updated.LockedUntil is not null;
    }

    private void Remember(string key, Account account)
    {
        if (_config.CredentialCacheLifetime <= TimeSpan.Zero)
        {
            return;
        }
        if (_cache.Count >= MaxCachedCredentials)
        {
            var now = _time.GetUtcNow();
            foreach (var expired in _cache.Where(p => p.Value.Expires <= now).Select(p => p.Key).ToList())
            {
                _cache.TryRemove(expired, out _);
            }
            if (_cache.Count >= MaxCachedCredentials)
            {
                _cache.Clear(); // worst case: everyone pays one slow hash again
            }
        }
        _cache[key] = new CachedCredential(account.PasswordHash, _time.GetUtcNow() + _config.CredentialCacheLifetime);
    }

    private string CacheKey(string userName, string password)
    {
        var input = Encoding.UTF8.GetBytes(userName + "\0" + password);
        return Convert.ToBase64String(HMACSHA256.HashData(_cacheSecret, input));
    }

    public void Dispose() => _slowHashes.Dispose();

    private sealed record CachedCredential(string PasswordHash, DateTimeOffset Expires);

    private sealed record FailureCount(int Count, DateTimeOffset WindowStart, DateTimeOffset? LockedUntil);
}
