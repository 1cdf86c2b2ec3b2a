using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>
/// Boot.BootOrder with its BootOptions, and the BIOS attributes with their settings resource and attribute registry:
/// each written into the slot's domain definition, read back from it, and applied by the VM's next power-on.
/// </summary>
public sealed class BootOrderAndBiosTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string System0 = "/redfish/v1/Systems/slot0";
    private const string Bios = System0 + "/Bios";
    private const string Settings = Bios + "/Settings";

    private static List<string> MessageIds(JsonElement body) =>
        body.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()!).ToList();

    private static List<string?> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()).ToList();

    private XDocument DomainXml(bool inactive)
    {
        var runtime = (LibvirtSlotRuntime)server.Node.Hypervisor!.FindSlot("slot0")!;
        using var connection = LibvirtConnection.Open("test:///default");
        using var domain = connection.LookupByName(runtime.DomainName);
        return XDocument.Parse(domain.GetXmlDesc(inactive));
    }

    private List<string> BootDevs(bool inactive = true) =>
        DomainXml(inactive).Root!.Element("os")!.Elements("boot").Select(b => b.Attribute("dev")!.Value).ToList();

    private Task<(HttpResponseMessage Response, JsonElement Body)> Reset(string type) =>
        server.SendAsync(HttpMethod.Post, System0 + "/Actions/ComputerSystem.Reset", $$"""{"ResetType":"{{type}}"}""");

    private async Task<List<string?>> BootOrder() => Strings((await server.GetAsync(System0)).Body.GetProperty("Boot").GetProperty("BootOrder"));

    [Fact]
    public async Task BootOptions_NameTheDisk_TheCdDrive_AndTheNetwork_AndValidate()
    {
        var (_, system) = await server.GetAsync(System0);
        var boot = system.GetProperty("Boot");
        Assert.Contains("BootOrder", Strings(boot.GetProperty("@Redfish.WriteableProperties")));
        var (_, options) = await server.GetAsync(boot.GetProperty("BootOptions").GetProperty("@odata.id").GetString()!);
        Assert.Empty(RedfishSchemas.Validate(options.GetRawText()));
        var aliases = new List<string>();
        foreach (var member in options.GetProperty("Members").EnumerateArray())
        {
            var (response, option) = await server.GetAsync(member.GetProperty("@odata.id").GetString()!);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(RedfishSchemas.Validate(option.GetRawText()));
            Assert.Equal(option.GetProperty("Id").GetString(), option.GetProperty("BootOptionReference").GetString());
            aliases.Add(option.GetProperty("Alias").GetString()!);
        }
        Assert.Equal(["Hdd", "Cd", "Pxe"], aliases);
        Assert.Equal(HttpStatusCode.NotFound, (await server.GetAsync(System0 + "/BootOptions/Boot0099")).Response.StatusCode);
    }

    [Fact]
    public async Task BootOrder_IsKeptInTheDomain_UnderAnOverride_AndBackToTheDefault()
    {
        Assert.Equal(["Boot0000", "Boot0002"], await BootOrder());
        Assert.Equal(["hd", "network"], BootDevs());

        var (patched, body) = await server.SendAsync(HttpMethod.Patch, System0, """{"Boot":{"BootOrder":["Boot0001","Boot0000"]}}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Empty(RedfishSchemas.Validate(body.GetRawText()));
        Assert.Equal(["Boot0001", "Boot0000"], Strings(body.GetProperty("Boot").GetProperty("BootOrder")));
        Assert.Equal(["cdrom", "hd"], BootDevs());
        // Read back from the domain's metadata, not the cache: a BMC restart rereads it.
        await server.SendAsync(HttpMethod.Post, "/redfish/v1/Managers/BMC/Actions/Manager.Reset", """{"ResetType":"ForceRestart"}""");
        Assert.Equal(["Boot0001", "Boot0000"], await BootOrder());

        // A Once override goes first for its one boot; the order is what the slot boots after it.
        await Reset("ForceOff");
        await server.SendAsync(HttpMethod.Patch, System0, """{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}}""");
        Assert.Equal(["network", "cdrom", "hd"], BootDevs());
        Assert.Equal(["Boot0001", "Boot0000"], await BootOrder());
        await Reset("On");
        Assert.Equal(["network", "cdrom", "hd"], BootDevs(inactive: false));
        Assert.Equal(["cdrom", "hd"], BootDevs());

        var (reset, _) = await server.SendAsync(HttpMethod.Post, System0 + "/Actions/ComputerSystem.SetDefaultBootOrder", "{}");
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(["Boot0000", "Boot0002"], await BootOrder());
        Assert.Equal(["hd", "network"], BootDevs());
    }

    [Theory]
    [InlineData("""["Boot0009"]""", "PropertyValueNotInList")]
    [InlineData("""["Boot0000","Boot0000"]""", "PropertyValueIncorrect")]
    [InlineData("""[]""", "ArraySizeTooShort")]
    [InlineData("""[1]""", "PropertyValueTypeError")]
    [InlineData("\"Boot0000\"", "PropertyValueTypeError")]
    public async Task ABadBootOrder_Is400_AndChangesNothing(string order, string messageId)
    {
        var before = BootDevs();
        var (response, body) = await server.SendAsync(HttpMethod.Patch, System0, $$$"""{"Boot":{"BootOrder":{{{order}}}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Base.1.22." + messageId, MessageIds(body));
        Assert.Equal(before, BootDevs());
    }

    [Fact]
    public async Task Bios_SaysWhatTheTemplateDecided_AndValidates()
    {
        var (_, bios) = await server.GetAsync(Bios);
        Assert.Equal("", string.Join("; ", RedfishSchemas.Validate(bios.GetRawText())));
        var attributes = bios.GetProperty("Attributes");
        var template = server.Node.State.Site.Slots.Single(s => s.Name == "slot0").Template;
        Assert.Equal(template.Firmware == Slots.Catalog.Firmware.Uefi ? "UEFI" : "BIOS", attributes.GetProperty("FirmwareType").GetString());
        Assert.Equal(template.Memory.Hugepages, attributes.GetProperty("Hugepages").GetBoolean());
        // The version the UpdateService's FirmwareInventory gives for the same package (or "" when it is not installed).
        var (_, firmware) = await server.GetAsync("/redfish/v1/UpdateService/FirmwareInventory/slot0-Firmware");
        Assert.Equal(firmware.TryGetProperty("Version", out var version) ? $"{firmware.GetProperty("SoftwareId").GetString()} {version.GetString()}" : "",
            attributes.GetProperty("FirmwareVersion").GetString());
        Assert.Equal(template.Cpu.NumaPolicy.ToString(), attributes.GetProperty("NumaPolicy").GetString());
        Assert.Equal(Settings, bios.GetProperty("@Redfish.Settings").GetProperty("SettingsObject").GetProperty("@odata.id").GetString());

        // Every attribute served is in the registry the Bios names, with a type that matches its value.
        var (_, files) = await server.GetAsync("/redfish/v1/Registries");
        Assert.Equal("", string.Join("; ", RedfishSchemas.Validate(files.GetRawText())));
        var (_, file) = await server.GetAsync(files.GetProperty("Members")[0].GetProperty("@odata.id").GetString()!);
        Assert.Equal("", string.Join("; ", RedfishSchemas.Validate(file.GetRawText())));
        var (_, registry) = await server.GetAsync(file.GetProperty("Location")[0].GetProperty("Uri").GetString()!);
        Assert.Equal("", string.Join("; ", RedfishSchemas.Validate(registry.GetRawText())));
        Assert.Equal(bios.GetProperty("AttributeRegistry").GetString(), registry.GetProperty("Id").GetString());
        var definitions = registry.GetProperty("RegistryEntries").GetProperty("Attributes").EnumerateArray()
            .ToDictionary(a => a.GetProperty("AttributeName").GetString()!, a => a.GetProperty("Type").GetString());
        foreach (var attribute in attributes.EnumerateObject())
        {
            Assert.True(definitions.TryGetValue(attribute.Name, out var type), attribute.Name);
            Assert.Equal(type switch { "Integer" => JsonValueKind.Number, "Boolean" => attribute.Value.ValueKind, _ => JsonValueKind.String },
                attribute.Value.ValueKind);
        }
    }

    [Fact]
    public async Task ASlotThatFailedValidation_ShowsItsBiosFromTheTemplate_AndTakesNoSettings()
    {
        foreach (var path in new[] { "/redfish/v1/Systems/slot2/Bios", "/redfish/v1/Systems/slot2/Bios/Settings" })
        {
            var (response, bios) = await server.GetAsync(path, r => r.RequestUri = server.Url(path, "127.0.0.12"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("", string.Join("; ", RedfishSchemas.Validate(bios.GetRawText())));
            Assert.Equal("Disabled", bios.GetProperty("Attributes").GetProperty("BootMenu").GetString());
        }
        var settings = "/redfish/v1/Systems/slot2/Bios/Settings";
        var (patched, _) = await server.SendAsync(HttpMethod.Patch, settings, """{"Attributes":{"BootMenu":"Enabled"}}""",
            r => r.RequestUri = server.Url(settings, "127.0.0.12"));
        Assert.Equal(HttpStatusCode.Conflict, patched.StatusCode);
    }

    [Fact]
    public async Task BiosSettings_ReachTheDefinitionAtOnce_AndTheRunningVmAtItsNextPowerOn()
    {
        await Reset("On");
        var (patched, pending) = await server.SendAsync(HttpMethod.Patch, Settings, """{"Attributes":{"BootMenu":"Enabled","BootMenuTimeoutSeconds":5}}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Empty(RedfishSchemas.Validate(pending.GetRawText()));
        Assert.Equal(("Enabled", 5), (pending.GetProperty("Attributes").GetProperty("BootMenu").GetString(), pending.GetProperty("Attributes").GetProperty("BootMenuTimeoutSeconds").GetInt32()));
        var menu = DomainXml(inactive: true).Root!.Element("os")!.Element("bootmenu")!;
        Assert.Equal(("yes", "5000"), (menu.Attribute("enable")?.Value, menu.Attribute("timeout")?.Value));

        // The running VM still has its old firmware settings; a restart (a cold one, the definition changed) applies them.
        Assert.Equal("Disabled", (await server.GetAsync(Bios)).Body.GetProperty("Attributes").GetProperty("BootMenu").GetString());
        await Reset("ForceRestart");
        var attributes = (await server.GetAsync(Bios)).Body.GetProperty("Attributes");
        Assert.Equal(("Enabled", 5), (attributes.GetProperty("BootMenu").GetString(), attributes.GetProperty("BootMenuTimeoutSeconds").GetInt32()));

        // ResetBios puts the defaults back for the next power-on.
        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Post, Bios + "/Actions/Bios.ResetBios", "{}")).Response.StatusCode);
        Assert.Equal("Disabled", (await server.GetAsync(Settings)).Body.GetProperty("Attributes").GetProperty("BootMenu").GetString());
        Assert.Null(DomainXml(inactive: true).Root!.Element("os")!.Element("bootmenu"));
    }

    [Theory]
    [InlineData("""{"FirmwareType":"BIOS"}""", "PropertyNotWritable")]
    [InlineData("""{"Overclock":"Enabled"}""", "PropertyUnknown")]
    [InlineData("""{"BootMenu":"Sometimes"}""", "PropertyValueNotInList")]
    [InlineData("""{"BootMenu":true}""", "PropertyValueTypeError")]
    [InlineData("""{"BootMenu":"Enabled","BootMenuTimeoutSeconds":66}""", "PropertyValueOutOfRange")]
    [InlineData("""{"BootMenu":"Disabled","BootMenuTimeoutSeconds":3}""", "PropertyValueConflict", HttpStatusCode.Conflict)]
    [InlineData("""{}""", "NoOperation")]
    public async Task ABadSettingsPatch_IsRefusedWithTheRegistrysMessage_AndChangesNothing(string attributes, string messageId, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var before = DomainXml(inactive: true).Root!.Element("os")!.ToString();
        var (response, body) = await server.SendAsync(HttpMethod.Patch, Settings, $$$"""{"Attributes":{{{attributes}}}}""");
        Assert.Equal(status, response.StatusCode);
        Assert.Contains("Base.1.22." + messageId, MessageIds(body));
        Assert.Equal(before, DomainXml(inactive: true).Root!.Element("os")!.ToString());
    }

    [Fact]
    public async Task TheBiosItself_IsReadOnly_AndAReadOnlyUserCannotChangeTheSettings()
    {
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await server.SendAsync(HttpMethod.Patch, Bios, """{"Attributes":{"BootMenu":"Enabled"}}""")).Response.StatusCode);
        using var viewer = server.ClientFor("reader", ServerTestSupport.TestAccounts.ReaderPassword);
        var (response, body) = await server.SendAsync(HttpMethod.Patch, Settings, """{"Attributes":{"BootMenu":"Enabled"}}""", client: viewer);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Base.1.22.InsufficientPrivilege", MessageIds(body));
    }
}
