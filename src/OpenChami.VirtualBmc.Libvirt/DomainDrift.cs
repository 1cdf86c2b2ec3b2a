using System.Globalization;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>Compares a defined domain with what its template renders to, aspect by aspect.</summary>
internal static class DomainDrift
{
    public static IReadOnlyList<DriftItem> Compare(XDocument expected, XDocument actual)
    {
        var drift = new List<DriftItem>();
        void Check(string aspect, string want, string have)
        {
            if (!string.Equals(want, have, StringComparison.Ordinal))
            {
                drift.Add(new DriftItem(aspect, want.Length == 0 ? "(none)" : want, have.Length == 0 ? "(none)" : have));
            }
        }
        var e = expected.Root!;
        var a = actual.Root!;
        Check("uuid", Text(e.Element("uuid")), Text(a.Element("uuid")));
        Check("vcpus", Text(e.Element("vcpu")), Text(a.Element("vcpu")));
        Check("memory KiB", MemoryKiB(e.Element("memory")), MemoryKiB(a.Element("memory")));
        Check("hugepages", HugePages(e), HugePages(a));
        Check("numa memory", Numa(e), Numa(a));
        Check("vcpu pinning", Pinning(e), Pinning(a));
        Check("pci hostdevs", HostDevs(e), HostDevs(a));
        Check("sr-iov interfaces", VfInterfaces(e), VfInterfaces(a));
        Check("virtio interfaces", Networks(e), Networks(a));
        Check("cdrom", Cdrom(e), Cdrom(a));
        return drift;
    }

    private static string Text(XElement? e) => e?.Value.Trim() ?? "";

    private static string MemoryKiB(XElement? memory)
    {
        if (memory is null || !ulong.TryParse(memory.Value.Trim(), CultureInfo.InvariantCulture, out var value))
        {
            return "";
        }
        var factor = (memory.Attribute("unit")?.Value ?? "KiB") switch
        {
            "b" or "bytes" => 1.0 / 1024,
            "M" or "MiB" => 1024,
            "G" or "GiB" => 1024 * 1024,
            "T" or "TiB" => 1024.0 * 1024 * 1024,
            _ => 1,
        };
        return ((ulong)(value * factor)).ToString(CultureInfo.InvariantCulture);
    }

    private static string HugePages(XElement domain) =>
        string.Join(",", domain.Element("memoryBacking")?.Element("hugepages")?.Elements("page")
            .Select(p => MemoryKiB(new XElement("memory", new XAttribute("unit", p.Attribute("unit")?.Value ?? "KiB"), p.Attribute("size")?.Value ?? "0")))
            ?? (domain.Element("memoryBacking")?.Element("hugepages") is null ? [] : ["default"]));

    private static string Numa(XElement domain) =>
        domain.Element("numatune")?.Element("memory") is { } m
            ? $"{m.Attribute("mode")?.Value ?? "strict"} {DomainXml.CpuSet(DomainXml.ParseCpuSet(m.Attribute("nodeset")?.Value ?? ""))}"
            : "";

    private static string Pinning(XElement domain) =>
        string.Join(" ", domain.Element("cputune")?.Elements("vcpupin")
            .Select(p => (Vcpu: int.Parse(p.Attribute("vcpu")?.Value ?? "0", CultureInfo.InvariantCulture), Set: DomainXml.CpuSet(DomainXml.ParseCpuSet(p.Attribute("cpuset")?.Value ?? ""))))
            .OrderBy(p => p.Vcpu)
            .Select(p => $"{p.Vcpu}:{p.Set}") ?? []);

    private static IEnumerable<XElement> Devices(XElement domain) => domain.Element("devices")?.Elements() ?? [];

    private static string HostDevs(XElement domain) =>
        string.Join(" ", Devices(domain)
            .Where(d => d.Name == "hostdev" && d.Attribute("type")?.Value == "pci")
            .Select(d => DomainXml.ParsePciAddress(d.Element("source")?.Element("address"))?.ToString() ?? "?")
            .Order(StringComparer.Ordinal));

    private static string VfInterfaces(XElement domain) =>
        string.Join(" ", Devices(domain)
            .Where(d => d.Name == "interface" && d.Attribute("type")?.Value == "hostdev")
            .Select(d => $"{d.Element("mac")?.Attribute("address")?.Value}@{DomainXml.ParsePciAddress(d.Element("source")?.Element("address"))}")
            .Order(StringComparer.Ordinal));

    private static string Networks(XElement domain) =>
        string.Join(" ", Devices(domain)
            .Where(d => d.Name == "interface" && d.Attribute("type")?.Value is "network" or "bridge")
            .Select(d => $"{d.Element("mac")?.Attribute("address")?.Value}@{d.Element("source")?.Attribute("network")?.Value ?? d.Element("source")?.Attribute("bridge")?.Value}")
            .Order(StringComparer.Ordinal));

    private static string Cdrom(XElement domain) =>
        Devices(domain).Any(d => d.Name == "disk" && d.Attribute("device")?.Value == "cdrom"
                                 && d.Element("target")?.Attribute("dev")?.Value == DomainXml.CdromTarget)
            ? $"{DomainXml.CdromTarget} present"
            : "";
}
