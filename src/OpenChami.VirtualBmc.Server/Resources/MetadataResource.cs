using System.Text;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Server.Protocol;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// $metadata (CSDL references to the DMTF schemas of every type served, plus the project's OEM schema), the OData
/// service document, and the OEM CSDL file itself. Anonymous, like the service root.
/// Built with System.Xml.Linq rather than the OData EDM library: Redfish $metadata is a list of references, not a
/// model, and 60 lines here cost less than the EDM's weight at start-up.
/// </summary>
public static class MetadataResource
{
    public const string OemSchemaFile = "OpenCHAMIVbmc_v1.xml";
    public const string OemSchemaPath = "/redfish/v1/schemas/" + OemSchemaFile;

    /// <summary>DMTF CSDL file → versioned namespaces the service emits (keep in step with the payloads' @odata.type).</summary>
    public static readonly IReadOnlyList<(string File, string[] Namespaces)> References =
    [
        ("ServiceRoot_v1.xml", ["ServiceRoot", "ServiceRoot.v1_17_0"]),
        ("ComputerSystemCollection_v1.xml", ["ComputerSystemCollection"]),
        ("ComputerSystem_v1.xml", ["ComputerSystem", "ComputerSystem.v1_22_0"]),
        ("ChassisCollection_v1.xml", ["ChassisCollection"]),
        ("Chassis_v1.xml", ["Chassis", "Chassis.v1_25_0"]),
        ("ManagerCollection_v1.xml", ["ManagerCollection"]),
        ("Manager_v1.xml", ["Manager", "Manager.v1_19_0"]),
        ("EthernetInterfaceCollection_v1.xml", ["EthernetInterfaceCollection"]),
        ("EthernetInterface_v1.xml", ["EthernetInterface", "EthernetInterface.v1_9_0"]),
        ("VirtualMediaCollection_v1.xml", ["VirtualMediaCollection"]),
        ("VirtualMedia_v1.xml", ["VirtualMedia", "VirtualMedia.v1_6_0"]),
        ("ActionInfo_v1.xml", ["ActionInfo", "ActionInfo.v1_4_0"]),
        ("PCIeDevice_v1.xml", ["PCIeDevice", "PCIeDevice.v1_9_0"]),
        ("PCIeFunctionCollection_v1.xml", ["PCIeFunctionCollection"]),
        ("PCIeFunction_v1.xml", ["PCIeFunction", "PCIeFunction.v1_2_3"]),
        ("SessionService_v1.xml", ["SessionService", "SessionService.v1_2_0"]),
        ("SessionCollection_v1.xml", ["SessionCollection"]),
        ("Session_v1.xml", ["Session", "Session.v1_7_0"]),
        ("AccountService_v1.xml", ["AccountService", "AccountService.v1_10_0"]),
        ("ManagerAccountCollection_v1.xml", ["ManagerAccountCollection"]),
        ("ManagerAccount_v1.xml", ["ManagerAccount", "ManagerAccount.v1_8_0"]),
        ("RoleCollection_v1.xml", ["RoleCollection"]),
        ("Role_v1.xml", ["Role", "Role.v1_2_1"]),
        ("ProcessorCollection_v1.xml", ["ProcessorCollection"]),
        ("Processor_v1.xml", ["Processor", "Processor.v1_20_0"]),
        ("MemoryCollection_v1.xml", ["MemoryCollection"]),
        ("Memory_v1.xml", ["Memory", "Memory.v1_20_0"]),
        ("StorageCollection_v1.xml", ["StorageCollection"]),
        ("Storage_v1.xml", ["Storage", "Storage.v1_15_0"]),
        ("Drive_v1.xml", ["Drive", "Drive.v1_17_0"]),
        ("SimpleStorageCollection_v1.xml", ["SimpleStorageCollection"]),
        ("SimpleStorage_v1.xml", ["SimpleStorage", "SimpleStorage.v1_3_0"]),
        ("LogServiceCollection_v1.xml", ["LogServiceCollection"]),
        ("LogService_v1.xml", ["LogService", "LogService.v1_5_0"]),
        ("LogEntryCollection_v1.xml", ["LogEntryCollection"]),
        ("LogEntry_v1.xml", ["LogEntry", "LogEntry.v1_16_0"]),
        ("BootOptionCollection_v1.xml", ["BootOptionCollection"]),
        ("BootOption_v1.xml", ["BootOption", "BootOption.v1_0_6"]),
        ("Bios_v1.xml", ["Bios", "Bios.v1_2_3"]),
        ("Settings_v1.xml", ["Settings", "Settings.v1_4_0"]),
        ("SecureBoot_v1.xml", ["SecureBoot", "SecureBoot.v1_1_2"]),
        ("MessageRegistryFileCollection_v1.xml", ["MessageRegistryFileCollection"]),
        ("MessageRegistryFile_v1.xml", ["MessageRegistryFile", "MessageRegistryFile.v1_1_5"]),
        ("AttributeRegistry_v1.xml", ["AttributeRegistry", "AttributeRegistry.v1_3_9"]),
        ("ManagerNetworkProtocol_v1.xml", ["ManagerNetworkProtocol", "ManagerNetworkProtocol.v1_10_0"]),
        ("UpdateService_v1.xml", ["UpdateService", "UpdateService.v1_11_0"]),
        ("SoftwareInventoryCollection_v1.xml", ["SoftwareInventoryCollection"]),
        ("SoftwareInventory_v1.xml", ["SoftwareInventory", "SoftwareInventory.v1_10_0"]),
        ("Message_v1.xml", ["Message", "Message.v1_3_0"]),
        ("Resource_v1.xml", ["Resource", "Resource.v1_0_0"]),
        ("RedfishExtensions_v1.xml", ["RedfishExtensions.v1_0_0"]),
    ];

