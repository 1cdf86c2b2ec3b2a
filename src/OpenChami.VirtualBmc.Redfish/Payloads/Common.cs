using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>A reference to another resource: <c>{"@odata.id": "/redfish/v1/..."}</c>.</summary>
public sealed record ODataId([property: JsonPropertyName("@odata.id")] string Id);

/// <summary>Status as every Redfish resource reports it; Conditions say why a resource is not healthy.</summary>
public sealed record Status(string State, string Health, IReadOnlyList<Condition>? Conditions = null)
{
    public static readonly Status EnabledOk = new("Enabled", "OK");
}

/// <summary>A condition (Resource.Condition) as Base-registry message.</summary>
public sealed record Condition(string MessageId, string Message, IReadOnlyList<string> MessageArgs, string Severity);

/// <summary>A resource collection (Systems, Chassis, Managers, ...).</summary>
public sealed record ResourceCollection(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Name,
    [property: JsonPropertyName("Members@odata.count")] int MembersCount,
    IReadOnlyList<ODataId> Members) : IRedfishResource
{
    public static ResourceCollection Of(string odataId, string odataType, string name, IEnumerable<string> memberIds)
    {
        var members = memberIds.Select(id => new ODataId(id)).ToList();
        return new ResourceCollection(odataId, odataType, name, members.Count, members);
    }
}
