using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

public sealed record Chassis(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string ChassisType,
    string Manufacturer,
    string Model,
    string SerialNumber,
    string SKU,
    string AssetTag,
    string PowerState,
    Status Status,
    ChassisLinks Links) : IRedfishResource;

public sealed record ChassisLinks(IReadOnlyList<ODataId> ComputerSystems, IReadOnlyList<ODataId> ManagedBy);
