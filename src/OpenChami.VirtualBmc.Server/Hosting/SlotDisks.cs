using OpenChami.VirtualBmc.Media;
using OpenChami.VirtualBmc.Media.Images;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>
/// Composes the slot disk provisioner from the host file: the catalog source (a local file or an http(s) URL, the
/// latter under the virtual-media download policy), the base-image cache in <c>&lt;stateDirectory&gt;/images</c>, the
/// managed qcow2 overlay writer, and the per-slot serializer whose lock files (<c>&lt;stateDirectory&gt;/locks</c>)
/// the service and the CLI share.
/// </summary>
public static class SlotDisks
{
    /// <summary>The finding codes a disk operation decides (replaced when a reimage or delete-state changes them).</summary>
    public static readonly IReadOnlySet<string> Codes = new HashSet<string>(StringComparer.Ordinal)
    {
        FindingCodes.ImageNoCatalog, FindingCodes.ImageCatalogUnavailable, FindingCodes.ImageUnknown, FindingCodes.ImageSourceMissing,
        FindingCodes.DiskUnusable, FindingCodes.DiskProvisionFailed, DiskMissing,
    };

    /// <summary>Warning on a slot whose state was deleted while the service runs: it cannot start until reimaged.</summary>
    public const string DiskMissing = "DISK_MISSING";

    public static SlotSerializer Serializer(HostConfig host) => new(Path.Combine(host.StateDirectory, "locks"));

    /// <summary>The provisioner with the ISO 9660 seed writer and the seed composer (templates with cloudInit.localSeed).</summary>
    public static SlotDiskProvisioner Create(HostConfig host, SlotSerializer serializer) =>
        Create(host, serializer, new Iso9660SeedWriter(), NoCloudSeedComposer.Compose);

    /// <param name="seeds">Writes local NoCloud seeds; null: none are written.</param>
    /// <param name="seedFor">What a slot's seed holds; needed with <paramref name="seeds"/>.</param>
    public static SlotDiskProvisioner Create(HostConfig host, SlotSerializer serializer, ISeedImageWriter? seeds, Func<Slot, NoCloudSeed>? seedFor) =>
        new(host.StateDirectory,
            ImageCatalogs.For(host.ImageCatalog, host.Media),
            host.ImageCatalog,
            new BaseImageStore(host.StateDirectory, host.Media, host.BaseImageMaxBytes, host.BaseImageCacheMaxBytes),
            new Qcow2Overlay(),
            serializer,
            seeds,
            seedFor);

    /// <summary>The finding a failed disk operation leaves on its slot (the codes are those validate uses).</summary>
    public static SlotFindingView Finding(DiskProvisioningException e) => new(e.Kind switch
    {
        DiskErrorKind.NoCatalog => FindingCodes.ImageNoCatalog,
        DiskErrorKind.CatalogUnavailable => FindingCodes.ImageCatalogUnavailable,
        DiskErrorKind.UnknownImage => FindingCodes.ImageUnknown,
        DiskErrorKind.BackingMissing => FindingCodes.DiskUnusable,
        _ => FindingCodes.DiskProvisionFailed,
    }, "Error", null, e.Message);
}
