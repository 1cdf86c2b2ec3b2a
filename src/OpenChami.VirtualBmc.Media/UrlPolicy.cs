using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OpenChami.VirtualBmc.Slots.Media;

namespace OpenChami.VirtualBmc.Media;

/// <summary>What an address is, for the SSRF policy.</summary>
public enum AddressClass { Public, Loopback, Private, LinkLocal, Multicast, Broadcast, Unspecified, Reserved }

/// <summary>A URL that passed the scheme/host checks. <see cref="Literal"/> is set when the host is an IP address in any spelling.</summary>
public sealed record UrlTarget(Uri Url, string Scheme, string Host, int Port, IPAddress? Literal, bool HostListed);

/// <summary>
/// The pure part of the SSRF policy: parses URL hosts (every IPv4 spelling inet_aton accepts, IPv4-mapped IPv6) and
/// classifies addresses. No I/O; the fetcher calls it for the first URL and every redirect hop, on the pinned address.
/// </summary>
public sealed class UrlPolicy
{
    private static readonly (IPNetwork Net, AddressClass Class)[] Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), AddressClass.Unspecified),
        (IPNetwork.Parse("10.0.0.0/8"), AddressClass.Private),
        (IPNetwork.Parse("100.64.0.0/10"), AddressClass.Private),
        (IPNetwork.Parse("127.0.0.0/8"), AddressClass.Loopback),
        (IPNetwork.Parse("169.254.0.0/16"), AddressClass.LinkLocal),
        (IPNetwork.Parse("172.16.0.0/12"), AddressClass.Private),
        (IPNetwork.Parse("192.0.0.0/24"), AddressClass.Reserved),
        (IPNetwork.Parse("192.0.2.0/24"), AddressClass.Reserved),
        (IPNetwork.Parse("192.88.99.0/24"), AddressClass.Reserved),
        (IPNetwork.Parse("192.168.0.0/16"), AddressClass.Private),
        (IPNetwork.Parse("198.18.0.0/15"), AddressClass.Reserved),
        (IPNetwork.Parse("198.51.100.0/24"), AddressClass.Reserved),
        (IPNetwork.Parse("203.0.113.0/24"), AddressClass.Reserved),
        (IPNetwork.Parse("224.0.0.0/4"), AddressClass.Multicast),
        (IPNetwork.Parse("255.255.255.255/32"), AddressClass.Broadcast),
        (IPNetwork.Parse("240.0.0.0/4"), AddressClass.Reserved),
        (IPNetwork.Parse("::/128"), AddressClass.Unspecified),
        (IPNetwork.Parse("::1/128"), AddressClass.Loopback),
        (IPNetwork.Parse("::/96"), AddressClass.Reserved),
        (IPNetwork.Parse("64:ff9b:1::/48"), AddressClass.Private),
        (IPNetwork.Parse("100::/64"), AddressClass.Reserved),
        (IPNetwork.Parse("2001::/23"), AddressClass.Reserved),
        (IPNetwork.Parse("2001:db8::/32"), AddressClass.Reserved),
        (IPNetwork.Parse("fc00::/7"), AddressClass.Private),
        (IPNetwork.Parse("fec0::/10"), AddressClass.Private),
        (IPNetwork.Parse("fe80::/10"), AddressClass.LinkLocal),
        (IPNetwork.Parse("ff00::/8"), AddressClass.Multicast),
    ];

    private static readonly IPNetwork GlobalUnicast6 = IPNetwork.Parse("2000::/3");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    private readonly ImageFetchOptions options;
    private readonly HashSet<string> allowedNames = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> allowedRanges = [];

    public UrlPolicy(ImageFetchOptions options)
    {
        this.options = options;
        foreach (var entry in options.AllowedHosts)
        {
            var text = entry.Trim();
            if (IPNetwork.TryParse(text, out var net))
                allowedRanges.Add(Normalize(net));
            else if (IPAddress.TryParse(text.Trim('[', ']'), out var single))
                allowedRanges.Add(new IPNetwork(Normalize(single), Normalize(single).AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            else if (text.Length > 0 && !text.Contains('/', StringComparison.Ordinal))
                allowedNames.Add(text.TrimEnd('.'));
            else
                throw new ArgumentException($"AllowedHosts entry '{entry}' is neither a host name, an address nor a CIDR range", nameof(options));
        }
    }

    /// <summary>Checks scheme, user information and host syntax/allow-list. Returns null and a reason when refused.</summary>
    public UrlTarget? CheckUrl(Uri url, out string? refusal)
    {
        refusal = null;
        if (!url.IsAbsoluteUri)
            return Refuse("the URL is not absolute", out refusal);
        var scheme = url.Scheme.ToLowerInvariant();
        if (scheme is not ("http" or "https") || !options.AllowedSchemes.Contains(scheme, StringComparer.OrdinalIgnoreCase))
            return Refuse($"scheme '{scheme}' is not allowed", out refusal);
        if (url.UserInfo.Length > 0)
            return Refuse("user information in the URL is not accepted; pass UserName/Password instead", out refusal);
        var host = url.IdnHost.Trim('[', ']');
        if (host.Length == 0)
            return Refuse("the URL has no host", out refusal);
        if (host.Contains('%', StringComparison.Ordinal))
            return Refuse("scoped (zone id) addresses are not accepted", out refusal);
        if (host.EndsWith('.'))
            host = host[..^1];
        host = host.ToLowerInvariant();

        IPAddress? literal = null;
        if (host.Contains(':', StringComparison.Ordinal))
        {
            if (!IPAddress.TryParse(host, out literal))
                return Refuse("malformed IPv6 host", out refusal);
        }
        else if (EndsInNumber(host))
        {
            if (!TryParseIPv4(host, out literal))
                return Refuse("malformed numeric host", out refusal);
        }
        if (literal is not null)
            literal = Normalize(literal);

        var listed = literal is null && allowedNames.Contains(host);
        if (literal is null && allowedNames.Count + allowedRanges.Count > 0 && !listed && allowedRanges.Count == 0)
            return Refuse($"host '{host}' is not in the allow-list", out refusal);
        return new UrlTarget(url, scheme, host, url.Port, literal, listed);
    }

    /// <summary>Checks the address a target will connect to (a literal, or each resolved address). Null = allowed.</summary>
    public string? CheckAddress(UrlTarget target, IPAddress address)
    {
        address = Normalize(address);
        if (allowedRanges.Any(r => r.Contains(address)))
            return null;
        if (allowedNames.Count + allowedRanges.Count > 0 && !target.HostListed)
            return $"host '{target.Host}' ({address}) is not in the allow-list";
        var kind = Classify(address);
        var allowed = kind switch
        {
            AddressClass.Public => true,
            AddressClass.Loopback => options.AllowLoopback,
            AddressClass.Private => options.AllowPrivateNetworks,
            _ => false,
        };
        return allowed ? null : $"{Describe(kind)} address {address} is not allowed";
    }

    public static AddressClass Classify(IPAddress address)
    {
        address = Normalize(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var embedded = EmbeddedIPv4(address);
            if (embedded is not null)
                return Classify(embedded);
        }
        foreach (var (net, kind) in Ranges)
        {
            if (net.BaseAddress.AddressFamily == address.AddressFamily && net.Contains(address))
                return kind;
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && !GlobalUnicast6.Contains(address))
            return AddressClass.Reserved;
        return AddressClass.Public;
    }

    /// <summary>
    /// Parses a host whose last label is numeric the way inet_aton and the WHATWG URL standard do: 1–4 parts, each
    /// decimal, octal (leading 0) or hex (0x); the last part fills the remaining bytes ("127.1", "2130706433").
    /// </summary>
    public static bool TryParseIPv4(string host, out IPAddress? address)
    {
        address = null;
        var parts = host.TrimEnd('.').Split('.');
        if (parts.Length > 4)
            return false;
        var values = new ulong[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!TryParsePart(parts[i], out values[i]))
                return false;
        }
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (values[i] > 255)
                return false;
        }
        var lastBits = 8 * (5 - parts.Length);
        if (values[^1] >= 1UL << lastBits)
            return false;
        ulong result = values[^1];
        for (var i = 0; i < parts.Length - 1; i++)
            result |= values[i] << (8 * (3 - i));
        address = new IPAddress([(byte)(result >> 24), (byte)(result >> 16), (byte)(result >> 8), (byte)result]);
        return true;
    }

    private static bool TryParsePart(string part, out ulong value)
    {
        value = 0;
        if (part.Length == 0 || part.Length > 32)
            return false;
        if (part.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            var hex = part[2..];
            return hex.Length == 0 || ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        if (part.Length > 1 && part[0] == '0')
        {
            foreach (var c in part[1..])
            {
                if (c is < '0' or > '7')
                    return false;
                value = checked((value * 8) + (ulong)(c - '0'));
            }
            return true;
        }
        return part.All(char.IsAsciiDigit) && ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool EndsInNumber(string host)
    {
        var last = host.TrimEnd('.').Split('.')[^1];
        if (last.Length == 0)
            return false;
        if (last.All(char.IsAsciiDigit))
            return true;
        return last.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && last[2..].All(char.IsAsciiHexDigit);
    }

    private static IPAddress? EmbeddedIPv4(IPAddress v6)
    {
        var bytes = v6.GetAddressBytes();
        if (Nat64.Contains(v6))
            return new IPAddress(bytes[12..16]);
        if (SixToFour.Contains(v6))
            return new IPAddress(bytes[2..6]);
        return null;
    }

    internal static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static IPNetwork Normalize(IPNetwork net) =>
        net.BaseAddress.IsIPv4MappedToIPv6 && net.PrefixLength >= 96
            ? new IPNetwork(net.BaseAddress.MapToIPv4(), net.PrefixLength - 96)
            : net;

    private static string Describe(AddressClass kind) => kind switch
    {
        AddressClass.Loopback => "loopback",
        AddressClass.Private => "private-network",
        AddressClass.LinkLocal => "link-local",
        AddressClass.Multicast => "multicast",
        AddressClass.Broadcast => "broadcast",
        AddressClass.Unspecified => "unspecified",
        AddressClass.Reserved => "reserved",
        _ => "public",
    };

    private static UrlTarget? Refuse(string reason, out string? refusal)
    {
        refusal = reason;
        return null;
    }
}
