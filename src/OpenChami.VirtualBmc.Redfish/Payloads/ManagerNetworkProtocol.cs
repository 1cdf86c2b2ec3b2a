using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>The network services of a BMC as the running service has them; read-only (the host's configuration decides).</summary>
public sealed record ManagerNetworkProtocol(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    string HostName,
    Status Status,
    NetworkProtocolSetting HTTP,
    NetworkProtocolSetting HTTPS,
    NetworkProtocolSetting SSH,
    NetworkProtocolSetting IPMI,
    NetworkProtocolSetting SSDP,
    NtpProtocol NTP) : IRedfishResource;

public sealed record NetworkProtocolSetting(bool ProtocolEnabled, int Port);

/// <summary>
/// NTP as the host has it. The servers are NetworkSuppliedServers (read-only: supplied to this manager by the host),
/// not NTPServers, which the schema makes writable and clients (DMTF's Protocol Validator) then try to PATCH.
/// </summary>
public sealed record NtpProtocol(bool ProtocolEnabled, int Port, IReadOnlyList<string> NetworkSuppliedServers);
