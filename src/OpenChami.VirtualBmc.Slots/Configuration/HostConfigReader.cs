using System.Net;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>Maps a schema-valid host tree to <see cref="HostConfig"/>; values the schema cannot type (IPs) are checked here.</summary>
internal static class HostConfigReader
{
    public static HostConfig Read(TreeReader root, List<ConfigProblem> problems)
    {
        var metadata = root["cloudInit"].String("metadataUrl");
        return new HostConfig(
            root.String("hostId")!,
            root.String("nodeType")!,
            root.String("sysfsRoot") ?? "/",
            root.String("stateDirectory") ?? "state",
            root.String("inventoryExport"),
            root["libvirt"].String("uri") ?? "qemu:///system",
            root["libvirt"].String("domainType") ?? "kvm",
            root["libvirt"].String("domainPrefix") ?? "vbmc-",
            root["binding"].Bool("allowManagedDetach") ?? false,
            metadata is null ? null : new Uri(metadata),
            root["images"].String("catalog"),
            root.String("accountsFile"),
            root.Has("hostEndpoint") ? new BmcEndpoint(ParseIp(root["hostEndpoint"]["address"], problems), root["hostEndpoint"].Int("port") ?? 443, root["hostEndpoint"].Where) : null,
            root.Has("admin") ? new BmcEndpoint(ParseIp(root["admin"]["address"], problems), root["admin"].Int("port")!.Value, root["admin"].Where) : null,
            ReadMedia(root["virtualMedia"]),
            root.Has("tls") ? new TlsConfig(root["tls"].String("certificate")!, root["tls"].String("key")!, root["tls"].Bool("generateSelfSigned") ?? false) : null,
            root.Bool("insecurePlainHttp") ?? false,
            ReadSecurity(root["security"], problems),
            root["slots"].Items().Select(s => ReadSlot(s, problems)).ToList(),
            root.Where)
        {
            BaseImageMaxBytes = (root["images"].Int("maxImageGiB") ?? 64) * OpenChami.VirtualBmc.Slots.Media.ImageFetchOptions.GiB,
            BaseImageCacheMaxBytes = (root["images"].Int("cacheMaxGiB") ?? 256) * OpenChami.VirtualBmc.Slots.Media.ImageFetchOptions.GiB,
            SerialLogDirectory = root["libvirt"].String("serialLogDirectory"),
            Console = ReadConsole(root["console"]),
        };
    }

    private static ConsoleConfig ReadConsole(TreeReader c)
    {
        var defaults = new ConsoleConfig();
        return defaults with
        {
            Enabled = c.Bool("enabled") ?? defaults.Enabled,
            SshPort = c.Int("sshPort") ?? defaults.SshPort,
            IdleTimeout = c.Int("idleTimeoutMinutes") is { } idle ? TimeSpan.FromMinutes(idle) : defaults.IdleTimeout,
            LoginGrace = c.Int("loginGraceSeconds") is { } grace ? TimeSpan.FromSeconds(grace) : defaults.LoginGrace,
            MaxSessionsPerSlot = c.Int("maxSessionsPerSlot") ?? defaults.MaxSessionsPerSlot,
            MaxSessionsPerAccount = c.Int("maxSessionsPerAccount") ?? defaults.MaxSessionsPerAccount,
            MaxUnauthenticated = c.Int("maxUnauthenticated") ?? defaults.MaxUnauthenticated,
            LogLines = c.Int("logLines") ?? defaults.LogLines,
        };
    }

    private static OpenChami.VirtualBmc.Slots.Media.ImageFetchOptions ReadMedia(TreeReader m) => new()
    {
        CacheDirectory = m.String("cacheDirectory") ?? "media-cache",
        AllowedHosts = m["allowedHosts"].Items().Select(i => i.AsString()!).ToList(),
        AllowPrivateNetworks = m.Bool("allowPrivateNetworks") ?? false,
        AllowLoopback = m.Bool("insecureAllowLoopback") ?? false,
        VerifyTls = !(m.Bool("insecureSkipTlsVerify") ?? false),
        MaxBytes = (m.Int("maxImageGiB") ?? 8) * OpenChami.VirtualBmc.Slots.Media.ImageFetchOptions.GiB,
        CacheMaxBytes = (m.Int("cacheMaxGiB") ?? 32) * OpenChami.VirtualBmc.Slots.Media.ImageFetchOptions.GiB,
        RequireIso9660 = m.Bool("requireIso9660") ?? true,
    };

