using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>A Redfish session. Only the SHA-256 of its token is kept.</summary>
public sealed class Session(string id, Account account, byte[] tokenHash, DateTimeOffset created, DateTimeOffset lastUsed)
{
    public string Id { get; } = id;
    /// <summary>The account as it was when the session last proved itself (replaced when its owner sets a new password).</summary>
    public Account Account { get => Volatile.Read(ref _account); set => Volatile.Write(ref _account, value); }

    private Account _account = account;

    public byte[] TokenHash { get; } = tokenHash;
    public DateTimeOffset Created { get; } = created;
    public DateTimeOffset LastUsed { get; set; } = lastUsed;
}

/// <summary>
/// Live sessions: 256-bit random tokens, looked up by their SHA-256 and compared in constant time, idle timeout, a cap
/// on how many live at once. Sessions are in memory: a restart logs everyone out, which is what a BMC reset does too.
/// </summary>
public sealed class SessionStore(SecurityConfig config, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Session> _byTokenHash = new(StringComparer.Ordinal);
    private readonly Lock _createLock = new();

    public IEnumerable<Session> Live => _byTokenHash.Values.Where(s => !Expired(s));

    public TimeSpan IdleTimeout => config.SessionTimeout;

    /// <summary>
    /// A new session and its token (shown once), or null when the limit of live sessions is reached. One account holds
    /// at most <see cref="SecurityConfig.MaxSessionsPerAccount"/>: at that cap its own least recently used session
    /// ends, so no account can take every session. Administrators can always log in: at the global cap their login
    /// ends the least recently used session of another account (of a non-Administrator first).
    /// </summary>
    public (Session Session, string Token)? Create(Account account)
    {
        lock (_createLock)
        {
            Sweep();
            var own = _byTokenHash.Values.Where(s => s.Account.UserName == account.UserName).OrderBy(s => s.LastUsed).ToList();
            if (own.Count >= Math.Max(1, config.MaxSessionsPerAccount))
            {
                Remove(own[0]);
            }
            if (_byTokenHash.Count >= config.MaxSessions)
            {
                if (account.Role != AccountRole.Administrator)
                {
                    return null;
                }
                var victim = _byTokenHash.Values.Where(s => s.Account.UserName != account.UserName)
                    .OrderBy(s => s.Account.Role == AccountRole.Administrator).ThenBy(s => s.LastUsed).FirstOrDefault()
                    ?? _byTokenHash.Values.OrderBy(s => s.LastUsed).First();
                Remove(victim);
            }
            // Hex, as DMTF's Protocol Validator expects to measure a token's entropy (256 bits either way).
            var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            var hash = SHA256.HashData(Encoding.ASCII.GetBytes(token));
            var now = time.GetUtcNow();
            var session = new Session(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), account, hash, now, now);
            _byTokenHash[Convert.ToBase64String(hash)] = session;
            return (session, token);
        }
    }

    public Session? Find(string token, Func<string, Account?> currentAccount)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        if (!_byTokenHash.TryGetValue(Convert.ToBase64String(hash), out var session) || !CryptographicOperations.FixedTimeEquals(hash, session.TokenHash))
        {
            return null;
        }
        // A session ends when it idles out or its account is removed, disabled, given another role or a new password
        // (except the session that set the new password: see Rebind).
        var account = currentAccount(session.Account.UserName);
        if (Expired(session) || account is null || !account.Enabled || account.PasswordHash != session.Account.PasswordHash || account.Role != session.Account.Role)
        {
            Remove(session);
            return null;
        }
        session.LastUsed = time.GetUtcNow();
        session.Account = account;
        return session;
    }

    public Session? FindById(string id) => Live.FirstOrDefault(s => s.Id == id);

    /// <summary>The session that changed its own account's password goes on with the new one; the account's others end.</summary>
    public void Rebind(string sessionId, Account account)
    {
        if (FindById(sessionId) is { } session && session.Account.UserName == account.UserName)
        {
            session.Account = account;
        }
    }

    public void Remove(Session session) => _byTokenHash.TryRemove(Convert.ToBase64String(session.TokenHash), out _);

    private bool Expired(Session session) => time.GetUtcNow() - session.LastUsed > config.SessionTimeout;

    private void Sweep()
    {
        foreach (var expired in _byTokenHash.Values.Where(Expired).ToList())
        {
            Remove(expired);
        }
    }
}
