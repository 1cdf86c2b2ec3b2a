using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>One guest CPU socket of a slot (Systems/{id}/Processors/{cpu}).</summary>
public sealed record Processor(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Socket,
    string ProcessorType,
    string ProcessorArchitecture,
    string InstructionSet,
    string Model,
    string SerialNumber,
    int TotalCores,
    int TotalEnabledCores,
    int TotalThreads,
    Status Status,
    [property: JsonPropertyName("Oem")] ProcessorOem Oem) : IRedfishResource;

public sealed record ProcessorOem([property: JsonPropertyName("OpenCHAMI")] ProcessorOemOpenChami OpenChami);

/// <summary>Where the slot's vCPUs run on the host (CSDL: OpenCHAMIProcessor in schemas/redfish/OpenCHAMIVbmc_v1.xml).</summary>
public sealed record ProcessorOemOpenChami(
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string? HostCpuModel,
    IReadOnlyList<int> HostCpus,
    int? HostNumaNode,
    string NumaPolicy);

/// <summary>The slot's guest memory (Systems/{id}/Memory/{m}): one entry per guest NUMA cell (the domain renders one).</summary>
public sealed record Memory(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string MemoryType,
    string SerialNumber,
    int CapacityMiB,
    IReadOnlyList<string> OperatingMemoryModes,
    Status Status,
    [property: JsonPropertyName("Oem")] MemoryOem Oem) : IRedfishResource;

public sealed record MemoryOem([property: JsonPropertyName("OpenCHAMI")] MemoryOemOpenChami OpenChami);

/// <summary>How the guest memory is backed on the host (CSDL: OpenCHAMIMemory).</summary>
public sealed record MemoryOemOpenChami(
    [property: JsonPropertyName("@odata.type")] string ODataType,
    int GuestNumaCell,
    bool Hugepages,
    string? HugepageSize,
    int? HostNumaNode,
    string NumaPolicy);

/// <summary>The slot's virtio block storage (Systems/{id}/Storage/{s}): its drives, none for a diskless slot.</summary>
public sealed record Storage(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    IReadOnlyList<ODataId> Drives,
    [property: JsonPropertyName("Drives@odata.count")] int DrivesCount,
    Status Status) : IRedfishResource;

public sealed record Drive(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    long CapacityBytes,
    string Model,
    Status Status) : IRedfishResource;

/// <summary>The same disks for clients that read SimpleStorage (Ironic's inspection takes local_gb from it).</summary>
public sealed record SimpleStorage(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    IReadOnlyList<SimpleStorageDevice> Devices,
    Status Status) : IRedfishResource;

public sealed record SimpleStorageDevice(string Name, string Model, long CapacityBytes, Status Status);
