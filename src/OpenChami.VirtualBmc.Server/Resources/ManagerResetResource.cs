using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Server.Security;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// Manager.Reset: restarts the endpoint's BMC, never a VM. The sessions opened through this endpoint end, each slot it
/// manages gets its host check (sysfs, bindings, root disk) and its domain reconcile again, which reread its power
/// state and boot override. Graceful and Force do the same: the BMC has no work in flight it could let finish.
/// Audited like every POST, with what the restart found.
/// </summary>
public static class ManagerResetResource
{
    public static readonly IReadOnlyList<string> ResetTypes = ["GracefulRestart", "ForceRestart"];

    private static readonly IReadOnlyList<BodyProperty> Parameters = [new("ResetType", JsonValueKind.String, AllowedValues: ResetTypes, Required: true)];

    /// <summary>The endpoint each session was opened through: a BMC's restart ends its own sessions only.</summary>
    private static readonly ConditionalWeakTable<Session, EndpointScope> Origins = new();

    private static readonly ConcurrentDictionary<EndpointScope, DateTimeOffset> LastResets = new(ReferenceEqualityComparer.Instance);

    public static void RecordOrigin(HttpContext context, Session session) => Origins.AddOrUpdate(session, RequestScope.Of(context));

    /// <summary>When this endpoint's BMC last (re)started: the service's start, or its latest Manager.Reset.</summary>
    public static DateTimeOffset LastReset(NodeState node, EndpointScope scope) => LastResets.GetValueOrDefault(scope, node.StartedAt);

    public static ManagerActions Actions => new(new ResetAction(Paths.ManagerReset, Paths.ManagerResetActionInfo, ResetTypes));

    public static ActionInfo ActionInfo => new(Paths.ManagerResetActionInfo, "#ActionInfo.v1_4_0.ActionInfo", "ResetActionInfo", "Manager Reset Action Info",
        [new ActionParameter("ResetType", true, "String", ResetTypes)]);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Managers/{managerId}/ResetActionInfo", "ActionInfo", context => IsOurManager(context)
            ? RedfishResponses.WriteAsync(context, ActionInfo, RedfishJsonContext.Wire.ActionInfo)
            : NotFound(context, "ActionInfo"));
        app.MapRedfishPost("/redfish/v1/Managers/{managerId}/Actions/Manager.Reset", "Manager", ResetAsync);
    }

    private static async Task ResetAsync(HttpContext context)
    {
        if (!IsOurManager(context))
        {
            await NotFound(context, "Manager");
            return;
        }
        using var body = await JsonBody.ReadActionOrAnswerAsync(context, "Manager.Reset", Parameters);
        if (body is null)
        {
            return;
        }
        var type = body.RootElement.GetProperty("ResetType").GetString();
        var node = RequestScope.Node(context);
        var scope = RequestScope.Of(context);
        var sessions = context.RequestServices.GetRequiredService<SessionStore>();
        var ended = 0;
        foreach (var session in sessions.Live.ToList())
        {
            if (Origins.TryGetValue(session, out var origin) && ReferenceEquals(origin, scope))
            {
                sessions.Remove(session);
                ended++;
            }
        }
        var found = new List<string>();
        foreach (var slot in scope.Slots)
        {
            if (node.Recheck is { } recheck)
            {
                found.Add(await recheck(slot, context.RequestAborted));
            }
        }
        LastResets[scope] = DateTimeOffset.UtcNow;
        var detail = $"{type}: {ended} session(s) ended; {string.Join("; ", found)}";
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("OpenChami.VirtualBmc.Server.ManagerReset").LogInformation("BMC reset: {Detail}", detail);
        context.Features.Get<Audit.AuditScope>()?.Detail = detail;
        context.RequestServices.GetRequiredService<Events.BmcEventLog>().Record(
            Events.BmcEventMessages.ManagerReset(type!, context.Features.Get<RequestIdentity>()?.UserName ?? "unknown", detail),
            scope.SlotName);
        RedfishResponses.NoContent(context);
    }

    private static bool IsOurManager(HttpContext context) => (string?)context.Request.RouteValues["managerId"] == Paths.ManagerId;

    private static Task NotFound(HttpContext context, string type) =>
        RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound(type, context.Request.Path.Value ?? ""));
}
