using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>What firmware and software the endpoint runs; nothing of it can be updated over Redfish.</summary>
public sealed record UpdateService(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    bool ServiceEnabled,
    ODataId FirmwareInventory,
    ODataId SoftwareInventory,
    UpdateServiceActions Actions) : IRedfishResource;

public sealed record UpdateServiceActions([property: JsonPropertyName("#UpdateService.SimpleUpdate")] ActionWithInfo SimpleUpdate);

/// <summary>An action whose parameters its ActionInfo describes.</summary>
public sealed record ActionWithInfo(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("@Redfish.ActionInfo")] string ActionInfo);

/// <summary>One firmware or software component; Version is absent when the component is not installed.</summary>
public sealed record SoftwareInventory(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    string? Version,
    string? SoftwareId,
    string? Manufacturer,
    bool Updateable,
    Status Status,
    IReadOnlyList<ODataId>? RelatedItem = null) : IRedfishResource;
