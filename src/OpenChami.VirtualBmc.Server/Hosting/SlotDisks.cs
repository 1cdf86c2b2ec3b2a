using OpenChami.VirtualBmc.Media;
using OpenChami.VirtualBmc.Media.Images;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>
/// Composes the slot disk provisioner from the host file: the catalog source (a local file or an http(s) URL, the
/// latter under the virtual-media download policy), the base-image cache in <c>&lt;stateDirectory&gt;/images</c>, the
/// managed qcow2 overlay writer, and the per-slot serializer whose lock files (<c>&lt;stateDirectory&gt;/locks</c>)
/// the service and the CLI share.
/// </summary>
public static class SlotDisks
{
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
}
