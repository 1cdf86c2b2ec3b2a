using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>A host device passed to the slot, as the guest sees a PCIe device; the host address is in the OEM part.</summary>
public sealed record PCIeDevice(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    string DeviceType,
    Status Status,
    ODataId PCIeFunctions,
    PCIeOem Oem) : IRedfishResource;

public sealed record PCIeFunction(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    int FunctionId,
    string FunctionType,
    string DeviceClass,
    string? VendorId,
    string? DeviceId,
    Status Status,
    PCIeOem Oem) : IRedfishResource;

public sealed record PCIeOem([property: JsonPropertyName("OpenCHAMI")] PCIeOemOpenChami OpenChami);

/// <summary>Where the device really is on the host, so an operator can audit the binding.</summary>
public sealed record PCIeOemOpenChami(
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string TemplateDevice,
    string Kind,
    string? HostPciAddress,
    string? PhysicalFunction,
    int? VirtualFunctionIndex,
    string Selector);
