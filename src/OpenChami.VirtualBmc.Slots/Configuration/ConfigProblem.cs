using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>One thing wrong with a configuration file, where it is and a stable code tools can match on.</summary>
public sealed record ConfigProblem(SourceLocation Where, string Code, string Message)
{
    public override string ToString() => $"{Where}: error {Code}: {Message}";
}

/// <summary>Thrown when configuration cannot be used; carries every problem found, not just the first.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigProblem> problems)
        : base(string.Join(Environment.NewLine, problems))
    {
        Problems = problems;
    }

    public ConfigException() : this([]) { }

    public ConfigException(string message) : base(message) => Problems = [];

    public ConfigException(string message, Exception inner) : base(message, inner) => Problems = [];

    public IReadOnlyList<ConfigProblem> Problems { get; } = [];
}

/// <summary>Stable problem codes: documented in docs/configuration.md, matched by tests and tools.</summary>
/// <summary>Something in a valid configuration an operator should look at: printed by validate, logged by serve.</summary>
public sealed record ConfigWarning(SourceLocation Where, string Code, string Message)
{
    public override string ToString() => $"{Where}: warning {Code}: {Message}";

    public static IReadOnlyList<ConfigWarning> Of(SiteConfiguration site) =>
    [
        .. site.Slots.Where(s => s.Host.Ipv4.Count == 0).Select(s => new ConfigWarning(s.Host.Where, ProblemCodes.NoPlannedIpv4,
            $"slot '{s.Name}' has no planned IPv4 address on any interface (ipv4:): OpenCHAMI's SMD maps a node's MAC addresses to it only through interfaces with an address, so this slot's NICs stay unmatched; add the address OpenCHAMI plans for its management interface")),
    ];
}

public static class ProblemCodes
{
    public const string NoPlannedIpv4 = "no-planned-ipv4";
    public const string FileNotFound = "file-not-found";
    public const string YamlSyntax = "yaml-syntax";
    public const string DuplicateKey = "duplicate-key";
    public const string UnknownKey = "unknown-key";
    public const string MissingKey = "missing-key";
    public const string WrongType = "wrong-type";
    public const string InvalidValue = "invalid-value";
    public const string DuplicateName = "duplicate-name";
    public const string DeviceKindMode = "device-kind-mode";
    public const string SelectorShape = "selector-shape";
    public const string SelectorConflict = "selector-conflict";
    public const string UnknownLabel = "unknown-label";
    public const string DeviceAssignedTwice = "device-assigned-twice";
    public const string NumaNodeUnknown = "numa-node-unknown";
    public const string Overcommit = "overcommit";
    public const string UnknownSlot = "unknown-slot";
    public const string MissingSlot = "missing-slot";
    public const string EndpointConflict = "endpoint-conflict";
    public const string UnknownInterface = "unknown-interface";
    public const string IdentityConflict = "identity-conflict";
    public const string DemoPassword = "demo-password";
    public const string TlsUnreadable = "tls-unreadable";
    public const string TlsInvalid = "tls-invalid";
    public const string TlsKeyMismatch = "tls-key-mismatch";
}
