using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>The demo with slot1's template pinning secure boot on and slot3 on BIOS firmware (it has no domain: the demo host lacks its GPUs).</summary>
public sealed class SecureBootServer : RunningServer
{
    protected override string Tweak(string hostYaml)
    {
        var node = Path.Combine(Directory, "dense-gpu-hsn-node.yaml");
        var text = File.ReadAllText(node);
        foreach (var (slot, line) in new[] { ("slot1", "secureBoot: enabled"), ("slot3", "firmware: bios") })
        {
            var at = text.IndexOf($"- name: {slot}\n", StringComparison.Ordinal);
            Assert.True(at >= 0, slot);
            var end = text.IndexOf('\n', at) + 1;
            text = text[..end] + $"  {line}\n" + text[end..];
        }
        File.WriteAllText(node, text);
        return hostYaml;
    }
}

/// <summary>
/// Systems/{id}/SecureBoot: the operator's choice kept in the domain's metadata and rendered as libvirt firmware
/// autoselection features (with SMM), read back after a BMC restart, applied at the VM's next power-on; a template's pin
/// refused; none on a BIOS slot.
/// </summary>
public sealed class SecureBootTests(SecureBootServer server) : IClassFixture<SecureBootServer>
{
    private const string System0 = "/redfish/v1/Systems/slot0";
    private const string SecureBoot0 = System0 + "/SecureBoot";

