using System.Net;

namespace OpenChami.VirtualBmc.Slots.Media;

/// <summary>The virtual-media download policy. Defaults are the safe ones; see docs/virtual-media.md.</summary>
public sealed record ImageFetchOptions
{
    public const long GiB = 1024L * 1024 * 1024;

    /// <summary>Directory owned by the service where complete images are stored (and temp files are written).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>Lower-case URL schemes accepted. Only http and https are implemented.</summary>
    public IReadOnlyList<string> AllowedSchemes { get; init; } = ["http", "https"];

    /// <summary>
    /// Exact host names (case-insensitive) and CIDR ranges ("10.1.0.0/16", "fd00::/8"). Empty = any host whose
    /// address is public. An address inside a listed CIDR range is allowed whatever its class; a listed host name
    /// still needs its resolved addresses to pass the class checks.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Allow RFC 1918, CGNAT 100.64/10, ULA fc00::/7 and site-local addresses.</summary>
    public bool AllowPrivateNetworks { get; init; }

    /// <summary>Allow 127/8 and ::1. For tests and demos only.</summary>
    public bool AllowLoopback { get; init; }

    /// <summary>Verify the image server's TLS certificate. Turning this off is an administrator decision.</summary>
    public bool VerifyTls { get; init; } = true;

    /// <summary>Send UserName/Password (HTTP Basic) over plain http. Off: credentials require https.</summary>
    public bool AllowCredentialsOverHttp { get; init; }

    /// <summary>Require the ISO 9660 signature "CD001" at offset 0x8001.</summary>
    public bool RequireIso9660 { get; init; } = true;

    public long MaxBytes { get; init; } = 8 * GiB;

    public long CacheMaxBytes { get; init; } = 32 * GiB;

    public int MaxRedirects { get; init; } = 5;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait for the next body bytes.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whole fetch including redirects and the body.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Name resolution; null = the system resolver. Called once per host and fetch; the result is pinned.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>>? Resolver { get; init; }
}
