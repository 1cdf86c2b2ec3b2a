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
    string Product,
    ProtocolFeaturesSupported ProtocolFeaturesSupported,
    ODataId Systems,
    ODataId Chassis,
    ODataId Managers,
    ODataId SessionService,
    ODataId AccountService,
    ServiceRootLinks Links) : IRedfishResource;

public sealed record ServiceRootLinks(ODataId Sessions);

/// <summary>Which optional protocol features (query parameters) the service implements.</summary>
public sealed record ProtocolFeaturesSupported(
    ExpandQuery ExpandQuery,
    bool FilterQuery,
    bool SelectQuery,
    bool OnlyMemberQuery,
    bool ExcerptQuery,
    bool TopSkipQuery);

public sealed record ExpandQuery(bool ExpandAll, bool Levels, bool Links, bool NoLinks);