    private static readonly XNamespace Edmx = "http://docs.oasis-open.org/odata/ns/edmx";
    private static readonly XNamespace Edm = "http://docs.oasis-open.org/odata/ns/edm";

    public static readonly byte[] Document = Build();

    private static byte[] Build()
    {
        var references = References.Select(r => Reference($"http://redfish.dmtf.org/schemas/v1/{r.File}", r.Namespaces))
            .Append(Reference(OemSchemaPath, ["OpenCHAMIComputerSystem", "OpenCHAMIComputerSystem.v1_0_0", "OpenCHAMIPCIeDevice.v1_0_0", "OpenCHAMIProcessor.v1_0_0", "OpenCHAMIMemory.v1_0_0", "OpenCHAMIValidationReport.v1_0_0", "OpenCHAMIServiceRoot.v1_0_0"]));
        var root = new XElement(Edmx + "Edmx", new XAttribute(XNamespace.Xmlns + "edmx", Edmx), new XAttribute("Version", "4.0"),
            references,
            new XElement(Edmx + "DataServices",
                new XElement(Edm + "Schema", new XAttribute("Namespace", "Service"),
                    new XElement(Edm + "EntityContainer", new XAttribute("Name", "Service"), new XAttribute("Extends", "ServiceRoot.v1_17_0.ServiceContainer")))));
        return Encoding.UTF8.GetBytes(new XDocument(new XDeclaration("1.0", "UTF-8", null), root).Declaration + "\n" + root);
    }

    private static XElement Reference(string uri, IEnumerable<string> namespaces) =>
        new(Edmx + "Reference", new XAttribute("Uri", uri), namespaces.Select(n => new XElement(Edmx + "Include", new XAttribute("Namespace", n))));

    private static readonly byte[] OemSchema = ReadOemSchema();

    private static byte[] ReadOemSchema()
    {
        using var stream = typeof(MetadataResource).Assembly.GetManifestResourceStream("redfish/" + OemSchemaFile)
            ?? throw new InvalidOperationException("OEM schema not embedded");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>The OData service document: the top-level singletons of the service root.</summary>
    public static readonly byte[] ServiceDocument = Encoding.UTF8.GetBytes(
        "{\"@odata.context\":\"/redfish/v1/$metadata\",\"value\":[" + string.Join(",",
            new[] { ("Service", "/redfish/v1/"), ("Systems", Paths.Systems), ("Chassis", Paths.Chassis), ("Managers", Paths.Managers),
                    ("SessionService", SessionServiceResource.Path), ("AccountService", Paths.AccountService),
                    ("UpdateService", Paths.UpdateService), ("Registries", Paths.Registries) }
            .Select(s => $"{{\"name\":\"{s.Item1}\",\"kind\":\"Singleton\",\"url\":\"{s.Item2}\"}}")) + "]}");

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet(Paths.Metadata, "ServiceRoot", context => WriteAsync(context, Document, "application/xml; charset=utf-8"));
        app.MapRedfishGet(OemSchemaPath, "ServiceRoot", context => WriteAsync(context, OemSchema, "application/xml; charset=utf-8"));
        app.MapRedfishGet(Paths.OData, "ServiceRoot", context => WriteAsync(context, ServiceDocument, RedfishResponses.JsonContentType));
    }

    private static async Task WriteAsync(HttpContext context, byte[] bytes, string contentType)
    {
        context.Response.ContentType = contentType;
        RedfishResponses.SetCommonHeaders(context.Response);
        context.Response.Headers.ETag = RedfishResponses.ETagOf(bytes);
        context.Response.Headers.Allow = ProtocolMiddleware.AllowHeader(context);
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }
}
