using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>AccountService, its accounts (from the accounts file) and the three predefined roles. Read side.</summary>
public static class AccountServiceResource
{
    public static AccountService Build(SecurityConfig security) => new(
        Paths.AccountService, "#AccountService.v1_10_0.AccountService", "AccountService", "Account Service", true,
        AuthFailureLoggingThreshold: 1, AccountLockoutThreshold: security.LockoutThreshold,
        AccountLockoutDuration: (int)security.LockoutDuration.TotalSeconds, AccountLockoutCounterResetAfter: (int)security.LockoutWindow.TotalSeconds,
        MinPasswordLength: 12, Status.EnabledOk, new ODataId(Paths.Accounts), new ODataId(Paths.Roles));

    public static ManagerAccount Account(Account account) => new(
        Paths.Account(account.UserName), "#ManagerAccount.v1_8_0.ManagerAccount", account.UserName, $"Account {account.UserName}",
        account.UserName, account.Role.ToString(), account.Enabled, false, ["Redfish"], new ManagerAccountLinks(new ODataId(Paths.Role(account.Role.ToString()))));

    public static Role Role(AccountRole role) => new(
        Paths.Role(role.ToString()), "#Role.v1_2_1.Role", role.ToString(), $"{role} role", role.ToString(), true,
        PredefinedRoles.PrivilegesOf(role.ToString()).Select(p => p.ToString()).ToList());

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet(Paths.AccountService, "AccountService", context =>
            RedfishResponses.WriteAsync(context, Build(RequestScope.Node(context).Site.Host.Security), RedfishJsonContext.Wire.AccountService));
        app.MapRedfishGet(Paths.Accounts, "ManagerAccountCollection", context =>
            RedfishResponses.WriteAsync(context,
                ResourceCollection.Of(Paths.Accounts, "#ManagerAccountCollection.ManagerAccountCollection", "Accounts",
                    RequestScope.Node(context).Accounts.Select(a => Paths.Account(a.UserName))),
                RedfishJsonContext.Wire.ResourceCollection));
        app.MapRedfishGet("/redfish/v1/AccountService/Accounts/{user}", "ManagerAccount", context =>
        {
            var user = (string)context.Request.RouteValues["user"]!;
            var account = RequestScope.Node(context).Accounts.FirstOrDefault(a => a.UserName == user);
            var identity = context.Features.Get<RequestIdentity>();
            // ConfigureSelf reaches only one's own account; ConfigureUsers/ConfigureManager reach all.
            if (identity is not null && !identity.Has(Privilege.ConfigureUsers) && !identity.Has(Privilege.ConfigureManager) && identity.UserName != user)
            {
                return RedfishResponses.WriteErrorAsync(context, BaseMessages.InsufficientPrivilege());
            }
            return account is null
                ? RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("ManagerAccount", user))
                : RedfishResponses.WriteAsync(context, Account(account), RedfishJsonContext.Wire.ManagerAccount);
        });
        app.MapRedfishGet(Paths.Roles, "RoleCollection", context =>
            RedfishResponses.WriteAsync(context,
                ResourceCollection.Of(Paths.Roles, "#RoleCollection.RoleCollection", "Roles", Enum.GetValues<AccountRole>().Select(r => Paths.Role(r.ToString()))),
                RedfishJsonContext.Wire.ResourceCollection));
        app.MapRedfishGet("/redfish/v1/AccountService/Roles/{role}", "Role", context =>
        {
            var name = (string)context.Request.RouteValues["role"]!;
            return Enum.TryParse<AccountRole>(name, ignoreCase: false, out var role) && Enum.IsDefined(role)
                ? RedfishResponses.WriteAsync(context, Role(role), RedfishJsonContext.Wire.Role)
                : RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("Role", name));
        });
    }
}
