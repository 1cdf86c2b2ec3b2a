using OpenChami.VirtualBmc.Slots.Media;

namespace OpenChami.VirtualBmc.Slots.Images;

/// <summary>Why a slot's root disk could not be made, in terms the CLI and the Redfish layer map to an answer.</summary>
public enum DiskErrorKind
{
    /// <summary>The slot names no image: it boots from the network and has no root disk to make.</summary>
    Diskless,
    /// <summary>The slot names an image but the host file configures no catalog.</summary>
    NoCatalog,
    /// <summary>The catalog could not be read (file, network) or is malformed.</summary>
    CatalogUnavailable,
    /// <summary>The catalog has no entry of the slot's image name.</summary>
    UnknownImage,
    /// <summary>Fetching or verifying the base image failed (<see cref="DiskProvisioningException.FetchKind"/> says how).</summary>
    FetchFailed,
    /// <summary>The existing root disk's base image is gone and the catalog cannot give it back.</summary>
    BackingMissing,
    /// <summary>Writing the overlay or the state directory failed (disk full, permissions).</summary>
    LocalFailure,
}

/// <summary>A slot disk operation failed; nothing the operator did not ask to lose was changed.</summary>
public sealed class DiskProvisioningException : Exception
{
    public DiskProvisioningException(DiskErrorKind kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    public DiskProvisioningException()
        : this(DiskErrorKind.LocalFailure, "slot disk operation failed")
    {
    }

    public DiskProvisioningException(string message)
        : this(DiskErrorKind.LocalFailure, message)
    {
    }

    public DiskProvisioningException(string message, Exception innerException)
        : this(DiskErrorKind.LocalFailure, message, innerException)
    {
    }

    public DiskErrorKind Kind { get; }

    /// <summary>For <see cref="DiskErrorKind.FetchFailed"/>: how the download or the check failed.</summary>
    public ImageFetchErrorKind? FetchKind => (InnerException as ImageFetchException)?.Kind;

    /// <summary>For fetch failures: where the catalog said the bytes are (no user information, no query).</summary>
    public Uri? ImageSource { get; init; }
}

/// <summary>The finding a failed disk operation leaves on its slot: the codes host validation (ImageCheck) uses.</summary>
public static class DiskFindings
{
    public static string CodeOf(DiskProvisioningException e) => e.Kind switch
    {
        DiskErrorKind.NoCatalog => Validation.FindingCodes.ImageNoCatalog,
        DiskErrorKind.CatalogUnavailable => Validation.FindingCodes.ImageCatalogUnavailable,
        DiskErrorKind.UnknownImage => Validation.FindingCodes.ImageUnknown,
        DiskErrorKind.BackingMissing => Validation.FindingCodes.DiskUnusable,
        DiskErrorKind.FetchFailed when e.FetchKind == ImageFetchErrorKind.NotFound && e.ImageSource is { IsFile: true } => Validation.FindingCodes.ImageSourceMissing,
        _ => Validation.FindingCodes.DiskProvisionFailed,
    };

    public static Validation.ValidationFinding For(string slot, DiskProvisioningException e) =>
        new(CodeOf(e), Validation.FindingSeverity.Error, slot, null, "a root disk", e.Kind.ToString(), e.Message);
}
