using System.Text.Json.Nodes;

namespace OpenChami.VirtualBmc.Server.Audit;

/// <summary>
/// Requests that failed before anyone was authenticated (no or bad credentials, a wrong password, an unknown path or
/// method, a malformed login), counted in memory and written as one "unauthenticated" summary line per interval with
/// totals and the busiest sources and user names — not one line each, so an anonymous client cannot fill the disk.
/// The tables are bounded: past <see cref="MaxKeys"/> distinct values the rest are counted under "(other)".
/// </summary>
public sealed class UnauthenticatedTally
{
    public const int MaxKeys = 1024;
    private const int Shown = 10;
    private readonly Lock _lock = new();
    private Dictionary<string, long> _kinds = new(StringComparer.Ordinal);
    private Dictionary<string, long> _sources = new(StringComparer.Ordinal);
    private Dictionary<string, long> _users = new(StringComparer.Ordinal);
    private long _window;
    private long _total;
    private DateTimeOffset _since;

    public UnauthenticatedTally(DateTimeOffset now) => _since = now;

    /// <summary>Failures counted since the service started.</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Count(string kind, string source, string? user)
    {
        lock (_lock)
        {
            _window++;
            _total++;
            Add(_kinds, kind);
            Add(_sources, source);
            if (user is not null)
            {
                Add(_users, AuditText.Clean(user.Length > 64 ? user[..64] + "…" : user));
            }
        }
    }

    /// <summary>The summary of the interval that ends now, or null when nothing failed in it; the counts restart.</summary>
    public JsonObject? TakeSummary(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (_window == 0)
            {
                _since = now;
                return null;
            }
            var summary = new JsonObject
            {
                ["from"] = _since.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["failures"] = _window,
                ["totalSinceStart"] = _total,
                ["kinds"] = Top(_kinds, int.MaxValue),
                ["sources"] = Top(_sources, Shown),
                ["distinctSources"] = _sources.Count,
                ["userNames"] = Top(_users, Shown),
                ["distinctUserNames"] = _users.Count,
            };
            (_kinds, _sources, _users, _window, _since) = (new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal), 0, now);
            return summary;
        }
    }

    private static void Add(Dictionary<string, long> table, string key)
    {
        if (!table.ContainsKey(key) && table.Count >= MaxKeys)
        {
            key = "(other)";
        }
        table[key] = table.GetValueOrDefault(key) + 1;
    }

    private static JsonObject Top(Dictionary<string, long> table, int count)
    {
        var top = new JsonObject();
        foreach (var (key, value) in table.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(count))
        {
            top[key] = value;
        }
        return top;
    }
}
