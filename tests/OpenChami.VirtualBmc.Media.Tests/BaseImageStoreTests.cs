using System.Text;
using OpenChami.VirtualBmc.Media.Images;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Media;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Media.Tests;

/// <summary>The base-image cache: verified before use, never partial, one copy per content, in-use files kept.</summary>
public sealed class BaseImageStoreTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-base");

    public void Dispose() => temp.Dispose();

    private string State => Path.Combine(temp.Path, "state");

    private string ImagesDir => Path.Combine(State, "images");

    private static ImageFetchOptions Policy(bool loopback = true) => new()
    {
        CacheDirectory = "ignored",
        AllowLoopback = loopback,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        HeadersTimeout = TimeSpan.FromSeconds(5),
        IdleTimeout = TimeSpan.FromSeconds(5),
        TotalTimeout = TimeSpan.FromSeconds(30),
    };

    private BaseImageStore Store(long cacheMax = 1L << 30) => new(State, Policy(), 1L << 30, cacheMax);

    private string[] CachedFiles() =>
        Directory.GetFiles(ImagesDir).Select(Path.GetFileName).Where(n => n != "index.json").Order().ToArray()!;

    private (CatalogImage Entry, byte[] Bytes) LocalImage(string name, int size, byte seed)
    {
        var bytes = DiskImages.Raw(size, seed);
        var path = Path.Combine(temp.Path, "src", name + ".img");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return (new CatalogImage(name, new Uri(path), DiskImageFormat.Raw, DiskImages.Sha256(bytes), "catalog.yaml:3:3"), bytes);
    }

    [Fact]
    public async Task LocalFile_IsCopiedVerifiedAndShared_ByContent()
    {
        var store = Store();
        var (entry, bytes) = LocalImage("base", 200_000, 1);

        var first = await store.FetchAsync(entry, "slot0");
        var second = await store.FetchAsync(entry, "slot1");

        Assert.Equal(Path.Combine(ImagesDir, entry.Sha256 + ".img"), first.Path);
        Assert.Equal(first, second);
        Assert.Equal(new BaseImage(first.Path, DiskImageFormat.Raw, bytes.Length, entry.Sha256), first);
        Assert.Equal(bytes, File.ReadAllBytes(first.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(first.Path));
        Assert.Equal([entry.Sha256 + ".img"], CachedFiles());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(ImagesDir));

        // Once cached, the source is not needed: the name is the hash of bytes checked when stored.
        File.Delete(entry.Source.LocalPath);
        Assert.Equal(first, await store.FetchAsync(entry, "slot2"));
        Assert.NotNull(store.FindCached(entry));
    }

    [Fact]
    public async Task ChecksumMismatch_IsAnError_AndNothingIsKept()
    {
        var store = Store();
        var (entry, _) = LocalImage("base", 100_000, 2);
        var wrong = entry with { Sha256 = new string('0', 64) };

        var error = await Assert.ThrowsAsync<ImageFetchException>(() => store.FetchAsync(wrong, "slot0"));

        Assert.Equal(ImageFetchErrorKind.ChecksumMismatch, error.Kind);
        Assert.Contains(entry.Sha256, error.Message, StringComparison.Ordinal);
        Assert.Empty(CachedFiles());
        Assert.Null(store.FindCached(wrong));
    }

    [Fact]
    public async Task Http_Download_IsVerified_AndAShortBodyLeavesNoFile()
    {
        var store = Store();
        var bytes = DiskImages.Raw(300_000, 3);
        var sha = DiskImages.Sha256(bytes);
        await using var server = new LoopbackServer(async (request, stream, _) =>
        {
            if (request.Target == "/short.img")
            {
                // Announces the whole image, sends half, closes: a partial download.
                await LoopbackServer.RespondAsync(stream, 200, bytes[..150_000], ("Content-Length", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return;
            }
            await LoopbackServer.RespondAsync(stream, 200, bytes);
        });

        var shortEntry = new CatalogImage("short", server.Url("/short.img"), DiskImageFormat.Raw, sha, "c:1:1");
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => store.FetchAsync(shortEntry, "slot0"));
        Assert.Equal(ImageFetchErrorKind.Unreachable, error.Kind);
        Assert.Empty(CachedFiles());

        var image = await store.FetchAsync(shortEntry with { Source = server.Url("/full.img") }, "slot0");
        Assert.Equal(bytes, File.ReadAllBytes(image.Path));
        Assert.Equal(bytes.Length, image.VirtualSize);

        // The same content under another URL: no request, the cached copy.
        var requests = server.Requests.Count;
        Assert.Equal(image, await store.FetchAsync(shortEntry with { Source = server.Url("/elsewhere.img") }, "slot1"));
        Assert.Equal(requests, server.Requests.Count);
    }

    [Fact]
    public async Task Http_FollowsTheMediaPolicy()
    {
        var store = new BaseImageStore(State, Policy(loopback: false), 1L << 30, 1L << 30);
        var entry = new CatalogImage("x", new Uri("http://127.0.0.1:9/x.img"), DiskImageFormat.Raw, new string('a', 64), "c:1:1");
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => store.FetchAsync(entry, "slot0"));
        Assert.Equal(ImageFetchErrorKind.Refused, error.Kind);
    }

    [Fact]
    public async Task Qcow2Base_ReportsItsHeaderSize_AndOneWithABackingFileIsRefused()
    {
        var store = Store();
        var good = Path.Combine(temp.Path, "good.qcow2");
        Qcow2Overlay.Write(good, "/unused", DiskImageFormat.Raw, 1 << 20);
        // Clear the backing file fields: a stand-alone qcow2 of 1 MiB.
        var bytes = File.ReadAllBytes(good);
        Array.Clear(bytes, 8, 12);
        File.WriteAllBytes(good, bytes);
        var entry = new CatalogImage("q", new Uri(good), DiskImageFormat.Qcow2, DiskImages.Sha256(bytes), "c:1:1");
        Assert.Equal(1 << 20, (await store.FetchAsync(entry, "slot0")).VirtualSize);

        var chained = Path.Combine(temp.Path, "chained.qcow2");
        Qcow2Overlay.Write(chained, "/etc/shadow", DiskImageFormat.Raw, 1 << 20);
        var bad = new CatalogImage("c", new Uri(chained), DiskImageFormat.Qcow2, DiskImages.Sha256(chained), "c:2:1");
        var error = await Assert.ThrowsAsync<ImageFetchException>(() => store.FetchAsync(bad, "slot1"));
        Assert.Equal(ImageFetchErrorKind.BadFormat, error.Kind);
        Assert.Contains("backing file", error.Message, StringComparison.Ordinal);

        var notQcow = new CatalogImage("n", LocalImage("n", 1000, 4).Entry.Source, DiskImageFormat.Qcow2, LocalImage("n", 1000, 4).Entry.Sha256, "c:3:1");
        Assert.Equal(ImageFetchErrorKind.BadFormat, (await Assert.ThrowsAsync<ImageFetchException>(() => store.FetchAsync(notQcow, "slot2"))).Kind);
    }

    [Fact]
    public async Task ABaseAnOverlayUses_SurvivesEvictionAndALostIndex()
    {
        // Cache of 250 kB: two 200 kB images cannot both stay unless something holds them.
        var store = Store(cacheMax: 250_000);
        var (a, _) = LocalImage("a", 200_000, 5);
        var (b, _) = LocalImage("b", 200_000, 6);
        var baseA = await store.FetchAsync(a, "slot0");
        var overlay = Path.Combine(State, "slots", "slot0", "root.qcow2");
        Directory.CreateDirectory(Path.GetDirectoryName(overlay)!);
        new Qcow2Overlay().Create(overlay, baseA);
        store.Release("slot0");

        await store.FetchAsync(b, "slot1");
        Assert.True(File.Exists(baseA.Path), "evicted a base image an overlay is backed by");

        // A new store over the same directory with its index gone still keeps it (the overlay says so).
        // (Release opens the cache: its start-up sweep deletes files that nothing references.)
        File.Delete(Path.Combine(ImagesDir, "index.json"));
        Store(cacheMax: 250_000).Release("nobody");
        Assert.True(File.Exists(baseA.Path));

        // Without the overlay it is an ordinary unreferenced file again.
        File.Delete(overlay);
        File.Delete(Path.Combine(ImagesDir, "index.json"));
        Store(cacheMax: 250_000).Release("nobody");
        Assert.False(File.Exists(baseA.Path));
    }

    [Fact]
    public async Task LeftoverPartFiles_AreRemovedWhenTheCacheOpens_AndNeverUsed()
    {
        Directory.CreateDirectory(ImagesDir);
        var (entry, _) = LocalImage("p", 10_000, 7);
        var part = Path.Combine(ImagesDir, Convert.ToHexStringLower(new byte[16]) + ".part");
        File.WriteAllText(part, "half an image");
        var store = Store();
        Assert.Null(store.FindCached(entry));
        await store.FetchAsync(entry, "slot0");
        // Swept when the cache opens (at first use: looking at a cache never changes it).
        Assert.False(File.Exists(part));
        Assert.Equal([entry.Sha256 + ".img"], CachedFiles());
    }
}

