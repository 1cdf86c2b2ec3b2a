using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>One device a slot's boot order can name (BootOption); its BootOptionReference is what Boot.BootOrder lists.</summary>
public sealed record BootOption(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string BootOptionReference,
    string DisplayName,
    string Alias,
    bool BootOptionEnabled,
    IReadOnlyList<ODataId> RelatedItem,
    [property: JsonPropertyName("RelatedItem@odata.count")] int RelatedItemCount) : IRedfishResource;

/// <summary>
/// A slot's BIOS (Bios): its firmware attributes as the VM runs with them. <see cref="Settings"/> names the settings
/// resource a PATCH goes to; the settings resource itself is a Bios without it.
/// </summary>
public sealed record Bios(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    string AttributeRegistry,
    BiosAttributes Attributes,
    BiosActions? Actions) : IRedfishResource
{
    [JsonPropertyName("@Redfish.Settings")]
    public RedfishSettings? Settings { get; init; }
}

/// <summary>
/// The attributes, named and typed by the project's attribute registry (OpenCHAMIVbmcBios). The settable ones come first;
/// the settings resource shows only those (the others are null there and not written).
/// </summary>
public sealed record BiosAttributes(
    string BootMenu,
    int BootMenuTimeoutSeconds,
    string? FirmwareType = null,
    string? BootMode = null,
    string? FirmwareImage = null,
    string? FirmwareVersion = null,
    string? SecureBoot = null,
    string? NumaPolicy = null,
    int? NumaNode = null,
    bool? Hugepages = null,
    string? HugepageSize = null);

public sealed record BiosActions(
    [property: JsonPropertyName("#Bios.ResetBios")] ActionTarget ResetBios);

/// <summary>The @Redfish.Settings annotation: where pending settings go and when they apply.</summary>
public sealed record RedfishSettings(
    [property: JsonPropertyName("@odata.type")] string ODataType,
    ODataId SettingsObject,
    IReadOnlyList<string> SupportedApplyTimes);

/// <summary>A registry the service publishes (MessageRegistryFile); its Location says where to read it.</summary>
public sealed record MessageRegistryFile(
    [property: JsonPropertyName("@odata.id")] string ODataId,
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    IReadOnlyList<string> Languages,
    string Registry,
    IReadOnlyList<RegistryLocation> Location) : IRedfishResource;

public sealed record RegistryLocation(string Language, string Uri);

/// <summary>The attribute registry of the slots' BIOS attributes (AttributeRegistry; the schema gives it no @odata.id).</summary>
public sealed record AttributeRegistry(
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string Id,
    string Name,
    string Description,
    string Language,
    string RegistryVersion,
    string OwningEntity,
    IReadOnlyList<AttributeRegistrySystem> SupportedSystems,
    AttributeRegistryEntries RegistryEntries) : IRedfishResource;

public sealed record AttributeRegistrySystem(string ProductName, string SystemId, string FirmwareVersion);

public sealed record AttributeRegistryEntries(IReadOnlyList<AttributeDefinition> Attributes);

/// <summary>One attribute: its type, whether it can be set, its allowed values or bounds, and when a change applies.</summary>
public sealed record AttributeDefinition(
    string AttributeName,
    string DisplayName,
    string HelpText,
    string Type,
    bool ReadOnly,
    bool ResetRequired,
    IReadOnlyList<AttributeValue>? Value = null,
    long? LowerBound = null,
    long? UpperBound = null);

public sealed record AttributeValue(string ValueName, string ValueDisplayName);
