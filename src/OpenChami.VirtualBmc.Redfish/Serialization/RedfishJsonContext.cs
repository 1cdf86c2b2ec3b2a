using System.Text.Json.Serialization;
using OpenChami.VirtualBmc.Redfish.Payloads;

namespace OpenChami.VirtualBmc.Redfish.Serialization;

/// <summary>Source-generated serializers for every payload: no reflection on the request path.</summary>
[JsonSourceGenerationOptions(
    WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified)]
[JsonSerializable(typeof(ServiceRoot))]
[JsonSerializable(typeof(RedfishVersions))]
[JsonSerializable(typeof(ResourceCollection))]
[JsonSerializable(typeof(ComputerSystem))]
[JsonSerializable(typeof(RedfishError))]
[JsonSerializable(typeof(ActionResult))]
[JsonSerializable(typeof(SessionService))]
[JsonSerializable(typeof(Chassis))]
[JsonSerializable(typeof(Manager))]
[JsonSerializable(typeof(EthernetInterface))]
[JsonSerializable(typeof(VirtualMedia))]
[JsonSerializable(typeof(ActionInfo))]
[JsonSerializable(typeof(PCIeDevice))]
[JsonSerializable(typeof(PCIeFunction))]
[JsonSerializable(typeof(AccountService))]
[JsonSerializable(typeof(ManagerAccount))]
[JsonSerializable(typeof(Role))]
[JsonSerializable(typeof(Processor))]
[JsonSerializable(typeof(Memory))]
[JsonSerializable(typeof(Storage))]
[JsonSerializable(typeof(Drive))]
[JsonSerializable(typeof(SimpleStorage))]
[JsonSerializable(typeof(LogService))]
[JsonSerializable(typeof(LogEntryCollection))]
[JsonSerializable(typeof(LogEntry))]
[JsonSerializable(typeof(BootOption))]
[JsonSerializable(typeof(Bios))]
[JsonSerializable(typeof(SecureBoot))]
[JsonSerializable(typeof(MessageRegistryFile))]
[JsonSerializable(typeof(AttributeRegistry))]
[JsonSerializable(typeof(ManagerNetworkProtocol))]
[JsonSerializable(typeof(UpdateService))]
[JsonSerializable(typeof(SoftwareInventory))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
public sealed partial class RedfishJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context the service writes with: relaxed escaping, since payloads are served as application/json and never
    /// embedded in HTML, so an apostrophe stays an apostrophe for curl users.
    /// </summary>
    public static RedfishJsonContext Wire { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
