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
    ServiceRootLinks Links,
    ServiceRootOem Oem) : IRedfishResource
{
    /// <summary>The registries the service publishes (the BIOS attribute registry).</summary>
    public ODataId? Registries { get; init; }
    /// <summary>The firmware and software inventory (read-only: a VM's firmware comes from the host's packages).</summary>
    public ODataId? UpdateService { get; init; }
}

public sealed record ServiceRootLinks(ODataId Sessions);

public sealed record ServiceRootOem([property: JsonPropertyName("OpenCHAMI")] ServiceRootOemOpenChami OpenChami);

/// <summary>The project's OEM part of the service root: where a crawl finds the host validation report.</summary>
public sealed record ServiceRootOemOpenChami([property: JsonPropertyName("@odata.type")] string ODataType, ODataId ValidationReport);

/// <summary>GET /redfish: the protocol versions this service offers (DSP0266 §7.2), without authentication.</summary>
public sealed record RedfishVersions([property: JsonPropertyName("v1")] string V1);

/// <summary>Which optional protocol features (query parameters) the service implements.</summary>
public sealed record ProtocolFeaturesSupported(
    ExpandQuery ExpandQuery,
    bool FilterQuery,
    bool SelectQuery,
    bool OnlyMemberQuery,
    bool ExcerptQuery,
    bool TopSkipQuery);

public sealed record ExpandQuery(bool ExpandAll, bool Levels, bool Links, bool NoLinks);
