using Microsoft.AspNetCore.Http.Features;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>/redfish/v1/Systems and the one ComputerSystem of this endpoint (Id = the slot name).</summary>
public static class SystemsResource
{
    public static ResourceCollection Collection(Slot slot) =>
        ResourceCollection.Of("/redfish/v1/Systems", "#ComputerSystemCollection.ComputerSystemCollection", "Computer System Collection",
            [$"/redfish/v1/Systems/{slot.Name}"]);

    public static ComputerSystem System(NodeType nodeType, Slot slot) => new(
        $"/redfish/v1/Systems/{slot.Name}",
        "#ComputerSystem.v1_22_0.ComputerSystem",
        slot.Name,
        $"{nodeType.Name} {slot.Name}",
        slot.Host.SystemType.ToString(),
        "OpenCHAMI",
        slot.Template.Profile ?? nodeType.Name,
        slot.Identity.SerialNumber,
        slot.Identity.Uuid.ToString(),
        new ProcessorSummary(1, slot.Template.Cpu.Cores, "QEMU Virtual CPU"),
        new MemorySummary(slot.Template.Memory.SizeGiB),
        Status.EnabledOk);

    public static void Map(IEndpointRouteBuilder app, NodeType nodeType)
    {
        app.MapRedfishGet("/redfish/v1/Systems", "ComputerSystemCollection", context =>
            RedfishResponses.WriteAsync(context, Collection(Served(context)), RedfishJsonContext.Wire.ResourceCollection));
        app.MapRedfishGet("/redfish/v1/Systems/{id}", "ComputerSystem", context =>
        {
            var slot = Served(context);
            var id = (string)context.Request.RouteValues["id"]!;
            return id == slot.Name
                ? RedfishResponses.WriteAsync(context, System(nodeType, slot), RedfishJsonContext.Wire.ComputerSystem)
                : RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("ComputerSystem", id));
        });
    }

    private static Slot Served(HttpContext context) => context.Features.GetRequiredFeature<ServedSlot>().Slot;
}
