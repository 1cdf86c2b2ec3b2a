using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Protocol;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>/redfish/v1/SessionService and its Sessions collection (read side; login comes with authentication).</summary>
public static class SessionServiceResource
{
    public const string Path = "/redfish/v1/SessionService";
    public const string SessionsPath = "/redfish/v1/SessionService/Sessions";

    public static SessionService Build(TimeSpan idleTimeout) => new(
        Path, "#SessionService.v1_2_0.SessionService", "SessionService", "Session Service", true, (int)idleTimeout.TotalSeconds,
        Status.EnabledOk, new ODataId(SessionsPath));

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet(Path, "SessionService", context =>
            RedfishResponses.WriteAsync(context, Build(TimeSpan.FromMinutes(30)), RedfishJsonContext.Wire.SessionService));
        app.MapRedfishGet(SessionsPath, "SessionCollection", context =>
            RedfishResponses.WriteAsync(context, ResourceCollection.Of(SessionsPath, "#SessionCollection.SessionCollection", "Session Collection", []),
                RedfishJsonContext.Wire.ResourceCollection));
    }
}
