using System.Net;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// The System's NICs: SR-IOV VFs and virtio networks, each with its stable MAC and planned IPv4 addresses (what
/// Magellan hands to SMD for DHCP and boot). Passthrough NICs keep their burned-in MAC, which the service cannot
/// promise, so they are not listed.
/// </summary>
public static class EthernetInterfacesResource
{
    public static IReadOnlyList<string> InterfaceNames(Slot slot) =>
        slot.Template.Devices.Where(d => d.IsVirtualFunction).Select(d => d.Name).Concat(slot.Template.Networks.Select(n => n.Name)).ToList();

    public static EthernetInterface Build(Slot slot, string name)
    {
        var mac = slot.Identity.MacAddresses[name].ToString();
        var isVf = slot.Template.Devices.Any(d => d.Name == name);
        return new EthernetInterface(
            Paths.SystemNic(slot.Name, name),
            "#EthernetInterface.v1_9_0.EthernetInterface",
            name,
            name,
            isVf ? $"SR-IOV virtual function {name}" : $"virtio network interface {name}",
            mac,
            mac,
            true,
            Status.EnabledOk,
            slot.Host.Ipv4.Where(a => a.Interface == name).Select(a => new IPv4Address(a.Address.ToString(), Mask(a.PrefixLength), "DHCP", a.Gateway?.ToString())).ToList());
    }

    private static string Mask(int prefix) =>
        new IPAddress(BitConverter.GetBytes(IPAddress.HostToNetworkOrder(prefix == 0 ? 0 : unchecked((int)(0xffffffffu << (32 - prefix)))))).ToString();

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Systems/{id}/EthernetInterfaces", "EthernetInterfaceCollection", async context =>
        {
            if (await RequestScope.SlotAsync(context, "ComputerSystem") is { } slot)
            {
                await RedfishResponses.WriteAsync(context,
                    ResourceCollection.Of(Paths.SystemNics(slot.Name), "#EthernetInterfaceCollection.EthernetInterfaceCollection", "Ethernet Interface Collection",
                        InterfaceNames(slot.Slot).Select(n => Paths.SystemNic(slot.Name, n))),
                    RedfishJsonContext.Wire.ResourceCollection);
            }
        });
        app.MapRedfishGet("/redfish/v1/Systems/{id}/EthernetInterfaces/{nic}", "EthernetInterface", async context =>
        {
            if (await RequestScope.SlotAsync(context, "ComputerSystem") is not { } slot)
            {
                return;
            }
            var nic = (string)context.Request.RouteValues["nic"]!;
            if (!InterfaceNames(slot.Slot).Contains(nic))
            {
                await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("EthernetInterface", nic));
                return;
            }
            await RedfishResponses.WriteAsync(context, Build(slot.Slot, nic), RedfishJsonContext.Wire.EthernetInterface);
        });
    }
}
