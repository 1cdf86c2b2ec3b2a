using System.Net;

namespace OpenChami.VirtualBmc.Slots.Catalog;

/// <summary>TLS for every endpoint: PEM certificate and key, or a self-signed pair generated once at those paths.</summary>
public sealed record TlsConfig(string Certificate, string Key, bool GenerateSelfSigned);

/// <summary>A network in CIDR form.</summary>
public sealed record IpNetwork(IPAddress Prefix, int Length)
{
    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var a = address.GetAddressBytes();
        var p = Prefix.GetAddressBytes();
        if (a.Length != p.Length)
        {
            return false;
        }
        for (int i = 0, bits = Length; bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? 0xff : (byte)(0xff << (8 - bits));
            if ((a[i] & mask) != (p[i] & mask))
            {
                return false;
            }
        }
        return true;
    }

    public override string ToString() => $"{Prefix}/{Length}";
}

/// <summary>Unauthenticated requests from these networks get this role (an Insecure… setting: off unless written).</summary>
public sealed record InsecureAnonymousAccess(IReadOnlyList<IpNetwork> Networks, AccountRole Role);

public sealed record SecurityConfig(
    TimeSpan SessionTimeout,
    int MaxSessions,
    int LockoutThreshold,
    TimeSpan LockoutWindow,
    TimeSpan LockoutDuration,
    TimeSpan CredentialCacheLifetime,
    string AuditLog,
    InsecureAnonymousAccess? InsecureAnonymous)
{
    /// <summary>Live sessions one account may hold; at the cap its own least recently used session ends.</summary>
    public int MaxSessionsPerAccount { get; init; } = 16;

    /// <summary>Open connections one source address may hold on one endpoint (the endpoint's own cap is 4,096).</summary>
    public int MaxConnectionsPerSource { get; init; } = 64;

    /// <summary>Requests per second one source address may make that end unauthenticated (burst: five seconds' worth).</summary>
    public int PreAuthRequestsPerSecondPerSource { get; init; } = 20;

    public static SecurityConfig Defaults(string auditLog) =>
        new(TimeSpan.FromMinutes(30), 64, 5, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5), auditLog, null);
}
