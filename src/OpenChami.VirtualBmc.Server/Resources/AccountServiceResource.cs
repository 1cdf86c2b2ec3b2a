using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// AccountService, its accounts and the three predefined roles. Administrators (ConfigureUsers) create, change and
/// delete accounts; every user changes their own password (ConfigureSelf). Changes go through <see cref="AccountDirectory"/>.
/// </summary>
public static class AccountServiceResource
{
    private static readonly string[] RoleNames = Enum.GetNames<AccountRole>();

    private static readonly IReadOnlyList<BodyProperty> CreateProperties =
    [
        new("UserName", JsonValueKind.String, Required: true),
        new("Password", JsonValueKind.String, Required: true),
        new("RoleId", JsonValueKind.String, AllowedValues: RoleNames, Required: true),
        new("Enabled", JsonValueKind.True),
        new("PasswordChangeRequired", JsonValueKind.True),
        new("AccountTypes", JsonValueKind.Array),
    ];

    private static readonly IReadOnlyList<BodyProperty> PatchProperties =
    [
        new("Password", JsonValueKind.String),
        new("RoleId", JsonValueKind.String, AllowedValues: RoleNames),
        new("Enabled", JsonValueKind.True),
        new("Locked", JsonValueKind.True),
        new("PasswordChangeRequired", JsonValueKind.True),
        .. new[] { "Id", "Name", "Description", "UserName", "AccountTypes", "Links" }.Select(n => new BodyProperty(n, JsonValueKind.Undefined, Writable: false)),
    ];

    public static AccountService Build(SecurityConfig security) => new(
        Paths.AccountService, "#AccountService.v1_10_0.AccountService", "AccountService", "Account Service", true,
        AuthFailureLoggingThreshold: 1, AccountLockoutThreshold: security.LockoutThreshold,
        AccountLockoutDuration: (int)security.LockoutDuration.TotalSeconds, AccountLockoutCounterResetAfter: (int)security.LockoutWindow.TotalSeconds,
        MinPasswordLength: AccountDirectory.MinPasswordLength, Status.EnabledOk, new ODataId(Paths.Accounts), new ODataId(Paths.Roles))
    {
        MaxPasswordLength = AccountDirectory.MaxPasswordLength,
    };

    public static ManagerAccount Account(Account account, bool locked) => new(
        Paths.Account(account.UserName), "#ManagerAccount.v1_8_0.ManagerAccount", account.UserName, $"Account {account.UserName}",
        account.UserName, account.Role.ToString(), account.Enabled, locked, ["Redfish"], new ManagerAccountLinks(new ODataId(Paths.Role(account.Role.ToString()))))
    {
        PasswordChangeRequired = account.PasswordChangeRequired,
    };

