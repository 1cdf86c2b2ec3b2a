using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

public sealed record ComputerSystem(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string SystemType,
    string Manufacturer,
    string Model,
    string SerialNumber,
    string UUID,
    ProcessorSummary ProcessorSummary,
    MemorySummary MemorySummary,
    Status Status) : IRedfishResource;

public sealed record ProcessorSummary(int Count, int CoreCount, string Model);

public sealed record MemorySummary(double TotalSystemMemoryGiB);
