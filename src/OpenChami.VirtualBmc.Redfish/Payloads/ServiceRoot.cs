using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

public sealed record ServiceRoot(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string RedfishVersion,
    string UUID,
    string Vendor,
    ODataId Systems,
    ODataId? Chassis,
    ODataId? Managers,
    ServiceRootLinks Links,
    ODataId SessionService) : IRedfishResource;

public sealed record ServiceRootLinks(ODataId Sessions);
