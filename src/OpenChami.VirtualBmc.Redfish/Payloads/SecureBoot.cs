using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>
/// A UEFI slot's secure boot (SecureBoot): <see cref="SecureBootEnable"/> is what the VM's next power-on uses (the one
/// writable property, unless the slot's template pins it); the other two say how the running VM booted.
/// </summary>
public sealed record SecureBoot(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    bool SecureBootEnable,
    string SecureBootCurrentBoot,
    string SecureBootMode,
    [property: JsonPropertyName("@Redfish.WriteableProperties")] IReadOnlyList<string> WriteableProperties) : IRedfishResource;