    private static List<string> MessageIds(JsonElement body) =>
        body.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()!).ToList();

    private static string Address(string slot) => "127.0.0.1" + slot[^1];

    private LibvirtDomain Domain(LibvirtConnection connection, string slot) =>
        connection.LookupByName(((LibvirtSlotRuntime)server.Node.Hypervisor!.FindSlot(slot)!).DomainName);

    private XDocument DomainXml(bool inactive, string slot = "slot0")
    {
        using var connection = LibvirtConnection.Open("test:///default");
        using var domain = Domain(connection, slot);
        return XDocument.Parse(domain.GetXmlDesc(inactive));
    }

    /// <summary>"enrolled-keys=yes,secure-boot=yes|smm=on" from a domain definition.</summary>
    private string Features(bool inactive, string slot = "slot0")
    {
        var root = DomainXml(inactive, slot).Root!;
        return string.Join(",", root.Element("os")!.Element("firmware")?.Elements("feature")
                   .OrderBy(f => f.Attribute("name")!.Value, StringComparer.Ordinal)
                   .Select(f => $"{f.Attribute("name")!.Value}={f.Attribute("enabled")!.Value}") ?? [])
               + "|smm=" + (root.Element("features")?.Element("smm")?.Attribute("state")?.Value ?? "none");
    }

    private XElement? MetadataSecureBoot()
    {
        using var connection = LibvirtConnection.Open("test:///default");
        using var domain = Domain(connection, "slot0");
        return XElement.Parse(domain.GetMetadata(OpenChami.VirtualBmc.Libvirt.DomainXml.MetadataNamespace)!)
            .Elements().FirstOrDefault(e => e.Name.LocalName == "secureBoot");
    }

    private Task<(HttpResponseMessage Response, JsonElement Body)> Reset(string type) =>
        server.SendAsync(HttpMethod.Post, System0 + "/Actions/ComputerSystem.Reset", $$"""{"ResetType":"{{type}}"}""");

    private async Task<(bool Enable, string CurrentBoot, string Mode)> State()
    {
        var (response, body) = await server.GetAsync(SecureBoot0);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", string.Join("; ", RedfishSchemas.Validate(body.GetRawText())));
        return (body.GetProperty("SecureBootEnable").GetBoolean(), body.GetProperty("SecureBootCurrentBoot").GetString()!, body.GetProperty("SecureBootMode").GetString()!);
    }

    private async Task<string> BiosSecureBoot() =>
        (await server.GetAsync(System0 + "/Bios")).Body.GetProperty("Attributes").GetProperty("SecureBoot").GetString()!;

    [Fact]
    public async Task AUefiSystem_LinksItsSecureBoot_WhichValidates_AndIsOffUntilSwitchedOn()
    {
        var (_, system) = await server.GetAsync(System0);
        Assert.Equal(SecureBoot0, system.GetProperty("SecureBoot").GetProperty("@odata.id").GetString());
        var (_, secureBoot) = await server.GetAsync(SecureBoot0);
        Assert.Equal("", string.Join("; ", RedfishSchemas.Validate(secureBoot.GetRawText())));
        Assert.StartsWith("#SecureBoot.v1_1_", secureBoot.GetProperty("@odata.type").GetString(), StringComparison.Ordinal);
        Assert.Equal(["SecureBootEnable"], secureBoot.GetProperty("@Redfish.WriteableProperties").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal((false, "Disabled", "SetupMode"), await State());
        // Never switched: the definition asks libvirt for the build without secure boot, and no SMM.
        Assert.Equal("enrolled-keys=no,secure-boot=no|smm=none", Features(inactive: true));
    }

    [Fact]
    public async Task SwitchingItOn_ReachesTheDefinitionAtOnce_SurvivesABmcRestart_AndTheVmAtItsNextPowerOn()
    {
        await Reset("On");
        var (patched, body) = await server.SendAsync(HttpMethod.Patch, SecureBoot0, """{"SecureBootEnable":true}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("", string.Join("; ", RedfishSchemas.Validate(body.GetRawText())));
        Assert.True(body.GetProperty("SecureBootEnable").GetBoolean());
        Assert.Equal("Disabled", body.GetProperty("SecureBootCurrentBoot").GetString());

        // The persistent definition asks for the Microsoft-enrolled secure-boot build with SMM; the metadata keeps the choice.
        Assert.Equal("enrolled-keys=yes,secure-boot=yes|smm=on", Features(inactive: true));
        Assert.Equal("enrolled-keys=no,secure-boot=no|smm=none", Features(inactive: false));
        Assert.Equal("yes", MetadataSecureBoot()!.Attribute("enabled")!.Value);

        // Read back from the domain's metadata: a BMC restart rereads it.
        await server.SendAsync(HttpMethod.Post, "/redfish/v1/Managers/BMC/Actions/Manager.Reset", """{"ResetType":"ForceRestart"}""");
        Assert.Equal((true, "Disabled", "SetupMode"), await State());
        Assert.Equal("Disabled", await BiosSecureBoot());

        // ForceRestart is a cold start when secure boot changed: the VM boots with it, and the NVRAM is recorded as made for it.
        Assert.Equal(HttpStatusCode.NoContent, (await Reset("ForceRestart")).Response.StatusCode);
        Assert.Equal("enrolled-keys=yes,secure-boot=yes|smm=on", Features(inactive: false));
        Assert.Equal((true, "Enabled", "UserMode"), await State());
        Assert.Equal("Enabled", await BiosSecureBoot());
        Assert.Equal("yes", MetadataSecureBoot()!.Attribute("nvram")!.Value);

        // And off again, for the power-on after.
        (patched, body) = await server.SendAsync(HttpMethod.Patch, SecureBoot0, """{"SecureBootEnable":false}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("enrolled-keys=no,secure-boot=no|smm=none", Features(inactive: true));
        Assert.Equal((false, "Enabled", "UserMode"), await State());
        await Reset("ForceOff");
        Assert.Equal((false, "Disabled", "SetupMode"), await State());
        await Reset("On");
        Assert.Equal((false, "Disabled", "SetupMode"), await State());
        Assert.Equal("Disabled", await BiosSecureBoot());
        Assert.Equal("no", MetadataSecureBoot()!.Attribute("nvram")!.Value);
        await Reset("ForceOff");
    }

    [Fact]
    public async Task ATemplatesPin_IsNotWritable()
    {
        const string path = "/redfish/v1/Systems/slot1/SecureBoot";
        var (response, secureBoot) = await server.GetAsync(path, r => r.RequestUri = server.Url(path, Address("slot1")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", string.Join("; ", RedfishSchemas.Validate(secureBoot.GetRawText())));
        Assert.True(secureBoot.GetProperty("SecureBootEnable").GetBoolean());
        Assert.Empty(secureBoot.GetProperty("@Redfish.WriteableProperties").EnumerateArray());
        Assert.Equal("enrolled-keys=yes,secure-boot=yes|smm=on", Features(inactive: true, "slot1"));

        var (patched, body) = await server.SendAsync(HttpMethod.Patch, path, """{"SecureBootEnable":false}""", r => r.RequestUri = server.Url(path, Address("slot1")));
        Assert.Equal(HttpStatusCode.BadRequest, patched.StatusCode);
        Assert.Contains("Base.1.22.PropertyNotWritable", MessageIds(body));
        Assert.Equal("enrolled-keys=yes,secure-boot=yes|smm=on", Features(inactive: true, "slot1"));

        // The VM boots with it.
        const string reset = "/redfish/v1/Systems/slot1/Actions/ComputerSystem.Reset";
        await server.SendAsync(HttpMethod.Post, reset, """{"ResetType":"On"}""", r => r.RequestUri = server.Url(reset, Address("slot1")));
        (_, secureBoot) = await server.GetAsync(path, r => r.RequestUri = server.Url(path, Address("slot1")));
        Assert.Equal(("Enabled", "UserMode"), (secureBoot.GetProperty("SecureBootCurrentBoot").GetString(), secureBoot.GetProperty("SecureBootMode").GetString()));
        await server.SendAsync(HttpMethod.Post, reset, """{"ResetType":"ForceOff"}""", r => r.RequestUri = server.Url(reset, Address("slot1")));
    }

    [Fact]
    public async Task ABiosSlot_HasNoSecureBoot()
    {
        const string system = "/redfish/v1/Systems/slot3";
        var (_, body) = await server.GetAsync(system, r => r.RequestUri = server.Url(system, Address("slot3")));
        Assert.Equal("Legacy", body.GetProperty("Boot").GetProperty("BootSourceOverrideMode").GetString());
        Assert.False(body.TryGetProperty("SecureBoot", out _));
        const string path = system + "/SecureBoot";
        var (response, error) = await server.GetAsync(path, r => r.RequestUri = server.Url(path, Address("slot3")));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Base.1.22.ResourceNotFound", MessageIds(error));
        (response, error) = await server.SendAsync(HttpMethod.Patch, path, """{"SecureBootEnable":true}""", r => r.RequestUri = server.Url(path, Address("slot3")));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ASlotThatFailedValidation_ShowsItsSecureBootFromTheTemplate()
    {
        const string path = "/redfish/v1/Systems/slot2/SecureBoot";
        var (response, body) = await server.GetAsync(path, r => r.RequestUri = server.Url(path, Address("slot2")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", string.Join("; ", RedfishSchemas.Validate(body.GetRawText())));
        Assert.False(body.GetProperty("SecureBootEnable").GetBoolean());
    }

    [Theory]
    [InlineData("""{"SecureBootEnable":"yes"}""", "PropertyValueTypeError")]
    [InlineData("""{"SecureBootMode":"DeployedMode"}""", "PropertyNotWritable")]
    [InlineData("""{"SecureBootCurrentBoot":"Enabled"}""", "PropertyNotWritable")]
    [InlineData("""{"SecureBootEnabled":true}""", "PropertyUnknown")]
    [InlineData("""{}""", "NoOperation")]
    public async Task ABadPatch_IsRefusedWithTheBaseMessage_AndChangesNothing(string patch, string messageId)
    {
        var before = DomainXml(inactive: true).Root!.Element("os")!.ToString();
        var (response, body) = await server.SendAsync(HttpMethod.Patch, SecureBoot0, patch);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Base.1.22." + messageId, MessageIds(body));
        Assert.Equal(before, DomainXml(inactive: true).Root!.Element("os")!.ToString());
    }

    [Fact]
    public async Task IfMatch_NamesThisResourcesETag_AndAReadOnlyUserCannotSwitchIt()
    {
        var (stale, error) = await server.SendAsync(HttpMethod.Patch, SecureBoot0, """{"SecureBootEnable":true}""", r => r.Headers.TryAddWithoutValidation("If-Match", "\"stale\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("enrolled-keys=no,secure-boot=no|smm=none", Features(inactive: true));
        var (read, _) = await server.GetAsync(SecureBoot0);
        var etag = read.Headers.ETag!.Tag;
        var (matched, _) = await server.SendAsync(HttpMethod.Patch, SecureBoot0, """{"SecureBootEnable":false}""", r => r.Headers.TryAddWithoutValidation("If-Match", etag));
        Assert.Equal(HttpStatusCode.OK, matched.StatusCode);

        using var viewer = server.ClientFor("reader", ServerTestSupport.TestAccounts.ReaderPassword);
        var (response, body) = await server.SendAsync(HttpMethod.Patch, SecureBoot0, """{"SecureBootEnable":true}""", client: viewer);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Base.1.22.InsufficientPrivilege", MessageIds(body));
        Assert.Equal("enrolled-keys=no,secure-boot=no|smm=none", Features(inactive: true));
    }
}
