using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Identity;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>/redfish/v1/Managers/BMC: the BMC of this endpoint, with its own NIC carrying the endpoint address.</summary>
public static class ManagersResource
{
    public static Manager Build(NodeState node, EndpointScope scope)
    {
        var serviceUuid = ServiceRootResource.ServiceUuid(node, scope).ToString();
        return new Manager(
            Paths.Manager,
            "#Manager.v1_19_0.Manager",
            Paths.ManagerId,
            "OpenCHAMI Virtual BMC",
            "BMC",
            IdentityDeriver.NameBasedUuid($"{node.Site.Host.HostId}/{ScopeName(scope)}/manager").ToString(),
            serviceUuid,
            "OpenCHAMI Virtual BMC",
            ServiceVersion.Text,
            "On",
            Status.EnabledOk,
            new ODataId(Paths.ManagerNics),
            new ODataId(Paths.ManagerMedia),
            new ManagerLinks(scope.Slots.Select(s => new ODataId(Paths.System(s.Name))).ToList(),
                scope.Slots.Select(s => new ODataId(Paths.ChassisMember(s.Name))).ToList()),
            ManagerResetResource.Actions,
            ManagerResetResource.LastReset(node, scope).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture))
        {
            CommandShell = Console.ConsoleAdvertisement.CommandShell(scope),
            NetworkProtocol = new ODataId(Paths.ManagerNetworkProtocol),
            LogServices = new ODataId(Paths.ManagerLogServices),
        };
    }

    /// <summary>The BMC's own interface: a synthetic but stable MAC, and the address the endpoint is scanned on.</summary>
    public static EthernetInterface Nic(NodeState node, EndpointScope scope, HttpContext context)
    {
        var address = context.Connection.LocalIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : context.Connection.LocalIpAddress;
        var mac = IdentityDeriver.DerivedMac($"{node.Site.Host.HostId}/{ScopeName(scope)}/bmc").ToString();
        var ipv4 = address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork }
            ? new List<IPv4Address> { new(address.ToString(), "255.255.255.255", "Static", null) }
            : [];
        return new EthernetInterface(Paths.ManagerNic, "#EthernetInterface.v1_9_0.EthernetInterface", "bmc0", "BMC interface",
            "The virtual BMC's endpoint", mac, mac, true, Status.EnabledOk, ipv4);
    }

    private static string ScopeName(EndpointScope scope) => scope.IsHostEndpoint ? "host" : scope.Slots[0].Name;

    public static void Map(IEndpointRouteBuilder app)
    {
        ManagerResetResource.Map(app);
        app.MapRedfishGet(Paths.Managers, "ManagerCollection", context =>
            RedfishResponses.WriteAsync(context,
                ResourceCollection.Of(Paths.Managers, "#ManagerCollection.ManagerCollection", "Manager Collection", [Paths.Manager]),
                RedfishJsonContext.Wire.ResourceCollection));
        app.MapRedfishGet("/redfish/v1/Managers/{managerId}", "Manager", context => IsOurManager(context)
            ? RedfishResponses.WriteAsync(context, Build(RequestScope.Node(context), RequestScope.Of(context)), RedfishJsonContext.Wire.Manager)
            : NotFound(context, "Manager"));
        app.MapRedfishGet("/redfish/v1/Managers/{managerId}/EthernetInterfaces", "EthernetInterfaceCollection", context => IsOurManager(context)
            ? RedfishResponses.WriteAsync(context,
                ResourceCollection.Of(Paths.ManagerNics, "#EthernetInterfaceCollection.EthernetInterfaceCollection", "Manager Ethernet Interfaces", [Paths.ManagerNic]),
                RedfishJsonContext.Wire.ResourceCollection)
            : NotFound(context, "Manager"));
        app.MapRedfishGet("/redfish/v1/Managers/{managerId}/EthernetInterfaces/{nic}", "EthernetInterface", context =>
            IsOurManager(context) && (string?)context.Request.RouteValues["nic"] == "bmc0"
                ? RedfishResponses.WriteAsync(context, Nic(RequestScope.Node(context), RequestScope.Of(context), context), RedfishJsonContext.Wire.EthernetInterface)
                : NotFound(context, "EthernetInterface"));
    }

    private static bool IsOurManager(HttpContext context) => (string?)context.Request.RouteValues["managerId"] == Paths.ManagerId;

    private static Task NotFound(HttpContext context, string type) =>
        RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound(type, context.Request.Path.Value ?? ""));
}
