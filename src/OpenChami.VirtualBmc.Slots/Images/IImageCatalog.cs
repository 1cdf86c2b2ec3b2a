namespace OpenChami.VirtualBmc.Slots.Images;

/// <summary>Disk image formats a catalog entry may have; the slot's overlay records it as its backing format.</summary>
public enum DiskImageFormat { Raw, Qcow2 }

/// <summary>One entry of the image catalog: what a slot's <c>image</c> name stands for.</summary>
/// <param name="Name">The name slot templates use.</param>
/// <param name="Source">Where the bytes are: an absolute <c>file://</c> path or an <c>http(s)://</c> URL.</param>
/// <param name="Format">The image's format; never guessed from content (a raw image could hold a qcow2 header).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the image file; the cached copy is used only when it matches.</param>
/// <param name="Where">Where the entry was written (catalog file and line), for messages.</param>
public sealed record CatalogImage(string Name, Uri Source, DiskImageFormat Format, string Sha256, string Where);

/// <summary>
/// Resolves image names. Implementations: a local catalog file and an HTTP catalog (same document, fetched). OpenCHAMI's
/// image service stays the source of truth; this is only the name → bytes + checksum lookup.
/// </summary>
public interface IImageCatalog
{
    /// <summary>Every entry, in catalog order. Throws <see cref="ImageCatalogException"/> if the catalog cannot be read.</summary>
    Task<IReadOnlyList<CatalogImage>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>The catalog could not be read or is malformed; the message names the source and, for files, line and column.</summary>
public sealed class ImageCatalogException : Exception
{
    public ImageCatalogException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public ImageCatalogException()
        : this("image catalog unavailable")
    {
    }

    public ImageCatalogException(string message)
        : this(message, null)
    {
    }
}
