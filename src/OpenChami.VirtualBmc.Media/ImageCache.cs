using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using OpenChami.VirtualBmc.Slots.Media;

namespace OpenChami.VirtualBmc.Media;

/// <summary>What differs between the caches built on <see cref="ImageCache"/>: virtual media (ISO) and slot base images.</summary>
public sealed record ImageCacheLayout
{
    public static readonly ImageCacheLayout Media = new();

    /// <summary>Suffix of the cached files: "&lt;sha256&gt;&lt;suffix&gt;". Only files so named are ever deleted.</summary>
    public string FileSuffix { get; init; } = ".iso";

    /// <summary>
    /// File names (in the cache directory) that something outside the index uses, asked before every eviction and
    /// orphan sweep: base images that slot overlays are backed by, read from the overlays themselves, so a lost or
    /// stale index can never delete a disk's base.
    /// </summary>
    public Func<IEnumerable<string>>? ExternalHolds { get; init; }
}

/// <summary>
/// The managed image cache and the <see cref="IImageFetcher"/> implementation. Files are named by their SHA-256
/// ("&lt;hex&gt;.iso"), written to a random ".part" file in the cache directory, fsync'ed and renamed, then made
/// read-only. One entry per URL remembers its ETag/size; a later fetch revalidates with the source (conditional GET)
/// so access control stays with the image server. The index holds no credentials. Least-recently-used files that no
/// holder uses are evicted to keep the cache under <see cref="ImageFetchOptions.CacheMaxBytes"/>.
/// </summary>
public sealed class ImageCache : IImageFetcher
{
    private const string IndexFile = "index.json";
    private const string PartSuffix = ".part";
    private const int IsoHeaderLength = 0x8006;
    private const int CopyBufferSize = 1 << 20;
    private static readonly byte[] IsoMagic = "CD001"u8.ToArray();
    private const UnixFileMode ReadOnlyMode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly ImageFetchOptions options;
    private readonly PinnedHttpFetcher fetcher;
    private readonly UrlPolicy policy;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> urlLocks = new(StringComparer.Ordinal);
    private readonly object gate = new();
    private readonly Dictionary<string, CacheEntry> entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> holders = new(StringComparer.Ordinal);
    private readonly ImageCacheLayout layout;

    public ImageCache(ImageFetchOptions options, TimeProvider? time = null, ImageCacheLayout? layout = null)
    {
        this.options = options;
        this.time = time ?? TimeProvider.System;
        this.layout = layout ?? ImageCacheLayout.Media;
        policy = new UrlPolicy(options);
        fetcher = new PinnedHttpFetcher(options, policy);
        Directory.CreateDirectory(options.CacheDirectory);
        Load();
    }

    public UrlPolicy Policy => policy;

    public Task<FetchedImage> FetchAsync(Uri url, ImageCredentials? credentials, string holder, CancellationToken cancellationToken = default) =>
        FetchCoreAsync(url, credentials, holder, expectedSha256: null, cancellationToken);

    /// <summary>
    /// The cached file whose SHA-256 is <paramref name="expectedSha256"/>: taken from the cache when a file of that
    /// content is there (without asking the source: the name is the hash of bytes verified when they were stored),
    /// else fetched from <paramref name="source"/> — an absolute <c>file:</c> path (copied in) or an http(s) URL (under
    /// the download policy) — and kept only when its hash matches (<see cref="ImageFetchErrorKind.ChecksumMismatch"/>
    /// otherwise, nothing stored). Held for <paramref name="holder"/> like <see cref="FetchAsync"/>.
    /// </summary>
    public async Task<FetchedImage> FetchVerifiedAsync(Uri source, string expectedSha256, string holder, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(holder);
        if (expectedSha256.Length != 64 || !expectedSha256.All(char.IsAsciiHexDigitLower))
            throw new ArgumentException("expected a lower-case hex SHA-256", nameof(expectedSha256));
        var key = KeyOf(source);
        lock (gate)
        {
            var fileName = expectedSha256 + layout.FileSuffix;
            if (File.Exists(PathOf(fileName)))
            {
                var known = entries.Values.FirstOrDefault(e => e.FileName == fileName);
                var entry = (known ?? new CacheEntry(key, PinnedHttpFetcher.Describe(source), null, new FileInfo(PathOf(fileName)).Length, expectedSha256, fileName, time.GetUtcNow()))
                    with { LastUsed = time.GetUtcNow() };
                return CommitLocked(entry, holder, source, fromCache: true);
            }
        }
        if (source.IsFile)
        {
            var urlLock = urlLocks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
            await urlLock.WaitAsync(cancellationToken);
            try
            {
                return await ImportFileLockedAsync(source, key, expectedSha256, holder, cancellationToken);
            }
            finally
            {
                urlLock.Release();
            }
        }
        return await FetchCoreAsync(source, null, holder, expectedSha256, cancellationToken);
    }

