using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Inventory;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Report;

/// <summary>
/// What the page shows: the host as it was read and, for a validation, the configuration, the report (the same object
/// the JSON output is serialized from) and the host function each slot device resolved to.
/// </summary>
public sealed record TopologyAudit(string Title, string Subtitle, HostInventory Inventory)
{
    public SiteConfiguration? Site { get; init; }

    public ValidationReport? Report { get; init; }

    /// <summary>Slot name → its template devices and the functions they resolved to (from <c>ResolutionRecorder</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ResolvedDevice>> Devices { get; init; } =
        new Dictionary<string, IReadOnlyList<ResolvedDevice>>(StringComparer.Ordinal);

    /// <summary>A host validation: every slot, its devices and every finding of <paramref name="report"/>.</summary>
    public static TopologyAudit ForValidation(SiteConfiguration site, HostInventory inventory, ValidationReport report,
        IReadOnlyDictionary<string, IReadOnlyList<ResolvedDevice>> devices)
    {
        ArgumentNullException.ThrowIfNull(site);
        return new TopologyAudit($"Host validation: {site.Host.HostId}", $"node type {site.NodeType.Name}", inventory)
        {
            Site = site,
            Report = report,
            Devices = devices,
        };
    }

    /// <summary>The host alone (no slots): what <c>inventory</c> reads from <paramref name="sysfsRoot"/>.</summary>
    public static TopologyAudit ForInventory(HostInventory inventory, string sysfsRoot) =>
        new("Host inventory", $"sysfs root {sysfsRoot}", inventory);
}