    private static SecurityConfig ReadSecurity(TreeReader s, List<ConfigProblem> problems)
    {
        InsecureAnonymousAccess? anonymous = null;
        if (s.Has("insecureAnonymous"))
        {
            var a = s["insecureAnonymous"];
            var networks = new List<IpNetwork>();
            foreach (var item in a["networks"].Items())
            {
                var text = item.AsString()!;
                var slash = text.IndexOf('/', StringComparison.Ordinal);
                var length = int.Parse(text[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                if (!IPAddress.TryParse(text[..slash], out var prefix) || length > (prefix.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))
                {
                    problems.Add(new ConfigProblem(item.Where, ProblemCodes.InvalidValue, $"'{text}' is not a network in CIDR form (e.g. 10.1.0.0/16)"));
                    continue;
                }
                networks.Add(new IpNetwork(prefix, length));
            }
            anonymous = new InsecureAnonymousAccess(networks, Enum.Parse<AccountRole>(a.String("role")!));
        }
        var defaults = SecurityConfig.Defaults(s.String("auditLog") ?? "audit.jsonl");
        return defaults with
        {
            SessionTimeout = s.Int("sessionTimeoutMinutes") is { } m ? TimeSpan.FromMinutes(m) : defaults.SessionTimeout,
            MaxSessions = s.Int("maxSessions") ?? defaults.MaxSessions,
            LockoutThreshold = s.Int("lockoutThreshold") ?? defaults.LockoutThreshold,
            LockoutWindow = s.Int("lockoutWindowSeconds") is { } w ? TimeSpan.FromSeconds(w) : defaults.LockoutWindow,
            LockoutDuration = s.Int("lockoutDurationSeconds") is { } d ? TimeSpan.FromSeconds(d) : defaults.LockoutDuration,
            CredentialCacheLifetime = s.Int("credentialCacheSeconds") is { } c ? TimeSpan.FromSeconds(c) : defaults.CredentialCacheLifetime,
            InsecureAnonymous = anonymous,
            MaxSessionsPerAccount = s.Int("maxSessionsPerAccount") ?? defaults.MaxSessionsPerAccount,
            MaxConnectionsPerSource = s.Int("maxConnectionsPerSource") ?? defaults.MaxConnectionsPerSource,
            PreAuthRequestsPerSecondPerSource = s.Int("preAuthRequestsPerSecondPerSource") ?? defaults.PreAuthRequestsPerSecondPerSource,
        };
    }

    private static HostSlot ReadSlot(TreeReader s, List<ConfigProblem> problems)
    {
        var bmc = s["bmc"];
        var identity = s["identity"];
        var cloudInit = s["cloudInit"];
        var macs = new Dictionary<string, MacAddress>(StringComparer.Ordinal);
        foreach (var (name, value) in identity["macAddresses"].Members())
        {
            var mac = MacAddress.Parse(value.AsString()!);
            if (mac.IsMulticast)
            {
                problems.Add(new ConfigProblem(value.Where, ProblemCodes.InvalidValue, $"MAC {mac} of '{name}' is a multicast address; a NIC needs a unicast MAC (even first octet)"));
            }
            macs[name] = mac;
        }
        var address = ParseIp(bmc["address"], problems);
        var metadata = cloudInit.String("metadataUrl");
        return new HostSlot(
            s.String("name")!,
            new BmcEndpoint(address, bmc.Int("port") ?? 443, bmc.Where),
            identity.String("uuid") is { } uuid ? Guid.Parse(uuid) : null,
            identity.String("serialNumber"),
            macs,
            s["ipv4"].Items().Select(a => ReadPlanned(a, problems)).ToList(),
            cloudInit.String("instanceId"),
            cloudInit.String("hostname"),
            metadata is null ? null : new Uri(metadata),
            s.String("image"),
            s.String("systemType") == "Virtual" ? SystemType.Virtual : SystemType.Physical,
            s.Where)
        {
            ImageWhere = s.Has("image") ? s.KeyWhere("image") : null,
        };
    }

    private static PlannedAddress ReadPlanned(TreeReader a, List<ConfigProblem> problems)
    {
        var text = a.String("address")!;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var prefix = int.Parse(text[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        if (!IPAddress.TryParse(text[..slash], out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || prefix > 32)
        {
            problems.Add(new ConfigProblem(a["address"].Where, ProblemCodes.InvalidValue, $"'{text}' is not an IPv4 address with a prefix length (e.g. 10.1.0.10/16)"));
            ip = IPAddress.None;
        }
        IPAddress? gateway = null;
        if (a.String("gateway") is { } g && !IPAddress.TryParse(g, out gateway))
        {
            problems.Add(new ConfigProblem(a["gateway"].Where, ProblemCodes.InvalidValue, $"gateway '{g}' is not an IPv4 address"));
        }
        return new PlannedAddress(a.String("interface")!, ip, prefix, gateway, a.Where);
    }

    private static IPAddress ParseIp(TreeReader value, List<ConfigProblem> problems)
    {
        var text = value.AsString()!;
        // IPAddress.TryParse accepts "10" or "0x7f.1"; a BMC address must be written out in full.
        if (IPAddress.TryParse(text, out var ip) && (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || text.Count(c => c == '.') == 3))
        {
            return ip;
        }
        problems.Add(new ConfigProblem(value.Where, ProblemCodes.InvalidValue, $"bmc address '{text}' is not an IP address (e.g. 10.254.1.10 or fd00::10)"));
        return IPAddress.None;
    }
}
