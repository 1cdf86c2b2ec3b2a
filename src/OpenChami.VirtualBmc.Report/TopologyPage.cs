using System.Globalization;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Inventory;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Report;

/// <summary>
/// The binding audit as one self-contained page: a verdict and a summary line per slot, then each NUMA node with its
/// CPUs (coloured by the slot pinned to them), memory and free hugepages, and its PCI functions grouped by IOMMU
/// group, PFs with their VFs, each device coloured by the slot it is given to and carrying its findings. The same
/// audit gives the same bytes (no clock, no random, everything in a fixed order).
/// </summary>
public static class TopologyPage
{
    /// <summary>The Content-Security-Policy the page declares for itself; a server sends the same as a header.</summary>
    public static string ContentSecurityPolicy => PageStyle.ContentSecurityPolicy;

    public const string ContentType = "text/html; charset=utf-8";

    public static byte[] Render(TopologyAudit audit)
    {
        using var buffer = new MemoryStream();
        Write(buffer, audit);
        return buffer.ToArray();
    }

    public static void Write(Stream output, TopologyAudit audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        var index = new AuditIndex(audit);
        using var html = new HtmlWriter(output);
        html.DocType();
        html.Start("html").Attr("lang", "en");
        html.Start("head");
        html.Start("meta").Attr("charset", "utf-8").EndEmpty();
        html.Start("meta").Attr("http-equiv", "Content-Security-Policy").Attr("content", PageStyle.ContentSecurityPolicy).EndEmpty();
        html.Start("meta").Attr("name", "viewport").Attr("content", "width=device-width, initial-scale=1").EndEmpty();
        html.Element("title", null, $"{audit.Title} ({audit.Subtitle})");
        html.Start("style");
        html.Raw(PageStyle.Css);
        html.End();
        html.End();

        html.Start("body");
        html.Element("h1", null, audit.Title);
        html.Element("p", "sub", $"{audit.Subtitle} · {HostFacts(audit.Inventory)}");
        if (audit.Report is { } report && audit.Site is { } site)
        {
            html.Element("div", report.AllUsable ? "verdict good" : "verdict bad", report.Summary);
            SlotTable.Write(html, audit, site, report, index);
        }
        HostSection.Write(html, audit, index);
        html.End();
        html.End();
    }

    private static string HostFacts(HostInventory inventory) => string.Create(CultureInfo.InvariantCulture,
        $"{inventory.NumaNodes.Count} NUMA node{(inventory.NumaNodes.Count == 1 ? "" : "s")}, {inventory.CpuCount} CPUs online, {inventory.Functions.Count} PCI functions, {inventory.IommuGroups.Count} IOMMU groups, IOMMU {(inventory.IommuEnabled ? "on" : "OFF")}");

    /// <summary>A finding: code, severity and message, then what was expected and found when the report says.</summary>
    internal static void WriteFinding(HtmlWriter html, ValidationFinding f, bool withDevice)
    {
        var error = f.Severity == FindingSeverity.Error;
        html.Start("div", error ? "finding error" : "finding warning");
        html.Element("span", "code", f.Code);
        html.Text(error ? " error" : " warning");
        if (withDevice && f.Device is { } device)
        {
            html.Text($" ({device})");
        }
        html.Text($": {f.Message}");
        if (f.Expected.Length > 0 || f.Found.Length > 0)
        {
            html.Element("span", "ef", $"expected {f.Expected}; found {f.Found}");
        }
        html.End();
    }

    internal static string SlotClass(AuditIndex index, string slot) => "s" + index.Colour.GetValueOrDefault(slot).ToString(CultureInfo.InvariantCulture);

    /// <summary>A slot's colour as a small inline SVG square.</summary>
    internal static void Swatch(HtmlWriter html, string colourClass)
    {
        html.StartSvg("svg", "swatch " + colourClass).Attr("width", "12").Attr("height", "12").Attr("viewBox", "0 0 12 12").Attr("aria-hidden", "true");
        html.StartSvg("rect").Attr("width", "12").Attr("height", "12").Attr("rx", "2").EndEmpty();
        html.End();
    }

    internal static void Badge(HtmlWriter html, AuditIndex index, string slot, string? device) =>
        html.Element("span", "badge " + SlotClass(index, slot), device is null ? slot : $"{slot} / {device}");

    internal static string Gib(long kib) => (kib / 1024.0 / 1024.0).ToString(kib % (1024 * 1024) == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " GiB";

    internal static string PageSizeName(HugepageSize size) => size == HugepageSize.OneGiB ? "1 GiB" : "2 MiB";
}
