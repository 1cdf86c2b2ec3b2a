using System.Diagnostics;
using System.Net;
using System.Text;
using OpenChami.VirtualBmc.Slots.Media;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Media.Tests;

/// <summary>End to end against raw loopback servers: policy per hop, pinning, limits, cache behaviour, secrets.</summary>
public sealed class FetchTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-media");

    private string CacheDir => Path.Combine(temp.Path, "cache");

    private ImageFetchOptions Options(bool loopback = true) => new()
    {
        CacheDirectory = CacheDir,
        AllowLoopback = loopback,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        HeadersTimeout = TimeSpan.FromSeconds(5),
        IdleTimeout = TimeSpan.FromSeconds(5),
        TotalTimeout = TimeSpan.FromSeconds(60),
    };

    private static Func<ServerRequest, Stream, CancellationToken, Task> Serve(byte[] body, params (string, string)[] headers) =>
        (_, stream, _) => LoopbackServer.RespondAsync(stream, 200, body, headers);

    private string[] CacheFiles() =>
        Directory.Exists(CacheDir) ? Directory.GetFiles(CacheDir).Select(f => Path.GetFileName(f)).Where(n => n != "index.json").Order().ToArray() : [];

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Download_StoresUnderGeneratedName_IgnoringContentDisposition()
    {
        var iso = Images.Iso();
        await using var server = new LoopbackServer(Serve(iso, ("Content-Disposition", "attachment; filename=\"../../etc/x\"")));
        var cache = new ImageCache(Options());

        var image = await cache.FetchAsync(server.Url("/isos/boot.iso"), null, "slot1");

        Assert.Equal(Images.Sha256(iso), image.Sha256);
        Assert.Equal(iso.Length, image.Size);
        Assert.Equal(Path.Combine(Path.GetFullPath(CacheDir), image.Sha256 + ".iso"), image.Path);
        Assert.Equal(iso, await File.ReadAllBytesAsync(image.Path));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(image.Path));
        Assert.False(image.FromCache);
        Assert.Equal([image.Sha256 + ".iso"], CacheFiles());
        Assert.False(File.Exists(Path.Combine(CacheDir, "../../etc/x")));
        Assert.Empty(Directory.GetFiles(temp.Path, "x", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Loopback_IsRefusedUnlessAllowed_AndNothingConnects()
    {
        await using var server = new LoopbackServer(Serve(Images.Iso()));
        var cache = new ImageCache(Options(loopback: false));

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url(), null, "slot1"));

        Assert.Equal(ImageFetchErrorKind.Refused, ex.Kind);
        Assert.Contains("loopback address 127.0.0.1", ex.Message);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://2852039166/latest/meta-data/")]
    [InlineData("http://[::ffff:169.254.169.254]/")]
    [InlineData("http://10.0.0.1/a.iso")]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://127.0.0.1/a.iso")]
    public async Task RedirectToRefusedTarget_IsRefusedAtTheHop(string location)
    {
        await using var server = new LoopbackServer((_, s, _) => LoopbackServer.RedirectAsync(s, location));
        var cache = new ImageCache(Options());

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url(), null, "slot1"));

        Assert.Equal(ImageFetchErrorKind.Refused, ex.Kind);
        Assert.Single(server.Requests);
        Assert.Empty(CacheFiles());
    }

    [Fact]
    public async Task RedirectOutsideTheAllowList_NeverConnects()
    {
        // 127.0.0.1 is listed, 127.0.0.2 (another loopback server, same port) is not; loopback itself is not allowed.
        await using var inside = new LoopbackServer(Serve(Images.Iso()));
        await using var outside = new LoopbackServer(Serve(Images.Iso()), "127.0.0.2", inside.Port);
        await using var redirector = new LoopbackServer((_, s, _) => LoopbackServer.RedirectAsync(s, outside.Url().AbsoluteUri));
        var cache = new ImageCache(Options(loopback: false) with { AllowedHosts = ["127.0.0.1/32"] });

        Assert.NotNull(await cache.FetchAsync(inside.Url(), null, "slot1"));
        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(redirector.Url(), null, "slot2"));

        Assert.Equal(ImageFetchErrorKind.Refused, ex.Kind);
        Assert.Contains("not in the allow-list", ex.Message);
        Assert.Empty(outside.Requests);
    }

    [Fact]
    public async Task RedirectChain_UpToFiveHops_IsFollowed_AndEachHopIsARequest()
    {
        var iso = Images.Iso();
        LoopbackServer? server = null;
        server = new LoopbackServer((r, s, _) => r.Target == "/5"
            ? LoopbackServer.RespondAsync(s, 200, iso)
            : LoopbackServer.RedirectAsync(s, "/" + (r.Target == "/start" ? 1 : int.Parse(r.Target[1..]) + 1), r.Target == "/2" ? 307 : 301));
        await using var _ = server;
        var cache = new ImageCache(Options());

        var image = await cache.FetchAsync(server.Url("/start"), null, "slot1");

        Assert.Equal(Images.Sha256(iso), image.Sha256);
        Assert.Equal(6, server.Requests.Count);
        Assert.Equal(server.Url("/start"), image.SourceUrl);
    }

    [Fact]
    public async Task TooManyRedirects_IsAnError()
    {
        await using var server = new LoopbackServer((r, s, _) => LoopbackServer.RedirectAsync(s, r.Target + "x"));
        var cache = new ImageCache(Options());

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url("/a"), null, "slot1"));

        Assert.Equal(ImageFetchErrorKind.SourceError, ex.Kind);
        Assert.Contains("more than 5 redirects", ex.Message);
        Assert.Equal(6, server.Requests.Count);
    }

    [Fact]
    public async Task RedirectLoop_IsDetected()
    {
        await using var server = new LoopbackServer((r, s, _) => LoopbackServer.RedirectAsync(s, r.Target == "/a" ? "/b" : "/a"));
        var cache = new ImageCache(Options());

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url("/a"), null, "slot1"));

        Assert.Equal(ImageFetchErrorKind.SourceError, ex.Kind);
        Assert.Contains("redirect loop", ex.Message);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task DeclaredLengthAboveTheCap_IsRefusedBeforeTheBody()
    {
        await using var server = new LoopbackServer(Serve(Images.Iso(100_000)));
        var cache = new ImageCache(Options() with { MaxBytes = 50_000 });

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url(), null, "slot1"));

        Assert.Equal(ImageFetchErrorKind.TooLarge, ex.Kind);
        Assert.Empty(CacheFiles());
    }

    [Fact]
    public async Task EndlessBody_IsAbortedAtTheCap_AndLeavesNoFile()
    {
        long sent = 0;
        await using var server = new LoopbackServer(async (_, s, ct) =>
        {
            await s.WriteAsync("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"u8.ToArray(), ct);
            var chunk = Images.Iso(64 * 1024);
            for (var i = 0; i < 100_000 && !ct.IsCancellationRequested; i++)
            {
                await s.WriteAsync(chunk, ct);
                Interlocked.Add(ref sent, chunk.Length);
            }
        });
        var cache = new ImageCache(Options() with { MaxBytes = 1_000_000 });

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url(), null, "slot1"));

        Assert.Equal(ImageFetchErrorKind.TooLarge, ex.Kind);
        Assert.Empty(CacheFiles());
        Assert.True(Interlocked.Read(ref sent) < 64L * 1024 * 1024, $"server wrote {sent} bytes before the client gave up");
    }

    [Fact]
    public async Task ServerThatNeverAnswers_TimesOutOnHeaders()
    {
        var release = new TaskCompletionSource();
        await using var server = new LoopbackServer(async (_, _, ct) => await release.Task.WaitAsync(TimeSpan.FromSeconds(30), ct));
        var cache = new ImageCache(Options() with { HeadersTimeout = TimeSpan.FromMilliseconds(300) });
        var watch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url(), null, "slot1"));

        release.TrySetResult();
        Assert.Equal(ImageFetchErrorKind.Timeout, ex.Kind);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task StalledBody_TimesOutOnIdle_AndLeavesNoFile()
    {
        var release = new TaskCompletionSource();
        await using var server = new LoopbackServer(async (_, s, ct) =>
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 100000\r\n\r\n"), ct);
            await s.WriteAsync(Images.Iso(40_000), ct);
            await s.FlushAsync(ct);
            await release.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        });
        var cache = new ImageCache(Options() with { IdleTimeout = TimeSpan.FromMilliseconds(300) });

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url(), null, "slot1"));

        release.TrySetResult();
        Assert.Equal(ImageFetchErrorKind.Timeout, ex.Kind);
        Assert.Contains("no data for", ex.Message);
        Assert.Empty(CacheFiles());
    }

    [Fact]
    public async Task DribblingServer_HitsTheTotalTimeout()
    {
        await using var server = new LoopbackServer(async (_, s, ct) =>
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 100000\r\n\r\n"), ct);
            for (var i = 0; i < 1000 && !ct.IsCancellationRequested; i++)
            {
                await s.WriteAsync(new byte[10], ct);
                await s.FlushAsync(ct);
                await Task.Delay(20, ct);
            }
        });
        var cache = new ImageCache(Options() with { IdleTimeout = TimeSpan.FromSeconds(2), TotalTimeout = TimeSpan.FromMilliseconds(600) });
        var watch = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url(), null, "slot1"));

        Assert.Equal(ImageFetchErrorKind.Timeout, ex.Kind);
        Assert.Contains("total time limit", ex.Message);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10));
        Assert.Empty(CacheFiles());
    }

    [Fact]
    public async Task NonIso_IsRefusedWhenTheCheckIsOn_AndAcceptedWhenOff()
    {
        var junk = Images.NotIso();
        await using var server = new LoopbackServer(Serve(junk));

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => new ImageCache(Options()).FetchAsync(server.Url(), null, "slot1"));
        Assert.Equal(ImageFetchErrorKind.BadFormat, ex.Kind);
        Assert.Contains("CD001", ex.Message);
        Assert.Empty(CacheFiles());

        var tiny = await Assert.ThrowsAsync<ImageFetchException>(() => new ImageCache(Options()).FetchAsync(server.Url("/short"), null, "slot1"));
        Assert.Equal(ImageFetchErrorKind.BadFormat, tiny.Kind);

        var image = await new ImageCache(Options() with { RequireIso9660 = false }).FetchAsync(server.Url(), null, "slot1");
        Assert.Equal(Images.Sha256(junk), image.Sha256);
    }

    [Fact]
    public async Task ShortIsoBody_IsBadFormat()
    {
        await using var server = new LoopbackServer(Serve(Images.Iso()[..0x8003]));
        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => new ImageCache(Options()).FetchAsync(server.Url(), null, "slot1"));
        Assert.Equal(ImageFetchErrorKind.BadFormat, ex.Kind);
    }

    [Fact]
    public async Task ServerClosingEarly_LeavesNoCachedFile()
    {
        await using var server = new LoopbackServer(async (_, s, ct) =>
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 100000\r\n\r\n"), ct);
            await s.WriteAsync(Images.Iso(100_000).AsMemory(0, 60_000), ct);
        });
        var cache = new ImageCache(Options());

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url(), null, "slot1"));

        Assert.Equal(ImageFetchErrorKind.Unreachable, ex.Kind);
        Assert.Empty(CacheFiles());
        Assert.DoesNotContain(Directory.GetFiles(CacheDir), f => f.EndsWith(".part"));
    }

    [Theory]
    [InlineData(404, ImageFetchErrorKind.NotFound)]
    [InlineData(410, ImageFetchErrorKind.NotFound)]
    [InlineData(401, ImageFetchErrorKind.Unauthorized)]
    [InlineData(403, ImageFetchErrorKind.Unauthorized)]
    [InlineData(500, ImageFetchErrorKind.SourceError)]
    [InlineData(206, ImageFetchErrorKind.SourceError)]
    public async Task SourceStatus_MapsToAKind(int status, ImageFetchErrorKind kind)
    {
        await using var server = new LoopbackServer((_, s, _) => LoopbackServer.RespondAsync(s, status, []));
        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => new ImageCache(Options()).FetchAsync(server.Url(), null, "slot1"));
        Assert.Equal(kind, ex.Kind);
        Assert.Contains(status.ToString(), ex.Message);
    }

    [Fact]
    public async Task NothingListening_IsUnreachable()
    {
        var server = new LoopbackServer(Serve([]));
        var url = server.Url();
        await server.DisposeAsync();
        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => new ImageCache(Options()).FetchAsync(url, null, "slot1"));
        Assert.Equal(ImageFetchErrorKind.Unreachable, ex.Kind);
    }

    [Fact]
    public async Task SameUrlTwice_DownloadsOnce_WithETagRevalidation()
    {
        var iso = Images.Iso();
        var downloads = 0;
        await using var server = new LoopbackServer((r, s, _) =>
        {
            if (r.Header("If-None-Match") == "\"v1\"")
                return LoopbackServer.RespondAsync(s, 304, null, ("ETag", "\"v1\""));
            Interlocked.Increment(ref downloads);
            return LoopbackServer.RespondAsync(s, 200, iso, ("ETag", "\"v1\""));
        });
        var cache = new ImageCache(Options());

        var first = await cache.FetchAsync(server.Url(), null, "slot1");
        var second = await cache.FetchAsync(server.Url(), null, "slot2");

        Assert.Equal(1, downloads);
        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(first.Path, second.Path);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task SameUrlTwice_WithoutETag_ReusesTheFileWhenTheSizeMatches()
    {
        var iso = Images.Iso();
        await using var server = new LoopbackServer(Serve(iso));
        var cache = new ImageCache(Options());

        var first = await cache.FetchAsync(server.Url(), null, "slot1");
        var written = File.GetLastWriteTimeUtc(first.Path);
        var second = await cache.FetchAsync(server.Url(), null, "slot2");

        Assert.True(second.FromCache);
        Assert.Equal(first.Path, second.Path);
        Assert.Equal(written, File.GetLastWriteTimeUtc(second.Path));
    }

    [Fact]
    public async Task ConcurrentFetchesOfOneUrl_DownloadOnce()
    {
        var iso = Images.Iso(512 * 1024);
        var downloads = 0;
        await using var server = new LoopbackServer((r, s, _) =>
        {
            if (r.Header("If-None-Match") == "\"v1\"")
                return LoopbackServer.RespondAsync(s, 304, null, ("ETag", "\"v1\""));
            Interlocked.Increment(ref downloads);
            return LoopbackServer.RespondAsync(s, 200, iso, ("ETag", "\"v1\""));
        });
        var cache = new ImageCache(Options());

        var images = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => cache.FetchAsync(server.Url(), null, $"slot{i}")));

        Assert.Equal(1, downloads);
        Assert.Single(images.Select(i => i.Path).Distinct());
        Assert.Single(CacheFiles());
    }

    [Fact]
    public async Task ChangedContent_IsDownloadedAgain()
    {
        var version = 1;
        await using var server = new LoopbackServer((r, s, _) =>
        {
            var etag = $"\"v{version}\"";
            return r.Header("If-None-Match") == etag
                ? LoopbackServer.RespondAsync(s, 304, null, ("ETag", etag))
                : LoopbackServer.RespondAsync(s, 200, Images.Iso(seed: (byte)version), ("ETag", etag));
        });
        var cache = new ImageCache(Options());

        var first = await cache.FetchAsync(server.Url(), null, "slot1");
        version = 2;
        var second = await cache.FetchAsync(server.Url(), null, "slot2");

        Assert.False(second.FromCache);
        Assert.NotEqual(first.Sha256, second.Sha256);
        Assert.Equal(Images.Sha256(Images.Iso(seed: 2)), second.Sha256);
    }

    [Fact]
    public async Task Credentials_GoOnlyToTheImageServer_AndNeverIntoErrorsResultsOrIndex()
    {
        var iso = Images.Iso();
        await using var other = new LoopbackServer((_, s, _) => LoopbackServer.RespondAsync(s, 404, []));
        await using var server = new LoopbackServer((r, s, _) => r.Target switch
        {
            "/image.iso" => LoopbackServer.RespondAsync(s, 200, iso),
            "/elsewhere" => LoopbackServer.RedirectAsync(s, other.Url("/stolen").AbsoluteUri),
            _ => LoopbackServer.RespondAsync(s, 404, []),
        });
        var credentials = new ImageCredentials("alice", "s3cr3t-pw");
        var cache = new ImageCache(Options() with { AllowCredentialsOverHttp = true });

        var image = await cache.FetchAsync(server.Url(), credentials, "slot1");
        var missing = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url("/missing.iso"), credentials, "slot1"));
        var redirected = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url("/elsewhere"), credentials, "slot1"));

        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cr3t-pw"));
        Assert.Equal(expected, server.Requests.First().Header("Authorization"));
        Assert.Null(Assert.Single(other.Requests).Header("Authorization"));
        Assert.Equal(ImageFetchErrorKind.NotFound, missing.Kind);
        Assert.Equal(ImageFetchErrorKind.NotFound, redirected.Kind);
        var everything = string.Join("\n",
            image.ToString(), image.Path, image.SourceUrl.ToString(), credentials.ToString(),
            missing.ToString(), redirected.ToString(),
            File.ReadAllText(Path.Combine(CacheDir, "index.json")));
        Assert.DoesNotContain("s3cr3t-pw", everything);
        Assert.DoesNotContain("alice", everything);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cr3t-pw")), everything);
    }

    [Fact]
    public async Task Credentials_OverPlainHttp_AreRefusedByDefault()
    {
        await using var server = new LoopbackServer(Serve(Images.Iso()));
        var ex = await Assert.ThrowsAsync<ImageFetchException>(
            () => new ImageCache(Options()).FetchAsync(server.Url(), new ImageCredentials("alice", "pw"), "slot1"));
        Assert.Equal(ImageFetchErrorKind.Refused, ex.Kind);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task HostName_IsResolvedOnce_AndTheConnectionGoesToThePinnedAddress()
    {
        // First answer 127.0.0.1 (allowed), any later answer 127.0.0.2: a rebinding resolver. Both addresses have a
        // server on the same port; every request must land on the first, and the resolver must be asked once.
        var iso = Images.Iso();
        await using var pinned = new LoopbackServer((r, s, _) => r.Target == "/hop"
            ? LoopbackServer.RedirectAsync(s, "/image.iso")
            : LoopbackServer.RespondAsync(s, 200, iso));
        await using var rebound = new LoopbackServer(Serve(Images.NotIso()), "127.0.0.2", pinned.Port);
        var lookups = new List<string>();
        var cache = new ImageCache(Options() with
        {
            Resolver = (host, _) =>
            {
                lock (lookups)
                {
                    lookups.Add(host);
                    return Task.FromResult(new[] { IPAddress.Parse(lookups.Count == 1 ? "127.0.0.1" : "127.0.0.2") });
                }
            },
        });

        var image = await cache.FetchAsync(new Uri($"http://images.test:{pinned.Port}/hop"), null, "slot1");

        Assert.Equal(["images.test"], lookups);
        Assert.Equal(Images.Sha256(iso), image.Sha256);
        Assert.Equal(2, pinned.Requests.Count);
        Assert.All(pinned.Requests, r => Assert.Equal($"images.test:{pinned.Port}", r.Header("Host")));
        Assert.Empty(rebound.Requests);
    }

    [Fact]
    public async Task HostName_ResolvingToAForbiddenAddress_IsRefusedWithoutConnecting()
    {
        await using var server = new LoopbackServer(Serve(Images.Iso()));
        var answers = new Dictionary<string, IPAddress[]>
        {
            ["metadata.test"] = [IPAddress.Parse("169.254.169.254")],
            ["mixed.test"] = [IPAddress.Parse("8.8.8.8"), IPAddress.Loopback],
            ["mapped.test"] = [IPAddress.Parse("::ffff:127.0.0.1")],
        };
        var cache = new ImageCache(Options(loopback: false) with { Resolver = (host, _) => Task.FromResult(answers[host]) });

        foreach (var host in answers.Keys)
        {
            var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(new Uri($"http://{host}:{server.Port}/a.iso"), null, "slot1"));
            Assert.Equal(ImageFetchErrorKind.Refused, ex.Kind);
        }
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task UnresolvableName_IsUnreachable()
    {
        var cache = new ImageCache(Options() with { Resolver = (_, _) => throw new System.Net.Sockets.SocketException(11001) });
        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(new Uri("http://nowhere.test/a.iso"), null, "slot1"));
        Assert.Equal(ImageFetchErrorKind.Unreachable, ex.Kind);
    }

    [Fact]
    public async Task Tls_InvalidCertificate_IsRefused_UnlessVerificationIsTurnedOff()
    {
        await using var server = new LoopbackServer(Serve(Images.Iso()), tls: true);

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => new ImageCache(Options()).FetchAsync(server.Url(), null, "slot1"));
        Assert.Equal(ImageFetchErrorKind.TlsFailure, ex.Kind);
        Assert.Empty(server.Requests);

        var image = await new ImageCache(Options() with { VerifyTls = false }).FetchAsync(server.Url(), null, "slot1");
        Assert.True(File.Exists(image.Path));
    }

    [Fact]
    public async Task HttpsToHttpRedirect_IsRefused()
    {
        await using var plain = new LoopbackServer(Serve(Images.Iso()));
        await using var secure = new LoopbackServer((_, s, _) => LoopbackServer.RedirectAsync(s, plain.Url().AbsoluteUri), tls: true);

        var ex = await Assert.ThrowsAsync<ImageFetchException>(
            () => new ImageCache(Options() with { VerifyTls = false }).FetchAsync(secure.Url(), null, "slot1"));

        Assert.Equal(ImageFetchErrorKind.Refused, ex.Kind);
        Assert.Contains("https to http", ex.Message);
        Assert.Empty(plain.Requests);
    }

    [Fact]
    public async Task Eviction_RemovesLeastRecentlyUsedFilesNobodyHolds()
    {
        await using var server = new LoopbackServer((r, s, _) =>
            LoopbackServer.RespondAsync(s, 200, Images.Iso(100_000, seed: (byte)r.Target[1])));
        var cache = new ImageCache(Options() with { CacheMaxBytes = 250_000 });

        var a = await cache.FetchAsync(server.Url("/a"), null, "slot1");
        var b = await cache.FetchAsync(server.Url("/b"), null, "slot2");
        var c = await cache.FetchAsync(server.Url("/c"), null, "slot3");
        Assert.All(new[] { a, b, c }, i => Assert.True(File.Exists(i.Path)));   // all held: kept even over the bound

        cache.Release("slot1");                                                   // a becomes evictable and the cache is over
        Assert.False(File.Exists(a.Path));
        Assert.True(File.Exists(b.Path));

        cache.Release("slot2");
        var d = await cache.FetchAsync(server.Url("/d"), null, "slot1");
        Assert.False(File.Exists(b.Path));
        Assert.True(File.Exists(c.Path));
        Assert.True(File.Exists(d.Path));
    }

    [Fact]
    public async Task Restart_KeepsTheIndex_DeletesLeftoverPartialFiles_AndLeavesForeignFiles()
    {
        var iso = Images.Iso();
        await using var server = new LoopbackServer(Serve(iso));
        var first = await new ImageCache(Options()).FetchAsync(server.Url(), null, "slot1");
        var part = Path.Combine(CacheDir, new string('a', 32) + ".part");
        var orphan = Path.Combine(CacheDir, new string('b', 64) + ".iso");
        await File.WriteAllTextAsync(part, "half");
        await File.WriteAllTextAsync(orphan, "from an index entry that was lost");
        await File.WriteAllTextAsync(Path.Combine(CacheDir, "not-ours.qcow2"), "foreign");

        var again = await new ImageCache(Options()).FetchAsync(server.Url(), null, "slot1");

        Assert.True(again.FromCache);
        Assert.Equal(first.Path, again.Path);
        Assert.False(File.Exists(part));
        Assert.False(File.Exists(orphan));
        Assert.Equal([first.Sha256 + ".iso", "not-ours.qcow2"], CacheFiles());
    }

    [Fact]
    public async Task CachedCopy_IsNotServedToACallerTheSourceRefuses()
    {
        var iso = Images.Iso();
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:pw"));
        await using var server = new LoopbackServer((r, s, _) => r.Header("Authorization") != expected
            ? LoopbackServer.RespondAsync(s, 401, [])
            : r.Header("If-None-Match") == "\"v1\""
                ? LoopbackServer.RespondAsync(s, 304, null, ("ETag", "\"v1\""))
                : LoopbackServer.RespondAsync(s, 200, iso, ("ETag", "\"v1\"")));
        var cache = new ImageCache(Options() with { AllowCredentialsOverHttp = true });

        await cache.FetchAsync(server.Url(), new ImageCredentials("alice", "pw"), "slot1");
        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url(), null, "slot2"));
        var wrong = await Assert.ThrowsAsync<ImageFetchException>(() => cache.FetchAsync(server.Url(), new ImageCredentials("alice", "guess"), "slot2"));

        Assert.Equal(ImageFetchErrorKind.Unauthorized, ex.Kind);
        Assert.Equal(ImageFetchErrorKind.Unauthorized, wrong.Kind);
    }

    [Fact]
    public async Task SameContentUnderTwoUrls_IsStoredOnce()
    {
        var iso = Images.Iso();
        await using var server = new LoopbackServer(Serve(iso));
        var cache = new ImageCache(Options());

        var a = await cache.FetchAsync(server.Url("/a.iso"), null, "slot1");
        var b = await cache.FetchAsync(server.Url("/b.iso"), null, "slot2");

        Assert.False(b.FromCache);
        Assert.Equal(a.Path, b.Path);
        Assert.Single(CacheFiles());
    }

    [Fact]
    public async Task UserInfoInTheUrl_IsRefused_AndNotEchoed()
    {
        await using var server = new LoopbackServer(Serve(Images.Iso()));
        var url = new Uri($"http://alice:s3cr3t@{server.Authority}/image.iso?token=signed-secret");

        var ex = await Assert.ThrowsAsync<ImageFetchException>(() => new ImageCache(Options()).FetchAsync(url, null, "slot1"));

        Assert.Equal(ImageFetchErrorKind.Refused, ex.Kind);
        Assert.DoesNotContain("s3cr3t", ex.ToString());
        Assert.DoesNotContain("alice", ex.ToString());
        Assert.DoesNotContain("signed-secret", ex.ToString());
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task ReplacedContent_StaysWhileHeld_AcrossARestart_AndGoesWhenReleased()
    {
        var version = 1;
        await using var server = new LoopbackServer((_, s, _) =>
            LoopbackServer.RespondAsync(s, 200, Images.Iso(seed: (byte)version), ("ETag", $"\"v{version}\"")));
        var cache = new ImageCache(Options());
        var old = await cache.FetchAsync(server.Url(), null, "slot1");
        version = 2;
        var current = await cache.FetchAsync(server.Url(), null, "slot2");
        Assert.True(File.Exists(old.Path));                   // slot1 still has the old content inserted

        var restarted = new ImageCache(Options());
        Assert.True(File.Exists(old.Path));
        restarted.Release("slot1");

        Assert.False(File.Exists(old.Path));
        Assert.True(File.Exists(current.Path));
    }

    [Fact]
    public async Task HeldBy_NamesTheFileAndItsSourceWithoutTheQuery_AcrossARestart_UntilReleased()
    {
        await using var server = new LoopbackServer(Serve(Images.Iso()));
        var cache = new ImageCache(Options());
        var image = await cache.FetchAsync(new Uri($"http://{server.Authority}/isos/boot.iso?X-Amz-Signature=signed-secret"), null, "slot1");
        Assert.Null(cache.HeldBy("slot2"));

        var restarted = new ImageCache(Options());
        var held = restarted.HeldBy("slot1");

        Assert.Equal((image.Path, $"http://{server.Authority}/isos/boot.iso"), held);
        restarted.Release("slot1");
        Assert.Null(restarted.HeldBy("slot1"));
    }

    [Fact]
    public async Task Index_HoldsNoQueryStringOrUserData()
    {
        await using var server = new LoopbackServer(Serve(Images.Iso()));
        var cache = new ImageCache(Options());

        var image = await cache.FetchAsync(new Uri($"http://{server.Authority}/image.iso?X-Amz-Signature=signed-secret"), null, "slot1");

        var index = await File.ReadAllTextAsync(Path.Combine(CacheDir, "index.json"));
        Assert.DoesNotContain("signed-secret", index);
        Assert.Contains(image.Sha256, index);
        Assert.Contains("/image.iso", index);
    }
}
