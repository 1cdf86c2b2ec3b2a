using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

public sealed class SessionStoreTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly Account Reader = new("reader", AccountRole.ReadOnly, "pbkdf2-sha256$10000$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=", true, SourceLocation.StartOf("x"));

    private static SessionStore Store(ManualTime time, int max = 64) =>
        new(SecurityConfig.Defaults("audit.jsonl") with { MaxSessions = max, SessionTimeout = TimeSpan.FromMinutes(30) }, time);

    [Fact]
    public void IdleSession_ExpiresAfterTheTimeout_AndUseKeepsItAlive()
    {
        var time = new ManualTime();
        var store = Store(time);
        var (_, token) = store.Create(Reader)!.Value;

        time.Now += TimeSpan.FromMinutes(29);
        Assert.NotNull(store.Find(token, _ => Reader));
        time.Now += TimeSpan.FromMinutes(29);
        Assert.NotNull(store.Find(token, _ => Reader)); // used 29 min ago: still alive
        time.Now += TimeSpan.FromMinutes(31);
        Assert.Null(store.Find(token, _ => Reader));
    }

    [Fact]
    public void SessionCap_RefusesTheNextLogin_UntilOneEnds()
    {
        var store = Store(new ManualTime(), max: 3);
        var sessions = Enumerable.Range(0, 3).Select(_ => store.Create(Reader)!.Value.Session).ToList();
        Assert.Null(store.Create(Reader));
        store.Remove(sessions[0]);
        Assert.NotNull(store.Create(Reader));
    }

    [Fact]
    public void Tokens_Are256BitAndUnique()
    {
        var store = Store(new ManualTime(), max: 20_000);
        var tokens = Enumerable.Range(0, 10_000).Select(_ => store.Create(Reader)!.Value.Token).ToList();
        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.All(tokens.Take(10), t => Assert.Equal(32, Convert.FromHexString(t).Length));
    }

    [Fact]
    public void ChangedPasswordOrDisabledAccount_EndsTheSession()
    {
        var store = Store(new ManualTime());
        var (_, first) = store.Create(Reader)!.Value;
        var (_, second) = store.Create(Reader)!.Value;
        Assert.Null(store.Find(first, _ => Reader with { PasswordHash = Reader.PasswordHash + "x" }));
        Assert.Null(store.Find(second, _ => Reader with { Enabled = false }));
    }
}
