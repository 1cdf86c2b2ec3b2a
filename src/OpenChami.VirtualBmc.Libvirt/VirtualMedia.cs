using System.Globalization;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>
/// The slot's predefined SATA CD-ROM. http(s) images are streamed by QEMU itself (a network disk); absolute paths are
/// local files. Which URLs are allowed is decided before this layer.
/// </summary>
internal static class VirtualMedia
{
    public static XElement CdromXml(string? image)
    {
        var disk = new XElement("disk", new XAttribute("device", "cdrom"));
        if (image is null)
        {
            disk.Add(new XAttribute("type", "file"));
        }
        else if (Uri.TryCreate(image, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            disk.Add(new XAttribute("type", "network"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
                new XElement("source", new XAttribute("protocol", uri.Scheme), new XAttribute("name", uri.PathAndQuery),
                    new XElement("host", new XAttribute("name", uri.Host), new XAttribute("port", uri.Port))));
        }
        else if (Path.IsPathFullyQualified(image))
        {
            disk.Add(new XAttribute("type", "file"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
                new XElement("source", new XAttribute("file", image)));
        }
        else
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.Conflict, $"virtual media image '{image}' is neither an http(s) URL nor an absolute path");
        }
        disk.Add(new XElement("target", new XAttribute("dev", DomainXml.CdromTarget), new XAttribute("bus", "sata")), new XElement("readonly"));
        return disk;
    }

    /// <summary>The slot's CD-ROM in a domain XML, or null when it has none.</summary>
    private static XElement? Cdrom(XDocument domain) => domain.Root?.Element("devices")?.Elements("disk")
        .FirstOrDefault(d => d.Attribute("device")?.Value == "cdrom" && d.Element("target")?.Attribute("dev")?.Value == DomainXml.CdromTarget);

    /// <summary>
    /// Records <paramref name="disk"/> (from <see cref="CdromXml"/>) in a domain XML to be defined again: the CD-ROM keeps
    /// its target, address and other settings; only its type, driver and source change (no source: empty).
    /// </summary>
    public static void Record(XDocument domain, XElement disk)
    {
        if (Cdrom(domain) is not { } cdrom)
        {
            (domain.Root?.Element("devices") ?? throw new SlotRuntimeException(SlotRuntimeErrorKind.Conflict, "the domain has no devices")).Add(disk);
            return;
        }
        cdrom.SetAttributeValue("type", disk.Attribute("type")?.Value);
        cdrom.Elements("driver").Remove();
        cdrom.Elements("source").Remove();
        cdrom.AddFirst(disk.Elements("driver"), disk.Elements("source"));
    }

    /// <summary>The image in the CD-ROM of a domain XML (live or persistent), or null when it is empty.</summary>
    public static string? Inserted(XDocument domain)
    {
        var source = Cdrom(domain)?.Element("source");
        if (source is null)
        {
            return null;
        }
        if (source.Attribute("file")?.Value is { Length: > 0 } file)
        {
            return file;
        }
        if (source.Attribute("protocol")?.Value is { } protocol && source.Element("host") is { } host)
        {
            var port = host.Attribute("port")?.Value;
            var builder = new UriBuilder(protocol, host.Attribute("name")?.Value ?? "",
                port is null ? -1 : int.Parse(port, CultureInfo.InvariantCulture));
            var name = source.Attribute("name")?.Value ?? "/";
            var q = name.IndexOf('?', StringComparison.Ordinal);
            builder.Path = q < 0 ? name : name[..q];
            builder.Query = q < 0 ? "" : name[(q + 1)..];
            return builder.Uri.AbsoluteUri;
        }
        return null;
    }
}
