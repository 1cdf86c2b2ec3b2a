using Microsoft.AspNetCore.Http.Features;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>Request helpers every resource uses: the endpoint's scope and the slot a route's {id} names.</summary>
public static class RequestScope
{
    public static EndpointScope Of(HttpContext context) => context.Features.GetRequiredFeature<EndpointScope>();

    public static NodeState Node(HttpContext context) => context.RequestServices.GetRequiredService<NodeState>();

    /// <summary>The slot named by the route value <paramref name="key"/> in this endpoint's scope; null after writing 404.</summary>
    public static async Task<SlotContext?> SlotAsync(HttpContext context, string type, string key = "id")
    {
        var id = (string?)context.Request.RouteValues[key] ?? "";
        var slot = Of(context).Find(id);
        if (slot is null)
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound(type, id));
        }
        return slot;
    }
}
