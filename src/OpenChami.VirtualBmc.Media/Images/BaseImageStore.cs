using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Media;

namespace OpenChami.VirtualBmc.Media.Images;

/// <summary>
/// Slot base images in an <see cref="ImageCache"/> of their own (<c>&lt;stateDirectory&gt;/images</c>, files
/// "&lt;sha256&gt;.img"): fetched from a local file or over http(s) under the virtual-media download policy, kept only when
/// their SHA-256 is the catalog's, shared by every slot that uses the same content. The cache never deletes a file
/// that an overlay under <c>&lt;stateDirectory&gt;/slots</c> is backed by: it reads the overlays' headers before
/// every eviction, so this holds even when its own index is lost.
/// </summary>
public sealed class BaseImageStore : IBaseImageStore
{
    private static readonly UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private readonly Lazy<ImageCache> _cache;
    private readonly string _slotsDirectory;

    /// <param name="stateDirectory">The host's state directory (absolute): base images go to its images/, overlays are in its slots/.</param>
    /// <param name="policy">The download policy (virtualMedia's allowed hosts etc.); its cache directory and ISO check are replaced.</param>
    /// <param name="maxImageBytes">Largest base image.</param>
    /// <param name="cacheMaxBytes">Cache size; files in use are never evicted.</param>
    public BaseImageStore(string stateDirectory, ImageFetchOptions policy, long maxImageBytes, long cacheMaxBytes, TimeProvider? time = null)
    {
        Directory = Path.Combine(stateDirectory, "images");
        _slotsDirectory = Path.Combine(stateDirectory, "slots");
        // Opened at first use: `validate` and `slot disks` look at the cache without creating or sweeping anything.
        _cache = new Lazy<ImageCache>(() =>
        {
            if (StatePath.RefusalUnder(stateDirectory, Directory, StatePath.Kind.Directory) is { } refusal)
                throw new ImageFetchException(ImageFetchErrorKind.LocalFailure, $"base image cache refused: {refusal}");
            System.IO.Directory.CreateDirectory(stateDirectory, DirectoryMode);
            System.IO.Directory.CreateDirectory(Directory, DirectoryMode);
            return new ImageCache(policy with
            {
                CacheDirectory = Directory,
                RequireIso9660 = false,
                MaxBytes = maxImageBytes,
                CacheMaxBytes = cacheMaxBytes,
            }, time, new ImageCacheLayout { FileSuffix = ".img", ExternalHolds = BackingFilesInUse });
        });
    }

    /// <summary>Where the base images are.</summary>
    public string Directory { get; }

    public async Task<BaseImage> FetchAsync(CatalogImage image, string holder, CancellationToken cancellationToken = default)
    {
        var fetched = await _cache.Value.FetchVerifiedAsync(image.Source, image.Sha256, holder, cancellationToken).ConfigureAwait(false);
        return Describe(image, fetched.Path);
    }

    public BaseImage? FindCached(CatalogImage image)
    {
        var path = Path.Combine(Directory, image.Sha256 + ".img");
        return File.Exists(path) ? new BaseImage(path, image.Format, -1, image.Sha256) : null;
    }

    /// <summary>Hashes each cached base once per process (and again when its size or time changes); a changed file is deleted.</summary>
    public bool VerifyCached(string path)
    {
        var name = Path.GetFileName(path);
        if (Path.GetDirectoryName(path) != Directory || name.Length != 68 || !name.EndsWith(".img", StringComparison.Ordinal))
            return true;
        _ = _cache.Value; // opening the cache checks its index.json (a malformed one is set aside)
        var info = new FileInfo(path);
        if (!info.Exists)
            return false;
        var stamp = (info.Length, info.LastWriteTimeUtc);
        lock (_verified)
        {
            if (_verified.TryGetValue(path, out var known) && known == stamp)
                return true;
        }
        string actual;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
            actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        if (actual == name[..64])
        {
            lock (_verified)
                _verified[path] = stamp;
            return true;
        }
        File.Delete(path); // never served again: the next fetch verifies a fresh copy
        return false;
    }

    private readonly Dictionary<string, (long, DateTime)> _verified = new(StringComparer.Ordinal);

    public void Release(string holder)
    {
        if (_cache.IsValueCreated || System.IO.Directory.Exists(Directory))
            _cache.Value.Release(holder);
    }

    /// <summary>Vets the verified file as a base and reads its virtual size.</summary>
    private static BaseImage Describe(CatalogImage image, string path)
    {
        long virtualSize;
        if (image.Format == DiskImageFormat.Qcow2)
        {
            Qcow2Header header;
            try
            {
                header = Qcow2Overlay.ReadHeader(path);
            }
            catch (InvalidDataException e)
            {
                throw new ImageFetchException(ImageFetchErrorKind.BadFormat, $"image '{image.Name}' ({image.Where}) is listed as qcow2 but {e.Message}", e);
            }
            if (Qcow2Overlay.RefuseAsBase(header) is { } refusal)
                throw new ImageFetchException(ImageFetchErrorKind.BadFormat, $"image '{image.Name}' ({image.Where}) cannot be a base image: {refusal}");
            virtualSize = header.VirtualSize;
        }
        else
        {
            virtualSize = new FileInfo(path).Length;
            if (virtualSize == 0)
                throw new ImageFetchException(ImageFetchErrorKind.BadFormat, $"image '{image.Name}' ({image.Where}) is empty");
        }
        return new BaseImage(path, image.Format, virtualSize, image.Sha256);
    }

    /// <summary>The cache file names the slots' overlays (and staged overlays) are backed by.</summary>
    private List<string> BackingFilesInUse()
    {
        var names = new List<string>();
        if (!System.IO.Directory.Exists(_slotsDirectory))
            return names;
        foreach (var slot in System.IO.Directory.EnumerateDirectories(_slotsDirectory))
        {
            var overlay = SlotStorage.For(Path.GetDirectoryName(_slotsDirectory)!, Path.GetFileName(slot)).RootDisk;
            foreach (var candidate in new[] { overlay, overlay + ".new" })
            {
                try
                {
                    if (File.Exists(candidate) && Qcow2Overlay.ReadHeader(candidate).BackingFile is { } backing
                        && Path.GetDirectoryName(backing) == Directory)
                        names.Add(Path.GetFileName(backing));
                }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    // An unreadable overlay holds nothing it could be shown to hold.
                }
            }
        }
        return names;
    }
}
