namespace OpenChami.VirtualBmc.Slots.Images;

/// <summary>A complete, verified, read-only base image in the service's cache: what a root overlay is backed by.</summary>
/// <param name="Path">Absolute path in the cache; named by content (SHA-256), so one copy serves every slot.</param>
/// <param name="Format">The format the catalog gives; the overlay records it as its backing format.</param>
/// <param name="VirtualSize">Bytes the guest sees: the file length of a raw image, the header's size of a qcow2 one.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file, checked against the catalog before first use.</param>
public sealed record BaseImage(string Path, DiskImageFormat Format, long VirtualSize, string Sha256);

/// <summary>
/// The base-image cache. Fetches a catalog entry's bytes (local file or http(s), the latter under the virtual-media
/// download policy), verifies the SHA-256 before the file is ever used, never exposes a partial file, and keeps one
/// copy per content. Files an overlay uses are never evicted. Failures are <see cref="Media.ImageFetchException"/>.
/// </summary>
public interface IBaseImageStore
{
    /// <summary>The verified cached copy of <paramref name="image"/>, fetched when not cached yet; marked as used by <paramref name="holder"/>.</summary>
    Task<BaseImage> FetchAsync(CatalogImage image, string holder, CancellationToken cancellationToken = default);

    /// <summary>The cached copy when there is one, without fetching or hashing anything (null otherwise).</summary>
    BaseImage? FindCached(CatalogImage image);

    /// <summary>The holder (a slot) no longer needs its base image pinned (its root disk was deleted).</summary>
    void Release(string holder);

    /// <summary>
    /// Whether the cached base image at <paramref name="path"/> still has the bytes it was verified with (size and
    /// SHA-256, checked again at start); a changed file is removed so it is fetched again. True for files not in the cache.
    /// </summary>
    bool VerifyCached(string path) => true;
}

/// <summary>What a slot's root overlay says about itself (its qcow2 header).</summary>
/// <param name="BackingFile">Absolute path of the base image the overlay is backed by.</param>
/// <param name="BackingFormat">The backing format recorded in the overlay, when it records one.</param>
/// <param name="VirtualSize">Bytes the guest sees.</param>
public sealed record OverlayInfo(string BackingFile, DiskImageFormat? BackingFormat, long VirtualSize);

/// <summary>Writes and reads copy-on-write overlays (qcow2) on a base image.</summary>
public interface IOverlayWriter
{
    /// <summary>
    /// Writes an empty overlay at <paramref name="path"/> (which must not exist) backed by <paramref name="backing"/>,
    /// with the base's virtual size; owner read/write only, flushed to disk before it returns.
    /// </summary>
    void Create(string path, BaseImage backing);

    /// <summary>The overlay's header; null when <paramref name="path"/> does not exist. Throws <see cref="InvalidDataException"/> for anything else than a qcow2 file.</summary>
    OverlayInfo? Read(string path);

    /// <summary>
    /// Renames <paramref name="staged"/> over <paramref name="target"/> (atomic: a reader sees the old file or the new
    /// one, never neither) and flushes the directory, so the rename survives a crash.
    /// </summary>
    void Replace(string staged, string target);

    /// <summary>Deletes <paramref name="path"/> when it exists and flushes its directory; true when something was deleted.</summary>
    bool Remove(string path);
}
