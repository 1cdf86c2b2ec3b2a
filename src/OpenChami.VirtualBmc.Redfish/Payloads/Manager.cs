using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

public sealed record Manager(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string ManagerType,
    string UUID,
    string ServiceEntryPointUUID,
    string Model,
    string FirmwareVersion,
    string PowerState,
    Status Status,
    ODataId EthernetInterfaces,
    ODataId VirtualMedia,
    ManagerLinks Links,
    ManagerActions? Actions = null,
    string? LastResetTime = null) : IRedfishResource
{
    /// <summary>What OpenCHAMI's discovery (Magellan) reads to pick the console type: SSH on this BMC's address.</summary>
    public CommandShell? CommandShell { get; init; }

    public ODataId? NetworkProtocol { get; init; }

    public ODataId? LogServices { get; init; }
}

/// <summary>Manager.Reset restarts the BMC (sessions, host check, domain reconcile), never the VM.</summary>
public sealed record ManagerActions([property: JsonPropertyName("#Manager.Reset")] ResetAction Reset);

public sealed record CommandShell(bool ServiceEnabled, int MaxConcurrentSessions, IReadOnlyList<string> ConnectTypesSupported);

public sealed record ManagerLinks(IReadOnlyList<ODataId> ManagerForServers, IReadOnlyList<ODataId> ManagerForChassis);
