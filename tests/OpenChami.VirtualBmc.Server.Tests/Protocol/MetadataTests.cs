using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Server.Resources;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Protocol;

public sealed class MetadataTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static readonly XNamespace Edmx = "http://docs.oasis-open.org/odata/ns/edmx";

    [SkippableFact]
    public async Task Metadata_ReferencesOnlyNamespacesTheDmtfCsdlDefines()
    {
        RedfishSchemas.SkipIfAbsent();
        var response = await server.Anonymous.GetAsync(server.Url("/redfish/v1/$metadata"));
        Assert.Equal("application/xml", response.Content.Headers.ContentType!.MediaType);
        var document = XDocument.Parse(await response.Content.ReadAsStringAsync());
        var csdl = Path.Combine(RepoPaths.RedfishSchemaDir, "csdl");
        var references = document.Root!.Elements(Edmx + "Reference").ToList();
        Assert.True(references.Count >= 20);
        foreach (var reference in references)
        {
            var uri = (string)reference.Attribute("Uri")!;
            var text = uri.StartsWith("http://redfish.dmtf.org/schemas/v1/", StringComparison.Ordinal)
                ? File.ReadAllText(Path.Combine(csdl, uri[(uri.LastIndexOf('/') + 1)..]))
                : await server.Anonymous.GetStringAsync(server.Url(uri));
            foreach (var ns in reference.Elements(Edmx + "Include").Select(i => (string)i.Attribute("Namespace")!))
            {
                Assert.True(text.Contains($"Namespace=\"{ns}\"", StringComparison.Ordinal), $"{uri} does not define {ns}");
            }
        }
    }

    [Fact]
    public async Task EveryEmittedODataType_IsReferencedByMetadata()
    {
        var included = MetadataResource.References.SelectMany(r => r.Namespaces).ToHashSet();
        foreach (var path in new[] { "/redfish/v1", "/redfish/v1/Systems/slot0", "/redfish/v1/Chassis/slot0", "/redfish/v1/Managers/BMC",
            "/redfish/v1/Systems/slot0/EthernetInterfaces/hsn0", "/redfish/v1/Systems/slot0/VirtualMedia/Cd", "/redfish/v1/Systems/slot0/ResetActionInfo",
            "/redfish/v1/Systems/slot0/PCIeDevices/gpu0", "/redfish/v1/Systems/slot0/PCIeDevices/gpu0/PCIeFunctions/0", "/redfish/v1/SessionService",
            "/redfish/v1/AccountService", "/redfish/v1/AccountService/Accounts/admin", "/redfish/v1/AccountService/Roles/ReadOnly",
            "/redfish/v1/Systems/slot0/Processors", "/redfish/v1/Systems/slot0/Processors/CPU0", "/redfish/v1/Systems/slot0/Memory",
            "/redfish/v1/Systems/slot0/Memory/Memory0", "/redfish/v1/Systems/slot0/Storage", "/redfish/v1/Systems/slot0/Storage/VirtioBlock",
            "/redfish/v1/Chassis/slot0/Drives/vda", "/redfish/v1/Systems/slot0/SimpleStorage",
            "/redfish/v1/Systems/slot0/SimpleStorage/VirtioBlock", "/redfish/v1/Managers/BMC/ResetActionInfo" })
        {
            var (_, body) = await server.GetAsync(path);
            var type = body.GetProperty("@odata.type").GetString()!.TrimStart('#');
            Assert.Contains(type[..type.LastIndexOf('.')], included);
        }
    }

    [Fact]
    public async Task ODataServiceDocument_ListsTheTopLevelResources()
    {
        var response = await server.Anonymous.GetAsync(server.Url("/redfish/v1/odata"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/redfish/v1/$metadata", json.RootElement.GetProperty("@odata.context").GetString());
        var urls = json.RootElement.GetProperty("value").EnumerateArray().Select(v => v.GetProperty("url").GetString()).ToList();
        Assert.Contains("/redfish/v1/Systems", urls);
        foreach (var url in urls.Where(u => u != "/redfish/v1/"))
        {
            Assert.Equal(HttpStatusCode.OK, (await server.GetAsync(url!)).Response.StatusCode);
        }
    }
}
