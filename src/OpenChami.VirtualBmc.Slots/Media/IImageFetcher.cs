namespace OpenChami.VirtualBmc.Slots.Media;

/// <summary>
/// Downloads virtual-media images into a managed local cache under the SSRF policy of <see cref="ImageFetchOptions"/>.
/// The runtime attaches only files returned here, never a caller-supplied URL or path. Every failure is an
/// <see cref="ImageFetchException"/>.
/// </summary>
public interface IImageFetcher
{
    /// <summary>
    /// Fetches <paramref name="url"/> (or revalidates a cached copy with the source) and marks the file as in use by
    /// <paramref name="holder"/> (a slot name), replacing whatever that holder held before. Files in use are never
    /// evicted.
    /// </summary>
    Task<FetchedImage> FetchAsync(Uri url, ImageCredentials? credentials, string holder, CancellationToken cancellationToken = default);

    /// <summary>The holder no longer uses its image (media ejected); the file becomes evictable.</summary>
    void Release(string holder);

    /// <summary>
    /// The file <paramref name="holder"/> holds and the URL it came from (without user information and query), or null
    /// when it holds none. Holds survive restarts, so a restarted service can still name the URL of an inserted image.
    /// </summary>
    (string Path, string Source)? HeldBy(string holder);
}

/// <summary>A complete, verified, read-only cached image.</summary>
/// <param name="Path">Absolute path inside the cache directory; the name is generated (content hash), never taken from the source.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the content.</param>
/// <param name="SourceUrl">The requested URL without any user information.</param>
/// <param name="FromCache">True when the cached copy was still current and nothing was downloaded.</param>
public sealed record FetchedImage(string Path, long Size, string Sha256, Uri SourceUrl, bool FromCache);

/// <summary>HTTP Basic credentials for the image server only. Never logged, persisted or shown (see <see cref="ToString"/>).</summary>
public sealed class ImageCredentials(string userName, string password)
{
    public string UserName { get; } = userName;
    public string Password { get; } = password;

    public override string ToString() => "ImageCredentials(***)";
}
