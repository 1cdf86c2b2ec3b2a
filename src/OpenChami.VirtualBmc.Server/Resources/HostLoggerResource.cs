using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Console;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// /redfish/v1/Systems/{id}/LogServices/HostLogger: the latest lines of the slot's serial console (bounded, oldest
/// dropped first, newest last; <c>$top</c>/<c>$skip</c> page them), and LogService.ClearLog (audited like every POST).
/// The serial log file libvirt writes is separate and unchanged.
/// </summary>
public static class HostLoggerResource
{
    public const string ServiceId = "HostLogger";

    public static string LogServices(string slot) => Paths.System(slot) + "/LogServices";

    public static string Service(string slot) => LogServices(slot) + "/" + ServiceId;

    public static string Entries(string slot) => Service(slot) + "/Entries";

    public static string ClearLog(string slot) => Service(slot) + "/Actions/LogService.ClearLog";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Systems/{id}/LogServices", "LogServiceCollection", async context =>
        {
            if (await RequestScope.SlotAsync(context, "ComputerSystem") is { } slot)
            {
                await RedfishResponses.WriteAsync(context, ResourceCollection.Of(LogServices(slot.Name), "#LogServiceCollection.LogServiceCollection",
                    "Log Service Collection", [Service(slot.Name)]), RedfishJsonContext.Wire.ResourceCollection);
            }
        });
        app.MapRedfishGet("/redfish/v1/Systems/{id}/LogServices/{service}", "LogService", async context =>
        {
            if (await LogOf(context) is var (slot, log))
            {
                await RedfishResponses.WriteAsync(context, Build(slot, log), RedfishJsonContext.Wire.LogService);
            }
        });
        app.MapRedfishGet("/redfish/v1/Systems/{id}/LogServices/{service}/Entries", "LogEntryCollection", async context =>
        {
            if (await LogOf(context) is var (slot, log))
            {
                var entries = log?.Entries ?? [];
                await RedfishResponses.WriteAsync(context, new LogEntryCollection(Entries(slot.Name), "#LogEntryCollection.LogEntryCollection",
                    "HostLogger Entries", entries.Count, entries.Select(e => Entry(slot.Name, e)).ToList()) { Description = $"Serial console log of slot {slot.Name}: its latest lines" }, RedfishJsonContext.Wire.LogEntryCollection);
            }
        });
        app.MapRedfishGet("/redfish/v1/Systems/{id}/LogServices/{service}/Entries/{entry}", "LogEntry", async context =>
        {
            if (await LogOf(context) is var (slot, log))
            {
                var id = (string?)context.Request.RouteValues["entry"] ?? "";
                if (long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && log?.Find(n) is { } entry)
                {
                    await RedfishResponses.WriteAsync(context, Entry(slot.Name, entry), RedfishJsonContext.Wire.LogEntry);
                }
                else
                {
                    await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("LogEntry", id));
                }
            }
        });
        app.MapRedfishPost("/redfish/v1/Systems/{id}/LogServices/{service}/Actions/LogService.ClearLog", "LogService", async context =>
        {
            if (await LogOf(context) is var (_, log))
            {
                using var document = await JsonBody.ReadActionOrAnswerAsync(context, "LogService.ClearLog", []);
                if (document is null)
                {
                    return;
                }
                log?.Clear();
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                context.Response.Headers["OData-Version"] = "4.0";
            }
        });
    }

    public static LogService Build(SlotContext slot, ConsoleLog? log) => new(
        Service(slot.Name),
        "#LogService.v1_5_0.LogService",
        ServiceId,
        "Host Logger",
        $"The latest lines of {slot.Name}'s serial console (ttyS0)",
        log is not null,
        log?.Capacity ?? 0,
        "WrapsWhenFull",
        "OEM",
        DateTimeOffset.UtcNow,
        log is not null ? Status.EnabledOk : new Status("Disabled", "OK"),
        new ODataId(Entries(slot.Name)),
        new LogServiceActions(new ActionTarget(ClearLog(slot.Name))));

    private static LogEntry Entry(string slot, ConsoleLogEntry e)
    {
        var id = e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new LogEntry(Entries(slot) + "/" + id, "#LogEntry.v1_16_0.LogEntry", id, "Host Logger " + id, "Oem", "Host Logger", "OK", e.Created, e.Message);
    }

    /// <summary>The slot and its console log (null log when it has no console); null after answering 404.</summary>
    private static async Task<(SlotContext Slot, ConsoleLog? Log)?> LogOf(HttpContext context)
    {
        if (await RequestScope.SlotAsync(context, "ComputerSystem") is not { } slot)
        {
            return null;
        }
        if ((string?)context.Request.RouteValues["service"] != ServiceId)
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("LogService", (string?)context.Request.RouteValues["service"] ?? ""));
            return null;
        }
        return (slot, RequestScope.Node(context).Consoles?.FindConsole(slot.Name)?.Log);
    }
}
