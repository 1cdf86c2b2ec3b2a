using System.Globalization;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Events;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// /redfish/v1/Managers/BMC/LogServices: the BMC's EventLog (what the service did and found; ClearLog, audited like
/// every POST, leaves one entry saying who cleared it) and its AuditLog (<see cref="AuditLogResource"/>, listed for
/// Administrators only, the only role that may read it, so a client walking the collection is never refused).
/// A slot endpoint shows its slot's events and the service-wide ones; the host endpoint shows all.
/// </summary>
public static class ManagerLogServicesResource
{
    public const string EventLogId = "EventLog";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet(Paths.ManagerLogServices, "LogServiceCollection", context =>
        {
            var members = new List<string> { Paths.ManagerLogService(EventLogId) };
            if (context.Features.Get<RequestIdentity>()?.Role == AccountRole.Administrator)
            {
                members.Add(Paths.ManagerLogService(AuditLogResource.ServiceId));
            }
            return RedfishResponses.WriteAsync(context, ResourceCollection.Of(Paths.ManagerLogServices, "#LogServiceCollection.LogServiceCollection",
                "BMC Log Service Collection", members), RedfishJsonContext.Wire.ResourceCollection);
        });
        app.MapRedfishGet(Paths.ManagerLogService(EventLogId), "LogService", context =>
            RedfishResponses.WriteAsync(context, Service(Log(context)), RedfishJsonContext.Wire.LogService));
        app.MapRedfishGet(Paths.ManagerLogEntries(EventLogId), "LogEntryCollection", context =>
        {
            var entries = Visible(context).Select(Entry).ToList();
            return RedfishResponses.WriteAsync(context, new LogEntryCollection(Paths.ManagerLogEntries(EventLogId), "#LogEntryCollection.LogEntryCollection",
                "Event Log Entries", entries.Count, entries) { Description = "BMC event log: service start and stop, reloads, host-check findings, BMC resets, lockouts" }, RedfishJsonContext.Wire.LogEntryCollection);
        });
        app.MapRedfishGet(Paths.ManagerLogEntries(EventLogId) + "/{entry}", "LogEntry", context =>
        {
            var id = (string?)context.Request.RouteValues["entry"] ?? "";
            return long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && Visible(context).FirstOrDefault(e => e.Id == n) is { } entry
                ? RedfishResponses.WriteAsync(context, Entry(entry), RedfishJsonContext.Wire.LogEntry)
                : RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("LogEntry", id));
        });
        app.MapRedfishPost(Paths.ManagerClearLog(EventLogId), "LogService", async context =>
        {
            using var document = await JsonBody.ReadActionOrAnswerAsync(context, "LogService.ClearLog", []);
            if (document is null)
            {
                return;
            }
            var scope = RequestScope.Of(context);
            var user = context.Features.Get<RequestIdentity>()?.UserName ?? "unknown";
            Log(context).Clear(e => scope.Shows(e.Slot), user, scope.SlotName);
            context.Features.Get<Audit.AuditScope>()?.Detail = "event log cleared";
            RedfishResponses.NoContent(context);
        });
        AuditLogResource.Map(app);
    }

    private static BmcEventLog Log(HttpContext context) => context.RequestServices.GetRequiredService<BmcEventLog>();

    private static IEnumerable<BmcEvent> Visible(HttpContext context)
    {
        var scope = RequestScope.Of(context);
        return Log(context).Entries.Where(e => scope.Shows(e.Slot));
    }

    private static LogService Service(BmcEventLog log) => new(
        Paths.ManagerLogService(EventLogId),
        "#LogService.v1_5_0.LogService",
        EventLogId,
        "Event Log",
        "What the BMC service did and found: starts and stops, configuration reloads, host-check findings, BMC resets, account lockouts",
        true,
        log.Capacity,
        "WrapsWhenFull",
        "Event",
        DateTimeOffset.UtcNow,
        Status.EnabledOk,
        new ODataId(Paths.ManagerLogEntries(EventLogId)),
        new LogServiceActions(new ActionTarget(Paths.ManagerClearLog(EventLogId))));

    private static LogEntry Entry(BmcEvent e)
    {
        var id = e.Id.ToString(CultureInfo.InvariantCulture);
        return new LogEntry(Paths.ManagerLogEntry(EventLogId, id), "#LogEntry.v1_16_0.LogEntry", id, "Event " + id, "Event", null, e.Severity, e.Created, e.Message)
        {
            MessageId = e.MessageId,
            // An argument that has no value (a finding on no one device) is "none": Redfish wants no empty strings.
            MessageArgs = e.MessageArgs.Select(a => a.Length == 0 ? "none" : a).ToList(),
        };
    }
}
