using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

public sealed record ComputerSystem(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    string SystemType,
    string Manufacturer,
    string Model,
    string SerialNumber,
    string UUID,
    string BiosVersion,
    string PowerState,
    Boot Boot,
    ProcessorSummary ProcessorSummary,
    MemorySummary MemorySummary,
    SerialConsole SerialConsole,
    Status Status,
    ODataId EthernetInterfaces,
    ODataId VirtualMedia,
    IReadOnlyList<ODataId> PCIeDevices,
    [property: JsonPropertyName("PCIeDevices@odata.count")] int PCIeDevicesCount,
    ComputerSystemLinks Links,
    ComputerSystemActions Actions,
    [property: JsonPropertyName("Oem")] SystemOem? Oem,
    ODataId? Processors = null,
    ODataId? Memory = null,
    ODataId? Storage = null,
    ODataId? SimpleStorage = null,
    string? PowerRestorePolicy = null,
    string? LastResetTime = null) : IRedfishResource
{
    /// <summary>The system's log services (HostLogger: its serial console's latest lines).</summary>
    public ODataId? LogServices { get; init; }

    /// <summary>The slot's BIOS attributes and their settings resource.</summary>
    public ODataId? Bios { get; init; }

    /// <summary>The slot's secure boot; UEFI slots only (SeaBIOS has none).</summary>
    public ODataId? SecureBoot { get; init; }
}

public sealed record Boot(
    string BootSourceOverrideEnabled,
    string BootSourceOverrideTarget,
    string BootSourceOverrideMode,
    [property: JsonPropertyName("BootSourceOverrideEnabled@Redfish.AllowableValues")] IReadOnlyList<string> EnabledAllowableValues,
    [property: JsonPropertyName("BootSourceOverrideTarget@Redfish.AllowableValues")] IReadOnlyList<string> TargetAllowableValues,
    [property: JsonPropertyName("BootSourceOverrideMode@Redfish.AllowableValues")] IReadOnlyList<string> ModeAllowableValues,
    string? HttpBootUri = null)
{
    /// <summary>Which Boot properties a PATCH may set here (Redfish.WriteableProperties; the Interop Validator reads it).</summary>
    [JsonPropertyName("@Redfish.WriteableProperties")]
    public IReadOnlyList<string>? WriteableProperties { get; init; }

    /// <summary>The persistent boot order, as BootOptionReferences of <see cref="BootOptions"/>.</summary>
    public IReadOnlyList<string>? BootOrder { get; init; }

    public ODataId? BootOptions { get; init; }
}

public sealed record ProcessorSummary(int Count, int CoreCount, int LogicalProcessorCount, string Model, Status Status);

public sealed record MemorySummary(double TotalSystemMemoryGiB, Status Status);

/// <summary>Serial console services; ports are numbers even when disabled (Magellan reads them as integers).</summary>
public sealed record SerialConsole(int MaxConcurrentSessions, SerialConsoleProtocol IPMI, SerialConsoleProtocol SSH, SerialConsoleProtocol Telnet);

public sealed record SerialConsoleProtocol(bool ServiceEnabled, int Port)
{
    /// <summary>SSH: the console shares the manager's command shell (the same SSH endpoint); null elsewhere.</summary>
    public bool? SharedWithManagerCLI { get; init; }

    /// <summary>The command that reaches the console from the command shell; null when a login lands on it directly.</summary>
    public string? ConsoleEntryCommand { get; init; }
}

public sealed record ComputerSystemLinks(IReadOnlyList<ODataId> Chassis, IReadOnlyList<ODataId> ManagedBy);

public sealed record ComputerSystemActions(
    [property: JsonPropertyName("#ComputerSystem.Reset")] ResetAction Reset,
    [property: JsonPropertyName("Oem")] ComputerSystemOemActions? Oem = null)
{
    /// <summary>Puts the persistent boot order back to the slot's default (disk, then network).</summary>
    [JsonPropertyName("#ComputerSystem.SetDefaultBootOrder")]
    public ActionTarget? SetDefaultBootOrder { get; init; }
}

/// <summary>The project's OEM actions on a System (CSDL: schemas/redfish/OpenCHAMIVbmc_v1.xml, namespace OpenCHAMIComputerSystem).</summary>
public sealed record ComputerSystemOemActions(
    [property: JsonPropertyName("#OpenCHAMIComputerSystem.Reimage")] OemAction Reimage,
    [property: JsonPropertyName("#OpenCHAMIComputerSystem.DeleteState")] OemAction DeleteState);

public sealed record OemAction([property: JsonPropertyName("target")] string Target, [property: JsonPropertyName("title")] string Title);

public sealed record ResetAction(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("@Redfish.ActionInfo")] string ActionInfo,
    [property: JsonPropertyName("ResetType@Redfish.AllowableValues")] IReadOnlyList<string> AllowableValues);

/// <summary>The project's OEM extension of ComputerSystem: how the slot's binding validated on this host.</summary>
public sealed record SystemOem([property: JsonPropertyName("OpenCHAMI")] SystemOemOpenChami OpenChami);

public sealed record SystemOemOpenChami(
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string NodeType,
    string Slot,
    string? Profile,
    string? Image,
    bool Usable,
    IReadOnlyList<OemFinding> Findings,
    string? HostId = null);

public sealed record OemFinding(string Code, string Severity, string? Device, string Message);
