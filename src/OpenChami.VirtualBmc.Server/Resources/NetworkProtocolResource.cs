using System.Text.Json;
using OpenChami.VirtualBmc.Host.Services;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Console;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// /redfish/v1/Managers/BMC/NetworkProtocol: the services this BMC endpoint offers as the running service has them —
/// Redfish on this endpoint's port (HTTPS, or HTTP under insecurePlainHttp), the slot's SSH console, IPMI and SSDP
/// off, and NTP as the host's time daemon is configured. Read-only: the host file and the host's own configuration
/// decide all of it, so a PATCH is refused property by property with PropertyNotWritable.
/// </summary>
public static class NetworkProtocolResource
{
    public const int NtpPort = 123;
    public const int SsdpPort = 1900;
    public const int HttpPort = 80;
    public const int HttpsPort = 443;

    private static readonly IReadOnlyList<BodyProperty> Properties =
    [
        .. new[] { "HostName", "FQDN", "HTTP", "HTTPS", "SSH", "IPMI", "SSDP", "NTP", "Telnet", "SNMP", "VirtualMedia", "KVMIP", "DHCP", "DHCPv6", "RDP", "RFB", "Proxy", "FTP", "FTPS", "SFTP" }
            .Select(name => new BodyProperty(name, JsonValueKind.Object, Writable: false)),
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet(Paths.ManagerNetworkProtocol, "ManagerNetworkProtocol", context =>
            RedfishResponses.WriteAsync(context, Build(RequestScope.Node(context), RequestScope.Of(context), context.Connection.LocalPort,
                context.RequestServices.GetRequiredService<HostTimeSources>().Read()), RedfishJsonContext.Wire.ManagerNetworkProtocol));
        app.MapRedfishPatch(Paths.ManagerNetworkProtocol, "ManagerNetworkProtocol", async context =>
        {
            using var document = await JsonBody.ReadOrAnswerAsync(context);
            if (document is not null)
            {
                await RedfishResponses.WriteErrorAsync(context, JsonBody.CheckPatch(document.RootElement, Properties) is { Count: > 0 } problems
                    ? problems
                    : [BaseMessages.NoOperation()]);
            }
        });
    }

    public static ManagerNetworkProtocol Build(NodeState node, EndpointScope scope, int port, TimeSources time)
    {
        var plainHttp = node.Site.Host.InsecurePlainHttp;
        var console = scope.IsHostEndpoint ? null : scope.Slots[0].ConsoleEndpoint;
        return new ManagerNetworkProtocol(
            Paths.ManagerNetworkProtocol,
            "#ManagerNetworkProtocol.v1_10_0.ManagerNetworkProtocol",
            "NetworkProtocol",
            "BMC Network Protocols",
            "The network services of this BMC endpoint, as the running service has them (read-only)",
            System.Net.Dns.GetHostName(),
            Status.EnabledOk,
            new NetworkProtocolSetting(plainHttp, plainHttp ? port : HttpPort),
            new NetworkProtocolSetting(!plainHttp, plainHttp ? HttpsPort : port),
            new NetworkProtocolSetting(console is not null, console?.Port ?? ConsoleAdvertisement.SshPort),
            new NetworkProtocolSetting(false, ConsoleAdvertisement.IpmiPort),
            new NetworkProtocolSetting(false, SsdpPort),
            new NtpProtocol(time.Configured, NtpPort, time.Servers));
    }
}
