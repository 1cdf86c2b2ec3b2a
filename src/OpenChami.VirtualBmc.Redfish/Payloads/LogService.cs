using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>
/// A log service: a system's HostLogger (the latest lines of the serial console), the Manager's EventLog and AuditLog.
/// Actions is null for a log that cannot be cleared over Redfish (the audit log).
/// </summary>
public sealed record LogService(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    bool ServiceEnabled,
    long MaxNumberOfRecords,
    string OverWritePolicy,
    string LogEntryType,
    DateTimeOffset DateTime,
    Status Status,
    ODataId Entries,
    LogServiceActions? Actions) : IRedfishResource;

public sealed record LogServiceActions([property: JsonPropertyName("#LogService.ClearLog")] ActionTarget ClearLog);

/// <summary>A log entry collection with its members inline (as DMTF's mockups show them).</summary>
public sealed record LogEntryCollection(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Name,
    [property: JsonPropertyName("Members@odata.count")] int MembersCount,
    IReadOnlyList<LogEntry> Members) : IRedfishResource
{
    /// <summary>Which log this is: clients that name a log by its Entries URI (Ansible's GetLogs) show only this.</summary>
    public string? Description { get; init; }
}

/// <summary>
/// One entry: a console line is an OEM-format entry ("Host Logger"), as real BMCs' HostLogger services give them; an
/// event is an "Event" entry with its MessageId and MessageArgs (no OemRecordFormat).
/// </summary>
public sealed record LogEntry(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string EntryType,
    string? OemRecordFormat,
    string Severity,
    DateTimeOffset Created,
    string Message) : IRedfishResource
{
    public string? MessageId { get; init; }

    public IReadOnlyList<string>? MessageArgs { get; init; }
}
