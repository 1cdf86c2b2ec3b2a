using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// The host devices bound to the slot as PCIe devices of the System, one function each. The host PCI address, PF and
/// VF index are in Oem.OpenCHAMI, so an operator can audit exactly which function a slot was given.
/// </summary>
public static class PCIeResource
{
    private const string OemType = "#OpenCHAMIPCIeDevice.v1_0_0.OpenCHAMIPCIeDevice";

    private static PCIeOem Oem(BoundDevice device) => new(new PCIeOemOpenChami(
        OemType,
        device.Binding.Name,
        device.Binding.IsVirtualFunction ? "sriov-vf" : device.Binding.Kind.ToString().ToLowerInvariant(),
        device.HostAddress?.ToString(),
        device.Binding.Selector.Pf,
        device.Binding.Selector.VfIndex,
        device.Binding.Selector.ToString()));

    public static PCIeDevice Device(string id, BoundDevice device) => new(
        Paths.PCIeDevice(id, device.Binding.Name),
        "#PCIeDevice.v1_9_0.PCIeDevice",
        device.Binding.Name,
        device.Binding.Name,
        $"{device.Binding.Kind} passed through from host {device.HostAddress?.ToString() ?? "(unresolved)"}",
        "SingleFunction",
        device.HostAddress is null ? new Status("Absent", "Critical") : Status.EnabledOk,
        new ODataId(Paths.PCIeFunctions(id, device.Binding.Name)),
        Oem(device));

    public static PCIeFunction Function(string id, BoundDevice device) => new(
        Paths.PCIeFunction(id, device.Binding.Name),
        "#PCIeFunction.v1_2_3.PCIeFunction",
        "0",
        $"{device.Binding.Name} function 0",
        0,
        device.Binding.IsVirtualFunction ? "Virtual" : "Physical",
        device.Binding.Kind switch
        {
            DeviceKind.Gpu => "DisplayController",
            DeviceKind.Nic => "NetworkController",
            _ => "Other",
        },
        device.VendorId,
        device.DeviceId,
        device.HostAddress is null ? new Status("Absent", "Critical") : Status.EnabledOk,
        Oem(device));

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Systems/{id}/PCIeDevices/{device}", "PCIeDevice", async context =>
        {
            if (await Find(context) is var (slot, device))
            {
                await RedfishResponses.WriteAsync(context, Device(slot.Name, device), RedfishJsonContext.Wire.PCIeDevice);
            }
        });
        app.MapRedfishGet("/redfish/v1/Systems/{id}/PCIeDevices/{device}/PCIeFunctions", "PCIeFunctionCollection", async context =>
        {
            if (await Find(context) is var (slot, device))
            {
                await RedfishResponses.WriteAsync(context,
                    ResourceCollection.Of(Paths.PCIeFunctions(slot.Name, device.Binding.Name), "#PCIeFunctionCollection.PCIeFunctionCollection", "PCIe Functions",
                        [Paths.PCIeFunction(slot.Name, device.Binding.Name)]),
                    RedfishJsonContext.Wire.ResourceCollection);
            }
        });
        app.MapRedfishGet("/redfish/v1/Systems/{id}/PCIeDevices/{device}/PCIeFunctions/{function}", "PCIeFunction", async context =>
        {
            if (await Find(context) is not var (slot, device))
            {
                return;
            }
            if ((string?)context.Request.RouteValues["function"] != "0")
            {
                await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("PCIeFunction", (string?)context.Request.RouteValues["function"] ?? ""));
                return;
            }
            await RedfishResponses.WriteAsync(context, Function(slot.Name, device), RedfishJsonContext.Wire.PCIeFunction);
        });
    }

    private static async Task<(SlotContext, BoundDevice)?> Find(HttpContext context)
    {
        if (await RequestScope.SlotAsync(context, "ComputerSystem") is not { } slot)
        {
            return null;
        }
        var name = (string?)context.Request.RouteValues["device"];
        var device = slot.Devices.FirstOrDefault(d => d.Binding.Name == name);
        if (device is null)
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("PCIeDevice", name ?? ""));
            return null;
        }
        return (slot, device);
    }
}
