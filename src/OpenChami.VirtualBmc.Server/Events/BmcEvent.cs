using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Server.Events;

/// <summary>One entry of the BMC's event log; <see cref="Slot"/> is null for what concerns the whole service.</summary>
public sealed record BmcEvent(long Id, DateTimeOffset Created, string Severity, string MessageId, string Message, IReadOnlyList<string> MessageArgs, string? Slot);

/// <summary>A message of the project's OEM registry (docs/redfish.md, "OEM messages"), its arguments filled in.</summary>
public sealed record BmcEventMessage(string Key, string Severity, string Message, IReadOnlyList<string> Args)
{
    public const string RegistryPrefix = "OpenCHAMIVbmc.1.0.";

    public string MessageId => RegistryPrefix + Key;
}

/// <summary>Every message the event log writes; the same ids and arguments are listed in docs/redfish.md.</summary>
public static class BmcEventMessages
{
    public static BmcEventMessage ServiceStarted(string version) =>
        new("ServiceStarted", "OK", $"The OpenCHAMI Virtual BMC service {version} started.", [version]);

    public static BmcEventMessage ServiceStopped() =>
        new("ServiceStopped", "OK", "The OpenCHAMI Virtual BMC service stopped.", []);

    public static BmcEventMessage ConfigurationReloaded(string file) =>
        new("ConfigurationReloaded", "OK", $"The configuration {file} was reloaded.", [file]);

    public static BmcEventMessage ConfigurationReloadFailed(string file) =>
        new("ConfigurationReloadFailed", "Warning", $"The configuration {file} was not reloaded; the running configuration stays (the service log says why).", [file]);

    public static BmcEventMessage SlotFindingRaised(string slot, string code, string device, string detail, bool error) =>
        new("SlotFindingRaised", error ? "Critical" : "Warning", $"Host check of {slot}: {code}{(device.Length > 0 ? " on " + device : "")}: {detail}", [slot, code, device, detail]);

    public static BmcEventMessage SlotFindingCleared(string slot, string code, string device) =>
        new("SlotFindingCleared", "OK", $"Host check of {slot}: {code}{(device.Length > 0 ? " on " + device : "")} no longer found.", [slot, code, device]);

    public static BmcEventMessage ManagerReset(string resetType, string user, string detail) =>
        new("ManagerReset", "OK", $"The BMC was restarted ({resetType}) by {user}: {detail}", [resetType, user, detail]);

    public static BmcEventMessage AccountLocked(string user) =>
        new("AccountLocked", "Warning", $"The account {user} was locked after repeated failed logins.", [user]);

    public static BmcEventMessage EventLogCleared(string user) =>
        new("EventLogCleared", "OK", $"The event log was cleared by {user}.", [user]);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BmcEvent))]
internal sealed partial class BmcEventJsonContext : JsonSerializerContext;
