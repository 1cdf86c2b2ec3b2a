using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

public sealed record SessionService(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    bool ServiceEnabled,
    int SessionTimeout,
    Status Status,
    ODataId Sessions) : IRedfishResource;
