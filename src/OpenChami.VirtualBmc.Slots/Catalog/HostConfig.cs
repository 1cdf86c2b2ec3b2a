using System.Net;

namespace OpenChami.VirtualBmc.Slots.Catalog;

/// <summary>The per-host file: which node type this host is and what each of its slots is called on the network.</summary>
public sealed record HostConfig(
    string HostId,
    string NodeTypePath,
    string SysfsRoot,
    string StateDirectory,
    string? InventoryExport,
    string LibvirtUri,
    string LibvirtDomainType,
    string DomainPrefix,
    bool AllowManagedDetach,
    Uri? MetadataUrl,
    string? ImageCatalog,
    string? AccountsFile,
    BmcEndpoint? HostEndpoint,
    BmcEndpoint? Admin,
    OpenChami.VirtualBmc.Slots.Media.ImageFetchOptions Media,
    TlsConfig? Tls,
    bool InsecurePlainHttp,
    SecurityConfig Security,
    IReadOnlyList<HostSlot> Slots,
    SourceLocation Where)
{
    /// <summary>Largest base image (catalog entry) accepted: <c>images.maxImageGiB</c>.</summary>
    public long BaseImageMaxBytes { get; init; } = 64 * OpenChami.VirtualBmc.Slots.Media.ImageFetchOptions.GiB;

    /// <summary>Size of the base-image cache: <c>images.cacheMaxGiB</c>.</summary>
    public long BaseImageCacheMaxBytes { get; init; } = 256 * OpenChami.VirtualBmc.Slots.Media.ImageFetchOptions.GiB;

    /// <summary>
    /// <c>libvirt.serialLogDirectory</c> (absolute after loading): libvirt also writes each slot's serial console to
    /// <c>&lt;dir&gt;/&lt;domain name&gt;.serial.log</c>. Null (default): the console is a pty only.
    /// </summary>
    public string? SerialLogDirectory { get; init; }

    /// <summary><c>console:</c>: the slots' SSH consoles (on by default, port 22).</summary>
    public ConsoleConfig Console { get; init; } = new();
}

public sealed record HostSlot(
    string Name,
    BmcEndpoint Bmc,
    Guid? Uuid,
    string? SerialNumber,
    IReadOnlyDictionary<string, MacAddress> MacAddresses,
    IReadOnlyList<PlannedAddress> Ipv4,
    string? InstanceId,
    string? Hostname,
    Uri? MetadataUrl,
    string? Image,
    SystemType SystemType,
    SourceLocation Where)
{
    /// <summary>Where the entry's <c>image</c> key was written (null when it has none).</summary>
    public SourceLocation? ImageWhere { get; init; }
}

public enum SystemType { Physical, Virtual }

/// <summary>The address and port a slot's Redfish service listens on.</summary>
public sealed record BmcEndpoint(IPAddress Address, int Port, SourceLocation Where)
{
    public override string ToString() =>
        Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}

public sealed record PlannedAddress(string Interface, IPAddress Address, int PrefixLength, IPAddress? Gateway, SourceLocation Where)
{
    public override string ToString() => $"{Address}/{PrefixLength}";
}
