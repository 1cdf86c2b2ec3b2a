using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

public sealed record ActionInfo(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    IReadOnlyList<ActionParameter> Parameters) : IRedfishResource;

public sealed record ActionParameter(string Name, bool Required, string DataType, IReadOnlyList<string>? AllowableValues);
