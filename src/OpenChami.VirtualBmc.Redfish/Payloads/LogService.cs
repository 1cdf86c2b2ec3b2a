using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>A log service of a system; the slots have one, HostLogger: the latest lines of the serial console.</summary>
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
    LogServiceActions Actions) : IRedfishResource;

public sealed record LogServiceActions([property: JsonPropertyName("#LogService.ClearLog")] ActionTarget ClearLog);

/// <summary>A log entry collection with its members inline (as DMTF's mockups show them).</summary>
public sealed record LogEntryCollection(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Name,
    [property: JsonPropertyName("Members@odata.count")] int MembersCount,
    IReadOnlyList<LogEntry> Members) : IRedfishResource;

/// <summary>One console line: an OEM-format entry ("Host Logger"), as real BMCs' HostLogger services give them.</summary>
public sealed record LogEntry(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string EntryType,
    string OemRecordFormat,
    string Severity,
    DateTimeOffset Created,
    string Message) : IRedfishResource;
