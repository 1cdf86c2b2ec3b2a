using System.Text.Json;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// The attribute registry of the slots' BIOS attributes (OpenCHAMIVbmcBios): one list that both the registry clients
/// read and the check of a settings PATCH use, published under /redfish/v1/Registries.
/// </summary>
public static class BiosRegistry
{
    public const string Id = "OpenCHAMIVbmcBios";
    public const string Version = "1.0.0";

    private static AttributeValue[] Values(params string[] names) => names.Select(n => new AttributeValue(n, n)).ToArray();

    public static readonly IReadOnlyList<AttributeDefinition> Attributes =
    [
        new("BootMenu", "Boot menu", "Whether the firmware offers its boot menu at power-on (libvirt os/bootmenu). Applied at the next power-on.",
            "Enumeration", ReadOnly: false, ResetRequired: true, Values("Enabled", "Disabled")),
        new("BootMenuTimeoutSeconds", "Boot menu timeout",
            "Seconds the boot menu waits for a key; 0 leaves the firmware's default. Only with BootMenu Enabled. Applied at the next power-on.",
            "Integer", ReadOnly: false, ResetRequired: true, LowerBound: 0, UpperBound: FirmwareSettings.MaxBootMenuTimeoutSeconds),
        new("FirmwareType", "Firmware type", "The slot template's firmware: UEFI (OVMF) or BIOS (SeaBIOS).", "Enumeration", true, false, Values("UEFI", "BIOS")),
        new("BootMode", "Boot mode", "The boot mode that firmware gives (Boot.BootSourceOverrideMode).", "Enumeration", true, false, Values("UEFI", "Legacy")),
        new("FirmwareImage", "Firmware image",
            "The firmware image libvirt chose for the running VM; empty until it chose one (before the first start, or on a driver that does not).",
            "String", true, false),
        new("FirmwareVersion", "Firmware version",
            "The host's Debian package the firmware comes from and its installed version (ovmf for UEFI, seabios for BIOS); empty when it is not installed.",
            "String", true, false),
        new("SecureBoot", "Secure boot", "Enabled when that image is a secure-boot build (without one: when the definition the VM runs with asks for it); Unknown for UEFI when neither says. Switched at the System's SecureBoot resource.",
            "Enumeration", true, false, Values("Enabled", "Disabled", "Unknown")),
        new("NumaPolicy", "NUMA policy", "How the slot's memory is bound to its host NUMA node (the template's cpu.numaPolicy).",
            "Enumeration", true, false, Values("Strict", "Preferred", "None")),
        new("NumaNode", "NUMA node", "The host NUMA node the slot is placed on; absent when the template names none.", "Integer", true, false, LowerBound: 0, UpperBound: 1023),
        new("Hugepages", "Hugepages", "Whether the slot's memory is backed by hugepages (the template's memory.hugepages).", "Boolean", true, false),
        new("HugepageSize", "Hugepage size", "The hugepage size backing the slot's memory.", "Enumeration", true, false, Values("None", "2MiB", "1GiB")),
    ];

    private static AttributeDefinition? Find(string name) => Attributes.FirstOrDefault(a => a.AttributeName == name);

    /// <summary>Every problem of a settings PATCH's Attributes object, as Base messages (empty when it can be applied).</summary>
    public static IEnumerable<RedfishMessage> Problems(JsonElement attributes)
    {
        var problems = new List<RedfishMessage>();
        foreach (var member in attributes.EnumerateObject())
        {
            var path = "Attributes/" + member.Name;
            var value = member.Value;
            switch (Find(member.Name))
            {
                case null:
                    problems.Add(BaseMessages.PropertyUnknown(path));
                    break;
                case { ReadOnly: true }:
                    problems.Add(BaseMessages.PropertyNotWritable(path));
                    break;
                case { Type: "Enumeration" } e when value.ValueKind != JsonValueKind.String:
                case { Type: "Integer" } when value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out _):
                    problems.Add(BaseMessages.PropertyValueTypeError(value.GetRawText(), path));
                    break;
                case { Type: "Enumeration" } e when !e.Value!.Any(v => v.ValueName == value.GetString()):
                    problems.Add(BaseMessages.PropertyValueNotInList(value.GetString()!, path));
                    break;
                case { Type: "Integer" } i when value.GetInt64() < i.LowerBound || value.GetInt64() > i.UpperBound:
                    problems.Add(BaseMessages.PropertyValueOutOfRange(value.GetRawText(), path));
                    break;
            }
        }
        if (problems.Count == 0 && !attributes.EnumerateObject().Any())
        {
            problems.Add(BaseMessages.NoOperation());
        }
        return problems;
    }

    /// <summary>The settings after a checked Attributes object (<see cref="Problems"/> found none).</summary>
    public static FirmwareSettings Apply(FirmwareSettings current, JsonElement attributes) => current with
    {
        BootMenu = attributes.TryGetProperty("BootMenu", out var menu) ? menu.GetString() == "Enabled" : current.BootMenu,
        BootMenuTimeoutSeconds = attributes.TryGetProperty("BootMenuTimeoutSeconds", out var timeout) ? timeout.GetInt32() : current.BootMenuTimeoutSeconds,
    };

    public static AttributeRegistry Document() => new(
        "#AttributeRegistry.v1_3_9.AttributeRegistry", $"{Id}.{Version}", "OpenCHAMI Virtual BMC BIOS attribute registry",
        "Names, types and bounds of the BIOS attributes of a slot (Systems/{id}/Bios)", "en", Version, "OpenCHAMI",
        [new AttributeRegistrySystem("OpenCHAMI Virtual Node", "OpenCHAMIvBMC", ServiceVersion.Text)],
        new AttributeRegistryEntries(Attributes));

    public static MessageRegistryFile File() => new(
        Paths.RegistryFile(Id), "#MessageRegistryFile.v1_1_5.MessageRegistryFile", Id, "BIOS attribute registry file",
        "Where the slots' BIOS attribute registry is served", ["en"], $"{Id}.{Version[..Version.LastIndexOf('.')]}",
        [new RegistryLocation("en", Paths.RegistryDocument(Id, Version))]);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet(Paths.Registries, "MessageRegistryFileCollection", context =>
            RedfishResponses.WriteAsync(context, ResourceCollection.Of(Paths.Registries, "#MessageRegistryFileCollection.MessageRegistryFileCollection",
                "Registries", [Paths.RegistryFile(Id)]), RedfishJsonContext.Wire.ResourceCollection));
        app.MapRedfishGet("/redfish/v1/Registries/{registry}", "MessageRegistryFile", context =>
            (string?)context.Request.RouteValues["registry"] == Id
                ? RedfishResponses.WriteAsync(context, File(), RedfishJsonContext.Wire.MessageRegistryFile)
                : RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("MessageRegistryFile", context.Request.Path.Value ?? "")));
        app.MapRedfishGet("/redfish/v1/Registries/{registry}/{document}", "AttributeRegistry", context =>
            context.Request.Path.Value == Paths.RegistryDocument(Id, Version)
                ? RedfishResponses.WriteAsync(context, Document(), RedfishJsonContext.Wire.AttributeRegistry)
                : RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("AttributeRegistry", context.Request.Path.Value ?? "")));
    }
}
