using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>Who a request acts as, and how it proved it.</summary>
public sealed record RequestIdentity(string UserName, AccountRole Role, IReadOnlyList<Privilege> Privileges, string Via, string? SessionId = null)
{
    public bool Has(Privilege privilege) => Privileges.Contains(privilege);
}