/// <summary>Catalog sources: a local file read through the configuration loader, and the same document over http.</summary>
public sealed class ImageCatalogSourceTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-catalog");

    public void Dispose() => temp.Dispose();

    private const string Sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task LocalCatalog_ResolvesPathsRelativeToItself()
    {
        var path = temp.Write("conf/images.yaml", $"""
            images:
            - name: ubuntu-hpc-base
              path: ../images/base.img
              format: raw
              sha256: {Sha.ToUpperInvariant()}
            - name: rocky
              url: https://images.example.org/rocky.qcow2
              format: qcow2
              sha256: {Sha}
            """);

        var images = await new LocalImageCatalog(path).ListAsync();

        Assert.Equal(2, images.Count);
        Assert.Equal(new Uri(Path.Combine(temp.Path, "images", "base.img")), images[0].Source);
        Assert.Equal(Sha, images[0].Sha256);
        Assert.Equal(DiskImageFormat.Qcow2, images[1].Format);
        Assert.Equal($"{path}:6:3", images[1].Where);
    }

    [Fact]
    public async Task LocalCatalog_Problems_CarryFileLineAndColumn()
    {
        var path = temp.Write("images.yaml", """
            images:
            - name: a
              path: a.img
              url: http://x/a.img
              format: vmdk
              sha256: nope
            """);

        var error = await Assert.ThrowsAsync<ImageCatalogException>(() => new LocalImageCatalog(path).ListAsync());

        var both = await Assert.ThrowsAsync<ImageCatalogException>(() => new LocalImageCatalog(temp.Write("both.yaml", $"images:\n- name: a\n  path: a.img\n  url: http://x/a.img\n  format: raw\n  sha256: {Sha}\n")).ListAsync());
        var neither = await Assert.ThrowsAsync<ImageCatalogException>(() => new LocalImageCatalog(temp.Write("neither.yaml", $"images:\n- name: a\n  format: raw\n  sha256: {Sha}\n")).ListAsync());
        Assert.Contains("both.yaml:2:3: error invalid-value: image 'a' needs exactly one of 'url' (http/https) and 'path'", both.Message, StringComparison.Ordinal);
        Assert.Contains("neither.yaml:2:3: error", neither.Message, StringComparison.Ordinal);
        Assert.Contains($"{path}:5:11: error invalid-value: 'format'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{path}:6:11: error invalid-value: 'sha256'", error.Message, StringComparison.Ordinal);
        Assert.Contains("no such file", (await Assert.ThrowsAsync<ImageCatalogException>(() => new LocalImageCatalog(path + ".missing").ListAsync())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpCatalog_IsFetchedUnderThePolicy_AndMayNotNameHostFiles()
    {
        var good = Encoding.UTF8.GetBytes($$"""{"images":[{"name":"a","url":"http://127.0.0.1/a.img","format":"raw","sha256":"{{Sha}}"}]}""");
        var hostile = Encoding.UTF8.GetBytes($"images:\n- name: a\n  path: /etc/shadow\n  format: raw\n  sha256: {Sha}\n");
        await using var server = new LoopbackServer((request, stream, _) => request.Target switch
        {
            "/good.json" => LoopbackServer.RespondAsync(stream, 200, good),
            "/hostile.yaml" => LoopbackServer.RespondAsync(stream, 200, hostile),
            "/huge.yaml" => LoopbackServer.RespondAsync(stream, 200, new byte[HttpImageCatalog.MaxBytes + 1]),
            _ => LoopbackServer.RespondAsync(stream, 404, []),
        });
        var policy = new ImageFetchOptions { CacheDirectory = "unused", AllowLoopback = true };

        var images = await new HttpImageCatalog(server.Url("/good.json"), policy).ListAsync();
        Assert.Equal("a", Assert.Single(images).Name);

        var hostileError = await Assert.ThrowsAsync<ImageCatalogException>(() => new HttpImageCatalog(server.Url("/hostile.yaml"), policy).ListAsync());
        Assert.Contains($"{server.Url("/hostile.yaml")}:3:3: error invalid-value: a catalog fetched over http may not name local files", hostileError.Message, StringComparison.Ordinal);
        Assert.Contains("more than a catalog may be", (await Assert.ThrowsAsync<ImageCatalogException>(() => new HttpImageCatalog(server.Url("/huge.yaml"), policy).ListAsync())).Message, StringComparison.Ordinal);
        Assert.Contains("404", (await Assert.ThrowsAsync<ImageCatalogException>(() => new HttpImageCatalog(server.Url("/none.yaml"), policy).ListAsync())).Message, StringComparison.Ordinal);
        Assert.Contains("loopback", (await Assert.ThrowsAsync<ImageCatalogException>(() => new HttpImageCatalog(server.Url("/good.json"), policy with { AllowLoopback = false }).ListAsync())).Message, StringComparison.Ordinal);
    }
}
