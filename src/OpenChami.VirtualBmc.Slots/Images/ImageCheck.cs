using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Slots.Images;

/// <summary>
/// Host validation of a slot's root disk, without fetching or hashing anything: its image resolves in the catalog,
/// a local source exists when the base is not cached yet, and an existing overlay is readable with its base image
/// present. A problem is an Error when the slot has no usable root disk yet (it could not be provisioned), a Warning
/// when it has one (it runs; a reimage would fail).
/// </summary>
public sealed class ImageCheck(CatalogLookup catalog, SlotDiskProvisioner disks) : ISlotCheck
{
    public IEnumerable<ValidationFinding> Check(SlotCheckContext context)
    {
        var slot = context.Slot;
        var disk = disks.Describe(slot);
        if (disk.RootDiskExists && disk.Problem is not null)
        {
            yield return context.Finding(FindingCodes.DiskUnusable, FindingSeverity.Error, null, "a qcow2 overlay with its base image", disk.Problem,
                $"root disk {disk.RootDisk}: {disk.Problem}; reimage the slot (openchami-vbmc slot reimage) to give it a fresh disk");
        }
        if (slot.Image is not { } image)
        {
            yield break;
        }
        var hasDisk = disk.RootDiskExists && disk.Problem is null;
        var severity = hasDisk ? FindingSeverity.Warning : FindingSeverity.Error;
        var consequence = hasDisk ? "the existing root disk is used, but a reimage would fail" : "the slot's root disk cannot be made";
        var where = slot.ImageWhere is { } w ? $"{w}: " : "";
        if (!catalog.Configured)
        {
            yield return context.Finding(FindingCodes.ImageNoCatalog, severity, null, "images.catalog in the host file", "none",
                $"{where}image '{image}' but the host file has no images.catalog; {consequence} (add a catalog, or write image: \"\" for a diskless slot)");
            yield break;
        }
        if (catalog.Images is null)
        {
            yield return context.Finding(FindingCodes.ImageCatalogUnavailable, severity, null, $"a readable catalog at {catalog.Source}", catalog.Error ?? "unreadable",
                $"{where}image '{image}': the catalog {catalog.Source} cannot be read ({catalog.Error}); {consequence}");
            yield break;
        }
        if (catalog.Find(image) is not { } entry)
        {
            yield return context.Finding(FindingCodes.ImageUnknown, severity, null, $"an entry '{image}' in {catalog.Source}", "no such entry",
                $"{where}image '{image}' is not in the catalog {catalog.Source}; {consequence}");
            yield break;
        }
        if (!hasDisk && entry.Source.IsFile && disks.Store.FindCached(entry) is null && !File.Exists(entry.Source.LocalPath))
        {
            yield return context.Finding(FindingCodes.ImageSourceMissing, FindingSeverity.Error, null, entry.Source.LocalPath, "no such file",
                $"{where}image '{image}' ({entry.Where}) is the file {entry.Source.LocalPath}, which does not exist, and it is not cached yet; {consequence}");
        }
    }
}
