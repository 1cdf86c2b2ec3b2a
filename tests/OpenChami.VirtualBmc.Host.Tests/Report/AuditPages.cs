using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Report;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Placement;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Host.Tests.Report;

/// <summary>A configuration validated against its sysfs tree by the real reader and validator, and the page rendered from that report.</summary>
internal sealed record RenderedAudit(ValidationReport Report, IReadOnlyDictionary<string, IReadOnlyList<ResolvedDevice>> Devices, byte[] Bytes, XDocument Page)
{
    private static readonly XNamespace X = "http://www.w3.org/1999/xhtml";

    public static RenderedAudit Of(SiteConfiguration config)
    {
        var inventory = new SysfsInventorySource(config.Host.SysfsRoot).Read();
        var recorder = new ResolutionRecorder();
        var report = BindingValidator.Validate(config, inventory, [recorder]);
        var bytes = TopologyPage.Render(TopologyAudit.ForValidation(config, inventory, report, recorder.Devices));
        return new RenderedAudit(report, recorder.Devices, bytes, Parse(bytes));
    }

    /// <summary>The page as XML: a parse error here means the page is not well-formed.</summary>
    public static XDocument Parse(byte[] bytes)
    {
        using var reader = XmlReader.Create(new MemoryStream(bytes), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        return XDocument.Load(reader);
    }

    public string Text => Page.Root!.Value;

    public IEnumerable<XElement> WithClass(string cssClass) =>
        Page.Descendants().Where(e => ((string?)e.Attribute("class"))?.Split(' ').Contains(cssClass) == true);

    /// <summary>The device card or VF row that shows <paramref name="address"/> as its own address.</summary>
    public XElement DeviceBox(string address) =>
        WithClass("card").Concat(WithClass("vf")).Single(e => e.Elements().Prepend(e).SelectMany(c => c.Elements(X + "span"))
            .Any(s => (string?)s.Attribute("class") == "addr" && s.Value == address));

    /// <summary>Every finding of the report is on the page with its code and message: on the card of the function its
    /// device resolved to, else in its slot's row.</summary>
    public void AssertEveryFindingPlaced()
    {
        foreach (var f in Report.Findings)
        {
            var address = f.Device is { } d ? Devices[f.Slot].FirstOrDefault(r => r.Binding.Name == d)?.Function?.Address.ToString() : null;
            var where = address is null ? SlotRow(f.Slot) : DeviceBox(address);
            Assert.Contains(where.Descendants().Where(e => ((string?)e.Attribute("class"))?.StartsWith("finding", StringComparison.Ordinal) == true),
                e => e.Value.Contains(f.Code, StringComparison.Ordinal) && e.Value.Contains(f.Message, StringComparison.Ordinal));
        }
    }

    public XElement SlotRow(string slot) =>
        Page.Descendants(X + "tr").Single(tr => tr.Elements(X + "td").FirstOrDefault()?.Element(X + "b")?.Value == slot);

    /// <summary>The page's CSP allows its stylesheet by hash: a browser would refuse the styles otherwise.</summary>
    public void AssertPolicyMatchesStyle()
    {
        var style = Page.Descendants(X + "style").Single().Value;
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(style)));
        var policy = (string)Page.Descendants(X + "meta").Single(m => (string?)m.Attribute("http-equiv") == "Content-Security-Policy").Attribute("content")!;
        Assert.Contains($"style-src 'sha256-{hash}'", policy, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Empty(Page.Descendants(X + "script"));
        Assert.DoesNotContain(Page.Descendants(), e => e.Attribute("style") is not null || e.Attribute("href") is not null || e.Attribute("src") is not null);
    }
}