    private async Task<FetchedImage> FetchCoreAsync(Uri url, ImageCredentials? credentials, string holder, string? expectedSha256, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(holder);
        var target = policy.CheckUrl(url, out var refusal)
            ?? throw new ImageFetchException(ImageFetchErrorKind.Refused, $"{PinnedHttpFetcher.Describe(url)}: {refusal}");
        if (credentials is not null && target.Scheme == "http" && !options.AllowCredentialsOverHttp)
            throw new ImageFetchException(ImageFetchErrorKind.Refused, $"{PinnedHttpFetcher.Describe(url)}: credentials are only sent over https");

        using var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        total.CancelAfter(options.TotalTimeout);
        var key = KeyOf(url);
        var urlLock = urlLocks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await urlLock.WaitAsync(cancellationToken);
        try
        {
            return await FetchLockedAsync(url, key, credentials, holder, expectedSha256, total.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ImageFetchException(ImageFetchErrorKind.Timeout, $"{PinnedHttpFetcher.Describe(url)}: total time limit {options.TotalTimeout} exceeded", ex);
        }
        catch (ImageFetchException ex) when (ex.Kind == ImageFetchErrorKind.Timeout && total.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ImageFetchException(ImageFetchErrorKind.Timeout, $"{PinnedHttpFetcher.Describe(url)}: total time limit {options.TotalTimeout} exceeded", ex);
        }
        finally
        {
            urlLock.Release();
        }
    }

    /// <summary>The index is keyed by a hash of the URL: a signed URL's query never lands on disk.</summary>
    private static string KeyOf(Uri url) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(url.AbsoluteUri)));

    public (string Path, string Source)? HeldBy(string holder)
    {
        lock (gate)
        {
            if (!holders.TryGetValue(holder, out var fileName))
                return null;
            // Identical content under two URLs is one file: the URL fetched last names it.
            var entry = entries.Values.Where(e => e.FileName == fileName).MaxBy(e => e.LastUsed);
            return entry is null ? null : (PathOf(fileName), entry.Source);
        }
    }

    public void Release(string holder)
    {
        lock (gate)
        {
            holders.Remove(holder);
            EvictLocked(0);
            DeleteOrphansLocked();
            SaveLocked();
        }
    }

    private async Task<FetchedImage> FetchLockedAsync(Uri url, string key, ImageCredentials? credentials, string holder, string? expectedSha256, CancellationToken cancellationToken)
    {
        CacheEntry? known;
        lock (gate)
        {
            entries.TryGetValue(key, out known);
            if (known is not null && !File.Exists(PathOf(known.FileName)))
            {
                entries.Remove(key);
                known = null;
            }
        }

        using var response = await fetcher.GetAsync(url, credentials, known?.ETag, cancellationToken);
        if (known is not null && IsCurrent(known, response))
        {
            if (expectedSha256 is not null && known.Sha256 != expectedSha256)
                throw Mismatch(url, expectedSha256, known.Sha256);
            lock (gate)
            {
                if (File.Exists(PathOf(known.FileName)))
                    return CommitLocked(known with { LastUsed = time.GetUtcNow() }, holder, url, fromCache: true);
                entries.Remove(key);
            }
            // Evicted meanwhile: ask again without the validator (no cached copy now, so this cannot recurse twice).
            if (response.NotModified)
                return await FetchLockedAsync(url, key, credentials, holder, expectedSha256, cancellationToken);
        }
        if (response.NotModified)
            throw new ImageFetchException(ImageFetchErrorKind.SourceError, $"{PinnedHttpFetcher.Describe(url)}: 304 without a cached copy");

        var limit = Math.Min(options.MaxBytes, options.CacheMaxBytes);
        if (response.ContentLength > limit)
            throw new ImageFetchException(ImageFetchErrorKind.TooLarge, $"{PinnedHttpFetcher.Describe(url)}: {response.ContentLength} bytes exceeds the limit of {limit}");
        lock (gate)
            EvictLocked(response.ContentLength ?? 0);

        var (part, size, sha) = await DownloadAsync(response, limit, cancellationToken);
        try
        {
            if (expectedSha256 is not null && sha != expectedSha256)
                throw Mismatch(url, expectedSha256, sha);
            lock (gate)
            {
                // Same content already cached (another URL): keep that file. The rename is atomic; the name is ours.
                var fileName = sha + layout.FileSuffix;
                if (!File.Exists(PathOf(fileName)))
                    File.Move(part, PathOf(fileName));
                var entry = new CacheEntry(key, PinnedHttpFetcher.Describe(url), response.ETag, size, sha, fileName, time.GetUtcNow());
                return CommitLocked(entry, holder, url, fromCache: false);
            }
        }
        catch (IOException ex)
        {
            throw new ImageFetchException(ImageFetchErrorKind.LocalFailure, $"{PinnedHttpFetcher.Describe(url)}: storing the image failed: {ex.GetType().Name}", ex);
        }
        finally
        {
            TryDelete(part);
        }
    }

    /// <summary>Copies a local file into the cache, hashing as it goes; kept only complete and with the expected hash.</summary>
    private async Task<FetchedImage> ImportFileLockedAsync(Uri source, string key, string expectedSha256, string holder, CancellationToken cancellationToken)
    {
        var path = source.LocalPath;
        var limit = Math.Min(options.MaxBytes, options.CacheMaxBytes);
        FileStream input;
        try
        {
            input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageFetchException(ImageFetchErrorKind.NotFound, $"{path}: no such file", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ImageFetchException(ImageFetchErrorKind.Unreachable, $"{path}: cannot be read ({ex.Message})", ex);
        }
        string part;
        long size;
        string sha;
        await using (input)
        {
            if (input.Length > limit)
                throw new ImageFetchException(ImageFetchErrorKind.TooLarge, $"{path}: {input.Length} bytes exceeds the limit of {limit}");
            lock (gate)
                EvictLocked(input.Length);
            (part, size, sha) = await CopyToPartAsync(input, path, limit, cancellationToken);
        }
        try
        {
            if (sha != expectedSha256)
                throw Mismatch(source, expectedSha256, sha);
            lock (gate)
            {
                var fileName = sha + layout.FileSuffix;
                if (!File.Exists(PathOf(fileName)))
                    File.Move(part, PathOf(fileName));
                return CommitLocked(new CacheEntry(key, path, null, size, sha, fileName, time.GetUtcNow()), holder, source, fromCache: false);
            }
        }
        catch (IOException ex)
        {
            throw new ImageFetchException(ImageFetchErrorKind.LocalFailure, $"{path}: storing the image failed: {ex.GetType().Name}", ex);
        }
        finally
        {
            TryDelete(part);
        }
    }

    private async Task<(string Part, long Size, string Sha256)> CopyToPartAsync(Stream input, string what, long limit, CancellationToken cancellationToken)
    {
        var part = NewPartPath();
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(part, PartFileOptions()))
            {
                var buffer = new byte[CopyBufferSize];
                int read;
                while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    if (size > limit)
                        throw new ImageFetchException(ImageFetchErrorKind.TooLarge, $"{what}: exceeds the limit of {limit} bytes");
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                file.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(part, ReadOnlyMode);
            return (part, size, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        catch (IOException ex)
        {
            TryDelete(part);
            throw new ImageFetchException(ImageFetchErrorKind.LocalFailure, $"{what}: writing the cache failed: {ex.GetType().Name}", ex);
        }
        catch
        {
            TryDelete(part);
            throw;
        }
    }

    private static ImageFetchException Mismatch(Uri source, string expected, string actual) =>
        new(ImageFetchErrorKind.ChecksumMismatch,
            $"{PinnedHttpFetcher.Describe(source)}: SHA-256 is {actual}, the catalog says {expected}; the file was not kept");

    private string NewPartPath() =>
        Path.Combine(options.CacheDirectory, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + PartSuffix);

    private static FileStreamOptions PartFileOptions()
    {
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return create;
    }

    /// <summary>Records the entry and the holder's use of it in one step, so eviction never sees it unheld.</summary>
    private FetchedImage CommitLocked(CacheEntry entry, string holder, Uri url, bool fromCache)
    {
        entries[entry.Key] = entry;
        holders[holder] = entry.FileName;
        EvictLocked(0);
        DeleteOrphansLocked();
        SaveLocked();
        return ToImage(entry, url, fromCache);
    }

    private static bool IsCurrent(CacheEntry known, PinnedResponse response)
    {
        if (response.NotModified)
            return true;
        if (response.ETag is not null)
            return response.ETag == known.ETag && (response.ContentLength is null || response.ContentLength == known.Size);
        return known.ETag is null && response.ContentLength == known.Size;
    }

    /// <summary>Streams the body into a new ".part" file; returns it complete, fsync'ed and read-only, or deletes it and throws.</summary>
    private async Task<(string Part, long Size, string Sha256)> DownloadAsync(PinnedResponse response, long limit, CancellationToken cancellationToken)
    {
        var url = response.FinalUrl;
        var part = NewPartPath();
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            var header = new byte[IsoHeaderLength];
            await using (var file = new FileStream(part, PartFileOptions()))
            {
                await using var body = await response.Response.Content.ReadAsStreamAsync(cancellationToken);
                var buffer = new byte[CopyBufferSize];
                while (true)
                {
                    var read = await ReadWithIdleTimeoutAsync(body, buffer, url, cancellationToken);
                    if (read == 0)
                        break;
                    if (size < IsoHeaderLength)
                        buffer.AsSpan(0, (int)Math.Min(read, IsoHeaderLength - size)).CopyTo(header.AsSpan((int)size));
                    size += read;
                    if (size > limit)
                        throw new ImageFetchException(ImageFetchErrorKind.TooLarge, $"{PinnedHttpFetcher.Describe(url)}: body exceeds the limit of {limit} bytes");
                    if (options.RequireIso9660 && size >= IsoHeaderLength && size - read < IsoHeaderLength)
                        CheckIso(header, url);
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                if (response.ContentLength is { } expected && expected != size)
                    throw new ImageFetchException(ImageFetchErrorKind.Unreachable, $"{PinnedHttpFetcher.Describe(url)}: body ended after {size} of {expected} bytes");
                if (options.RequireIso9660 && size < IsoHeaderLength)
                    throw new ImageFetchException(ImageFetchErrorKind.BadFormat, $"{PinnedHttpFetcher.Describe(url)}: not an ISO 9660 image ({size} bytes)");
                file.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(part, ReadOnlyMode);
            return (part, size, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        catch (IOException ex) when (ex is not HttpIOException)
        {
            TryDelete(part);
            throw new ImageFetchException(ImageFetchErrorKind.LocalFailure, $"{PinnedHttpFetcher.Describe(url)}: writing the cache failed: {ex.GetType().Name}", ex);
        }
        catch
        {
            TryDelete(part);
            throw;
        }
    }

    private async Task<int> ReadWithIdleTimeoutAsync(Stream body, byte[] buffer, Uri url, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(options.IdleTimeout);
        try
        {
            return await body.ReadAsync(buffer, idle.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ImageFetchException(ImageFetchErrorKind.Timeout, $"{PinnedHttpFetcher.Describe(url)}: no data for {options.IdleTimeout}", ex);
        }
        catch (HttpIOException ex)
        {
            throw new ImageFetchException(ImageFetchErrorKind.Unreachable, $"{PinnedHttpFetcher.Describe(url)}: the body ended early ({ex.HttpRequestError})", ex);
        }
        catch (HttpRequestException ex)
        {
            throw PinnedHttpFetcher.Translate(ex, url);
        }
        catch (IOException ex)
        {
            throw new ImageFetchException(ImageFetchErrorKind.Unreachable, $"{PinnedHttpFetcher.Describe(url)}: the connection failed while reading", ex);
        }
    }

    private static void CheckIso(byte[] header, Uri url)
    {
        if (!header.AsSpan(0x8001, IsoMagic.Length).SequenceEqual(IsoMagic))
            throw new ImageFetchException(ImageFetchErrorKind.BadFormat, $"{PinnedHttpFetcher.Describe(url)}: not an ISO 9660 image (no CD001 signature at offset 0x8001)");
    }

    /// <summary>Evicts least-recently-used files nobody holds until <paramref name="incoming"/> more bytes fit.</summary>
    private void EvictLocked(long incoming)
    {
        var files = entries.Values
            .GroupBy(e => e.FileName, StringComparer.Ordinal)
            .Select(g => (FileName: g.Key, g.First().Size, LastUsed: g.Max(e => e.LastUsed)))
            .OrderBy(f => f.LastUsed)
            .ToList();
        var used = files.Sum(f => f.Size);
        var held = holders.Values.Concat(ExternallyHeld()).ToHashSet(StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (used + incoming <= options.CacheMaxBytes)
                break;
            if (held.Contains(file.FileName))
                continue;
            foreach (var stale in entries.Values.Where(e => e.FileName == file.FileName).ToList())
                entries.Remove(stale.Key);
            TryDelete(PathOf(file.FileName));
            used -= file.Size;
        }
    }

    private FetchedImage ToImage(CacheEntry entry, Uri url, bool fromCache) =>
        new(PathOf(entry.FileName), entry.Size, entry.Sha256, url, fromCache);

    private string PathOf(string fileName) => Path.Combine(Path.GetFullPath(options.CacheDirectory), fileName);

    /// <summary>Reads the index, drops entries whose file is gone, deletes leftover .part files and unknown files.</summary>
    private void Load()
    {
        var indexPath = PathOf(IndexFile);
        if (File.Exists(indexPath))
        {
            try
            {
                var loaded = JsonSerializer.Deserialize(File.ReadAllText(indexPath), CacheIndexJsonContext.Default.CacheIndex);
                if (loaded?.Entries is null || loaded.Holders is null)
                    throw new JsonException("not a cache index (no entries or holders)");
                foreach (var entry in loaded.Entries)
                {
                    // An entry is believed only when it is well formed and its file is there with the recorded size.
                    if (entry is { FileName: not null } && IsHex64(entry.Key) && IsHex64(entry.Sha256) && IsCacheFileName(entry.FileName)
                        && new FileInfo(PathOf(entry.FileName)) is { Exists: true } file && file.Length == entry.Size)
                        entries[entry.Key] = entry;
                    else
                        indexProblems.Add($"index entry {entry?.Key ?? "(null)"} dropped: malformed, or its file is missing or of another size");
                }
                foreach (var (holder, fileName) in loaded.Holders)
                {
                    if (IsCacheFileName(fileName) && File.Exists(PathOf(fileName)))
                        holders[holder] = fileName;
                }
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
            {
                // Kept aside for the operator, not silently replaced; the cache starts empty (files are re-verified on use).
                entries.Clear();
                holders.Clear();
                indexProblems.Add($"{indexPath} is not a valid cache index ({e.Message}); moved to {indexPath}.rejected");
                File.Move(indexPath, indexPath + ".rejected", overwrite: true);
            }
        }
        foreach (var path in Directory.EnumerateFiles(options.CacheDirectory))
        {
            if (IsPartFileName(Path.GetFileName(path)))
                TryDelete(path);
        }
        DeleteOrphansLocked();
    }

    /// <summary>
    /// Deletes cache files that no entry and no holder references (replaced content once ejected, lost entries).
    /// Only names this cache generates: a misconfigured directory never loses foreign files.
    /// </summary>
    private void DeleteOrphansLocked()
    {
        var referenced = entries.Values.Select(e => e.FileName).Concat(holders.Values).Concat(ExternallyHeld()).ToHashSet(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(options.CacheDirectory))
        {
            var name = Path.GetFileName(path);
            if (IsCacheFileName(name) && !referenced.Contains(name))
                TryDelete(path);
        }
    }

    private void SaveLocked()
    {
        var indexPath = PathOf(IndexFile);
        var temp = indexPath + PartSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var index = new CacheIndex(
                entries.Values.OrderBy(e => e.Key, StringComparer.Ordinal).ToList(),
                new SortedDictionary<string, string>(holders, StringComparer.Ordinal));
            JsonSerializer.Serialize(stream, index, CacheIndexJsonContext.Default.CacheIndex);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, indexPath, overwrite: true);
    }

    private IEnumerable<string> ExternallyHeld() => layout.ExternalHolds?.Invoke() ?? [];

    private readonly List<string> indexProblems = [];

    /// <summary>What was wrong with index.json when the cache was opened (empty when nothing).</summary>
    public IReadOnlyList<string> IndexProblems => indexProblems;

    private static bool IsHex64(string? text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigitLower);

    private bool IsCacheFileName(string name) =>
        name.Length == 64 + layout.FileSuffix.Length && name.EndsWith(layout.FileSuffix, StringComparison.Ordinal) && name[..64].All(char.IsAsciiHexDigitLower);

    private static bool IsPartFileName(string name) =>
        name.EndsWith(PartSuffix, StringComparison.Ordinal) && (name == IndexFile + PartSuffix || (name.Length == 37 && name[..32].All(char.IsAsciiHexDigitLower)));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// One cached URL, persisted in index.json: <paramref name="Key"/> is the SHA-256 of the URL, <paramref name="Source"/>
    /// the URL without user information or query (for people). Never credentials.
    /// </summary>
    internal sealed record CacheEntry(string Key, string Source, string? ETag, long Size, string Sha256, string FileName, DateTimeOffset LastUsed);

    /// <summary>index.json: the entries and which holder (slot) uses which file, so in-use files survive a restart.</summary>
    internal sealed record CacheIndex(List<CacheEntry> Entries, SortedDictionary<string, string> Holders);
}

/// <summary>Source-generated (the native build has no reflection-based JSON); the index's format is unchanged.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(ImageCache.CacheIndex))]
internal sealed partial class CacheIndexJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
