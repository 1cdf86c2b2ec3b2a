namespace OpenChami.VirtualBmc.Redfish;

/// <summary>The privileges of the DMTF privilege registry. NoAuth marks operations open to anyone (ServiceRoot, login).</summary>
public enum Privilege { NoAuth, Login, ConfigureManager, ConfigureUsers, ConfigureComponents, ConfigureSelf }

/// <summary>For one entity, the privilege sets per HTTP operation: any one set allows it; a set needs all its privileges.</summary>
public sealed record EntityPrivileges(
    Privilege[][] Get,
    Privilege[][] Head,
    Privilege[][] Patch,
    Privilege[][] Post,
    Privilege[][] Put,
    Privilege[][] Delete)
{
    public Privilege[][] For(string method) => method.ToUpperInvariant() switch
    {
        "GET" => Get,
        "HEAD" => Head,
        "PATCH" => Patch,
        "POST" => Post,
        "PUT" => Put,
        "DELETE" => Delete,
        _ => [],
    };
}

public static partial class PrivilegeRegistry
{
    /// <summary>The privilege sets for an operation on an entity; empty when the registry does not list it.</summary>
    public static Privilege[][] Required(string entity, string method) =>
        Entities.TryGetValue(entity, out var entry) ? entry.For(method) : [];

    public static bool Knows(string entity) => Entities.ContainsKey(entity);

    /// <summary>True when the held privileges satisfy at least one of the sets (an operation with no sets is refused).</summary>
    public static bool Allows(IReadOnlyCollection<Privilege> held, Privilege[][] sets) =>
        sets.Any(set => set.All(p => p == Privilege.NoAuth || held.Contains(p)));
}

/// <summary>The predefined roles of DSP0266 (Administrator, Operator, ReadOnly) and the privileges each holds.</summary>
public static class PredefinedRoles
{
    private static readonly IReadOnlyList<Privilege> Administrator =
        [Privilege.Login, Privilege.ConfigureManager, Privilege.ConfigureUsers, Privilege.ConfigureSelf, Privilege.ConfigureComponents];

    private static readonly IReadOnlyList<Privilege> Operator = [Privilege.Login, Privilege.ConfigureSelf, Privilege.ConfigureComponents];

    private static readonly IReadOnlyList<Privilege> ReadOnly = [Privilege.Login, Privilege.ConfigureSelf];

    /// <summary>The privileges of the predefined role <paramref name="roleId"/>; none for any other id.</summary>
    public static IReadOnlyList<Privilege> PrivilegesOf(string roleId) => roleId switch
    {
        nameof(Administrator) => Administrator,
        nameof(Operator) => Operator,
        nameof(ReadOnly) => ReadOnly,
        _ => [],
    };
}
