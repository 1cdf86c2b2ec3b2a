namespace OpenChami.VirtualBmc.Slots.Media;

/// <summary>Why an image could not be fetched, in terms the Redfish layer maps to a Base message.</summary>
public enum ImageFetchErrorKind
{
    /// <summary>Policy refused the URL or a redirect hop: scheme, host, address class, downgrade, credentials in the URL.</summary>
    Refused,
    /// <summary>The source answered 401/403.</summary>
    Unauthorized,
    /// <summary>The source answered 404/410.</summary>
    NotFound,
    /// <summary>Content-Length or the streamed body exceeded the size cap (or the cache cannot hold it).</summary>
    TooLarge,
    /// <summary>Connect, response-headers, idle or total timeout.</summary>
    Timeout,
    /// <summary>No connection, connection reset, or the body ended early.</summary>
    Unreachable,
    /// <summary>The content is not what was asked for (no ISO 9660 signature).</summary>
    BadFormat,
    /// <summary>TLS handshake or certificate verification failed.</summary>
    TlsFailure,
    /// <summary>The source misbehaved: other error status, redirect loop, too many redirects, redirect without Location.</summary>
    SourceError,
    /// <summary>Local failure writing the cache (disk full, permissions).</summary>
    LocalFailure,
    /// <summary>The bytes do not have the SHA-256 the image catalog gives for them; nothing was kept.</summary>
    ChecksumMismatch,
}

/// <summary>
/// The one exception the image fetcher port throws. The message names the URL without user information and never
/// contains credentials.
/// </summary>
public sealed class ImageFetchException : Exception
{
    public ImageFetchException(ImageFetchErrorKind kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    public ImageFetchException()
        : this(ImageFetchErrorKind.SourceError, "image fetch failed")
    {
    }

    public ImageFetchException(string message)
        : this(ImageFetchErrorKind.SourceError, message)
    {
    }

    public ImageFetchException(string message, Exception innerException)
        : this(ImageFetchErrorKind.SourceError, message, innerException)
    {
    }

    public ImageFetchErrorKind Kind { get; }
}
