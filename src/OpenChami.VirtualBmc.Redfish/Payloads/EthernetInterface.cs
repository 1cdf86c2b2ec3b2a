using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

public sealed record EthernetInterface(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    string MACAddress,
    string PermanentMACAddress,
    bool InterfaceEnabled,
    Status Status,
    IReadOnlyList<IPv4Address> IPv4Addresses) : IRedfishResource;

public sealed record IPv4Address(string Address, string SubnetMask, string AddressOrigin, string? Gateway);
