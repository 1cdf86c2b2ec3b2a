using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>/redfish/v1/Chassis: one chassis per slot, with the System's Id (Magellan finds systems through it).</summary>
public static class ChassisResource
{
    public static ResourceCollection Collection(EndpointScope scope) =>
        ResourceCollection.Of(Paths.Chassis, "#ChassisCollection.ChassisCollection", "Chassis Collection", scope.Slots.Select(s => Paths.ChassisMember(s.Name)));

    public static Chassis Build(NodeState node, SlotContext slot) => new(
        Paths.ChassisMember(slot.Name),
        "#Chassis.v1_25_0.Chassis",
        slot.Name,
        $"Chassis of {slot.Name}",
        "RackMount",
        "OpenCHAMI",
        slot.Slot.Template.Profile ?? node.Site.NodeType.Name,
        slot.Slot.Identity.SerialNumber,
        node.Site.NodeType.Name,
        node.Site.Host.HostId,
        slot.PowerState.ToString(),
        SystemsResource.StatusOf(slot),
        new ChassisLinks([new ODataId(Paths.System(slot.Name))], [new ODataId(Paths.Manager)]));

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet(Paths.Chassis, "ChassisCollection", context =>
            RedfishResponses.WriteAsync(context, Collection(RequestScope.Of(context)), RedfishJsonContext.Wire.ResourceCollection));
        app.MapRedfishGet("/redfish/v1/Chassis/{id}", "Chassis", async context =>
        {
            if (await RequestScope.SlotAsync(context, "Chassis") is { } slot)
            {
                await RedfishResponses.WriteAsync(context, Build(RequestScope.Node(context), slot), RedfishJsonContext.Wire.Chassis);
            }
        });
    }
}
