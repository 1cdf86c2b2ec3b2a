using Microsoft.AspNetCore.Http.Features;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Identity;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>/redfish/v1 — answered with and without the trailing slash, without authentication (DSP0266).</summary>
public static class ServiceRootResource
{
    public const string RedfishVersion = "1.20.0";

    public static ServiceRoot Build(HostConfig host, Slot slot) => new(
        "/redfish/v1",
        "#ServiceRoot.v1_17_0.ServiceRoot",
        "RootService",
        "OpenCHAMI Virtual BMC",
        RedfishVersion,
        ServiceUuid(host, slot).ToString(),
        "OpenCHAMI",
        new ODataId("/redfish/v1/Systems"),
        null,
        null,
        new ServiceRootLinks(new ODataId(SessionServiceResource.SessionsPath)),
        new ODataId(SessionServiceResource.Path));

    /// <summary>The service's own UUID: stable per endpoint, distinct from the system's.</summary>
    public static Guid ServiceUuid(HostConfig host, Slot slot) => IdentityDeriver.NameBasedUuid($"{host.HostId}/{slot.Name}/service");

    public static void Map(IEndpointRouteBuilder app, HostConfig host)
    {
        RequestDelegate handler = context =>
            RedfishResponses.WriteAsync(context, Build(host, context.Features.GetRequiredFeature<ServedSlot>().Slot), RedfishJsonContext.Wire.ServiceRoot);
        // Routing ignores a trailing slash, so this one route answers both /redfish/v1 and /redfish/v1/ with 200.
        app.MapRedfishGet("/redfish/v1", "ServiceRoot", handler);
    }
}
