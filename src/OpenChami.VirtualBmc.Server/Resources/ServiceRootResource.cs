using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Identity;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>/redfish/v1 — answered with and without the trailing slash, without authentication (DSP0266).</summary>
public static class ServiceRootResource
{
    public const string RedfishVersion = "1.20.0";

    /// <summary>What ProtocolMiddleware and RedfishResponses implement; change both together.</summary>
    public static readonly ProtocolFeaturesSupported Features = new(
        new ExpandQuery(false, false, false, false), FilterQuery: false, SelectQuery: true, OnlyMemberQuery: true, ExcerptQuery: false,
        TopSkipQuery: true);

    public static ServiceRoot Build(NodeState node, EndpointScope scope) => new(
        Paths.Root,
        "#ServiceRoot.v1_17_0.ServiceRoot",
        "RootService",
        "OpenCHAMI Virtual BMC",
        RedfishVersion,
        ServiceUuid(node, scope).ToString(),
        "OpenCHAMI",
        $"OpenCHAMI Virtual BMC {ServiceVersion.Text}",
        Features,
        new ODataId(Paths.Systems),
        new ODataId(Paths.Chassis),
        new ODataId(Paths.Managers),
        new ODataId(SessionServiceResource.Path),
        new ODataId(Paths.AccountService),
        new ServiceRootLinks(new ODataId(SessionServiceResource.SessionsPath)),
        new ServiceRootOem(new ServiceRootOemOpenChami("#OpenCHAMIServiceRoot.v1_0_0.OpenCHAMIServiceRoot", new ODataId(Paths.ValidationReport))))
    {
        Registries = new ODataId(Paths.Registries),
        UpdateService = new ODataId(Paths.UpdateService),
    };

    /// <summary>The service's own UUID: stable per endpoint, distinct from the system's; the Manager's ServiceEntryPointUUID.</summary>
    public static Guid ServiceUuid(NodeState node, EndpointScope scope) =>
        IdentityDeriver.NameBasedUuid(scope.IsHostEndpoint ? $"{node.Site.Host.HostId}/host-service" : $"{node.Site.Host.HostId}/{scope.Slots[0].Name}/service");

    public static void Map(IEndpointRouteBuilder app)
    {
        // Routing ignores a trailing slash, so this one route answers both /redfish/v1 and /redfish/v1/ with 200.
        app.MapRedfishGet(Paths.Root, "ServiceRoot", context =>
            RedfishResponses.WriteAsync(context, Build(RequestScope.Node(context), RequestScope.Of(context)), RedfishJsonContext.Wire.ServiceRoot));
        // The version document, anonymous like the service root (DSP0266 §7.2: {"v1": "/redfish/v1/"}).
        app.MapRedfishGet("/redfish", "ServiceRoot", context =>
            RedfishResponses.WriteAsync(context, new RedfishVersions("/redfish/v1/"), RedfishJsonContext.Wire.RedfishVersions));
    }
}