    private static ManagerAccount AccountOf(HttpContext context, Account account) =>
        Account(account, context.RequestServices.GetRequiredService<Authenticator>().IsLocked(account.UserName));

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
                : RedfishResponses.WriteAsync(context, AccountOf(context, account), RedfishJsonContext.Wire.ManagerAccount);
        });
        app.MapRedfishPost(Paths.Accounts, "ManagerAccountCollection", CreateAsync);
        // DSP0266: a collection that accepts POST accepts it at its Members property too.
        app.MapRedfishPost(Paths.Accounts + "/Members", "ManagerAccountCollection", CreateAsync);
        app.MapRedfishAccountPatch("/redfish/v1/AccountService/Accounts/{user}", PatchAsync);
        app.MapRedfishDelete("/redfish/v1/AccountService/Accounts/{user}", "ManagerAccount", DeleteAsync);
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

    private static async Task CreateAsync(HttpContext context)
    {
        using var document = await JsonBody.ReadOrAnswerAsync(context);
        if (document is null)
        {
            return;
        }
        var body = document.RootElement;
        var problems = JsonBody.CheckCreate(body, CreateProperties);
        if (body.TryGetProperty("UserName", out var name) && name.ValueKind == JsonValueKind.String && !AccountDirectory.IsValidUserName(name.GetString()!))
        {
            problems.Add(BaseMessages.PropertyValueFormatError(name.GetString()!, "UserName"));
        }
        if (body.TryGetProperty("AccountTypes", out var types) && types.ValueKind == JsonValueKind.Array
            && types.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String || t.GetString() != "Redfish"))
        {
            problems.Add(BaseMessages.PropertyValueNotInList(types.GetRawText(), "AccountTypes"));
        }
        if (problems.Count > 0)
        {
            await RedfishResponses.WriteErrorAsync(context, problems);
            return;
        }
        var user = name.GetString()!;
        var outcome = await context.RequestServices.GetRequiredService<AccountDirectory>().CreateAsync(user, body.GetProperty("Password").GetString()!,
            Enum.Parse<AccountRole>(body.GetProperty("RoleId").GetString()!),
            !body.TryGetProperty("Enabled", out var enabled) || enabled.GetBoolean(),
            body.TryGetProperty("PasswordChangeRequired", out var required) && required.GetBoolean());
        if (outcome.Problems.Count > 0)
        {
            await RedfishResponses.WriteErrorAsync(context, outcome.Problems);
            return;
        }
        context.Features.Get<Audit.AuditScope>()?.Detail = $"account {user} created, role {outcome.Account!.Role}"; // the outcome line says what was done
        context.Response.Headers.Location = Paths.Account(user);
        await RedfishResponses.WriteAsync(context, AccountOf(context, outcome.Account!), RedfishJsonContext.Wire.ManagerAccount, StatusCodes.Status201Created);
    }

    /// <summary>
    /// ConfigureUsers changes any account; without it (ConfigureSelf), only the Password of one's own, and another's
    /// account is 403 like any privilege refusal. A locked account is unlocked with Locked: false (true is not settable).
    /// </summary>
    private static async Task PatchAsync(HttpContext context)
    {
        var user = (string)context.Request.RouteValues["user"]!;
        var identity = context.Features.GetRequiredFeature<RequestIdentity>();
        var manager = identity.Has(Privilege.ConfigureUsers);
        var directory = context.RequestServices.GetRequiredService<AccountDirectory>();
        if (!manager && identity.UserName != user)
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.InsufficientPrivilege());
            return;
        }
        if (directory.Find(user) is not { } current)
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("ManagerAccount", user));
            return;
        }
        using var document = await JsonBody.ReadOrAnswerAsync(context);
        if (document is null)
        {
            return;
        }
        var body = document.RootElement;
        var problems = JsonBody.CheckPatch(body, PatchProperties);
        if (body.TryGetProperty("Locked", out var locked) && locked.ValueKind == JsonValueKind.True)
        {
            problems.Add(BaseMessages.PropertyValueNotInList("true", "Locked"));
        }
        if (problems.Count > 0)
        {
            await RedfishResponses.WriteErrorAsync(context, problems);
            return;
        }
        if (!manager && body.EnumerateObject().Any(p => p.Name != "Password" && !p.Name.StartsWith("@odata.", StringComparison.Ordinal)))
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.InsufficientPrivilege());
            return;
        }
        var currentETag = RedfishResponses.ETagOf(JsonSerializer.SerializeToUtf8Bytes(AccountOf(context, current), RedfishJsonContext.Wire.ManagerAccount));
        if (!RedfishResponses.IfMatchHolds(context.Request, currentETag))
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.PreconditionFailed());
            return;
        }
        var edit = new AccountEdit(
            body.TryGetProperty("Password", out var password) ? password.GetString() : null,
            body.TryGetProperty("RoleId", out var role) ? Enum.Parse<AccountRole>(role.GetString()!) : null,
            body.TryGetProperty("Enabled", out var enabled) ? enabled.GetBoolean() : null,
            body.TryGetProperty("PasswordChangeRequired", out var required) ? required.GetBoolean() : null);
        var changed = string.Join(", ", body.EnumerateObject().Where(p => !p.Name.StartsWith('@')).Select(p => p.Name));
        Account updated = current;
        if (edit != new AccountEdit())
        {
            var outcome = await directory.EditAsync(user, edit, selfService: identity.UserName == user);
            if (outcome.Problems.Count > 0)
            {
                await RedfishResponses.WriteErrorAsync(context, outcome.Problems);
                return;
            }
            updated = outcome.Account!;
            // The session that set its own new password goes on; the account's other sessions end at their next use.
            if (edit.Password is not null && identity.SessionId is { } sessionId && identity.UserName == user)
            {
                context.RequestServices.GetRequiredService<SessionStore>().Rebind(sessionId, updated);
            }
        }
        if (body.TryGetProperty("Locked", out _))
        {
            context.RequestServices.GetRequiredService<Authenticator>().Unlock(user);
        }
        context.Features.Get<Audit.AuditScope>()?.Detail = $"account {user}: {changed}";
        await RedfishResponses.WriteAsync(context, AccountOf(context, updated), RedfishJsonContext.Wire.ManagerAccount);
    }

    private static async Task DeleteAsync(HttpContext context)
    {
        var user = (string)context.Request.RouteValues["user"]!;
        var outcome = await context.RequestServices.GetRequiredService<AccountDirectory>().DeleteAsync(user);
        if (outcome.Problems.Count > 0)
        {
            await RedfishResponses.WriteErrorAsync(context, outcome.Problems);
            return;
        }
        context.Features.Get<Audit.AuditScope>()?.Detail = $"account {user} deleted";
        RedfishResponses.NoContent(context);
    }
}
