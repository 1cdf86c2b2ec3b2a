using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

public sealed record VirtualMedia(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    IReadOnlyList<string> MediaTypes,
    string ConnectedVia,
    bool Inserted,
    [property: JsonPropertyName("Image")] string? Image,
    [property: JsonPropertyName("ImageName")] string? ImageName,
    bool WriteProtected,
    string TransferMethod,
    Status Status,
    VirtualMediaActions Actions) : IRedfishResource;

public sealed record VirtualMediaActions(
    [property: JsonPropertyName("#VirtualMedia.InsertMedia")] ActionTarget InsertMedia,
    [property: JsonPropertyName("#VirtualMedia.EjectMedia")] ActionTarget EjectMedia);

public sealed record ActionTarget([property: JsonPropertyName("target")] string Target);
