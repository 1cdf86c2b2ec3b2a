using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Protocol;

/// <summary>
/// What every Redfish route declares: the registry entity it serves and so, through the DMTF privilege registry,
/// the privileges an operation on it needs. A test walks the endpoint table and fails on a route without one.
/// </summary>
/// <param name="RequiredRole">
/// When set, only this role may call the route, on top of the registry's privileges. The OEM disk actions use it:
/// the registry has no entry for them, and "the privileges of ComputerSystem POST" would let an Operator reimage.
/// </param>
public sealed record RedfishRouteInfo(string Entity, string Method, Privilege[][] Privileges, bool IsLogin = false, AccountRole? RequiredRole = null)
{
    public bool IsAnonymous => Privileges.Any(set => set.All(p => p == Privilege.NoAuth));
}

public static class RedfishRoutes
{
    /// <summary>GET (and HEAD, which answers the same headers without a body).</summary>
    public static IEndpointConventionBuilder MapRedfishGet(this IEndpointRouteBuilder app, string template, string entity, RequestDelegate handler) =>
        app.MapMethods(template, ["GET", "HEAD"], handler).WithMetadata(Info(entity, "GET"));

    /// <summary>GET (and HEAD) that only the Administrator role may call: the audit trail names every account's actions.</summary>
    public static IEndpointConventionBuilder MapRedfishAdministratorGet(this IEndpointRouteBuilder app, string template, string entity, RequestDelegate handler) =>
        app.MapMethods(template, ["GET", "HEAD"], handler).WithMetadata(Info(entity, "GET") with { RequiredRole = AccountRole.Administrator });

    public static IEndpointConventionBuilder MapRedfishPost(this IEndpointRouteBuilder app, string template, string entity, RequestDelegate handler) =>
        app.MapMethods(template, ["POST"], handler).WithMetadata(Info(entity, "POST"));

    /// <summary>
    /// POST to the Sessions collection: the registry asks for Login, which the handler proves itself from the
    /// credentials in the body (DSP0266 §13.3.4: login needs no prior authentication).
    /// </summary>
    public static IEndpointConventionBuilder MapRedfishLogin(this IEndpointRouteBuilder app, string template, RequestDelegate handler) =>
        app.MapMethods(template, ["POST"], handler).WithMetadata(Info("SessionCollection", "POST") with { IsLogin = true });

    /// <summary>POST that only the Administrator role may call (besides the entity's registry privileges).</summary>
    public static IEndpointConventionBuilder MapRedfishAdministratorPost(this IEndpointRouteBuilder app, string template, string entity, RequestDelegate handler) =>
        app.MapMethods(template, ["POST"], handler).WithMetadata(Info(entity, "POST") with { RequiredRole = AccountRole.Administrator });

    public static IEndpointConventionBuilder MapRedfishPatch(this IEndpointRouteBuilder app, string template, string entity, RequestDelegate handler) =>
        app.MapMethods(template, ["PATCH"], handler).WithMetadata(Info(entity, "PATCH"));

    /// <summary>
    /// PATCH of a ManagerAccount: the registry's ConfigureUsers, or ConfigureSelf — its property override for Password
    /// (a user changes their own password). The handler limits ConfigureSelf to Password on one's own account.
    /// </summary>
    public static IEndpointConventionBuilder MapRedfishAccountPatch(this IEndpointRouteBuilder app, string template, RequestDelegate handler) =>
        app.MapMethods(template, ["PATCH"], handler).WithMetadata(Info("ManagerAccount", "PATCH") is var info
            ? info with { Privileges = [.. info.Privileges, [Privilege.ConfigureSelf]] }
            : null!);

    public static IEndpointConventionBuilder MapRedfishDelete(this IEndpointRouteBuilder app, string template, string entity, RequestDelegate handler) =>
        app.MapMethods(template, ["DELETE"], handler).WithMetadata(Info(entity, "DELETE"));

    private static RedfishRouteInfo Info(string entity, string method)
    {
        var privileges = PrivilegeRegistry.Required(entity, method);
        if (privileges.Length == 0)
        {
            throw new InvalidOperationException($"the privilege registry has no {method} for entity {entity}: every route needs a privilege");
        }
        return new RedfishRouteInfo(entity, method, privileges);
    }
}
