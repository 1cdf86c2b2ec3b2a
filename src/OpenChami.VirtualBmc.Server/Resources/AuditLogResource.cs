using System.Globalization;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Audit;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// /redfish/v1/Managers/BMC/LogServices/AuditLog: the newest records of the service's audit file, for Administrators
/// only (it names every account's actions and source addresses). Never clearable over Redfish — the trail must outlive
/// whoever it records — so it advertises no ClearLog, and a ClearLog is refused with ActionNotSupported. An entry's id
/// is where its line starts in the file. A slot endpoint shows its slot's records and those of no slot.
/// </summary>
public static class AuditLogResource
{
    public const string ServiceId = "AuditLog";

    /// <summary>How many of the newest records are shown (read from the file's end, never the whole file).</summary>
    public const int Shown = 1000;

    public const string MessageId = Events.BmcEventMessage.RegistryPrefix + "AuditRecord";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishAdministratorGet(Paths.ManagerLogService(ServiceId), "LogService", context =>
            RedfishResponses.WriteAsync(context, Service(), RedfishJsonContext.Wire.LogService));
        app.MapRedfishAdministratorGet(Paths.ManagerLogEntries(ServiceId), "LogEntryCollection", context =>
        {
            var scope = RequestScope.Of(context);
            var entries = AuditTail.Read(FileOf(context), Shown, r => scope.Shows(r.Slot)).Select(Entry).ToList();
            return RedfishResponses.WriteAsync(context, new LogEntryCollection(Paths.ManagerLogEntries(ServiceId), "#LogEntryCollection.LogEntryCollection",
                "Audit Log Entries", entries.Count, entries) { Description = "Audit log: every state change, who made it and its outcome (never cleared over Redfish)" }, RedfishJsonContext.Wire.LogEntryCollection);
        });
        app.MapRedfishAdministratorGet(Paths.ManagerLogEntries(ServiceId) + "/{entry}", "LogEntry", context =>
        {
            var id = (string?)context.Request.RouteValues["entry"] ?? "";
            return long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                && AuditTail.ReadAt(FileOf(context), offset) is { } line && RequestScope.Of(context).Shows(line.Record.Slot)
                ? RedfishResponses.WriteAsync(context, Entry(line), RedfishJsonContext.Wire.LogEntry)
                : RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("LogEntry", id));
        });
        app.MapRedfishPost(Paths.ManagerClearLog(ServiceId), "LogService", context =>
            RedfishResponses.WriteErrorAsync(context, BaseMessages.ActionNotSupported("LogService.ClearLog") with
            {
                Resolution = "The audit log cannot be cleared over Redfish; it is rotated on the host (logrotate).",
            }));
    }

    private static string FileOf(HttpContext context) => context.RequestServices.GetRequiredService<AuditLog>().FilePath;

    private static LogService Service() => new(
        Paths.ManagerLogService(ServiceId),
        "#LogService.v1_5_0.LogService",
        ServiceId,
        "Audit Log",
        $"The service's audit trail (its newest {Shown} records): every state-changing request, lockouts, unauthenticated failures. Read-only over Redfish.",
        true,
        Shown,
        "WrapsWhenFull",
        "Event",
        DateTimeOffset.UtcNow,
        Status.EnabledOk,
        new ODataId(Paths.ManagerLogEntries(ServiceId)),
        null);

    private static LogEntry Entry(AuditLine line)
    {
        var r = line.Record;
        var id = line.Offset.ToString(CultureInfo.InvariantCulture);
        var failed = r.Status >= 400 || r.Event is "account-locked" or "unauthenticated";
        var message = $"{r.Event} {r.Method} {r.Path} by {r.Account ?? "-"} from {r.Source}: {r.Result ?? "-"}";
        return new LogEntry(Paths.ManagerLogEntry(ServiceId, id), "#LogEntry.v1_16_0.LogEntry", id, "Audit " + id, "Event", null,
            failed ? "Warning" : "OK", r.Time, message)
        {
            MessageId = MessageId,
            MessageArgs = [r.Event, r.Method, r.Path, r.Account is { Length: > 0 } account ? account : "anonymous", r.Source, r.Result is { Length: > 0 } result ? result : "none"],
        };
    }
}
