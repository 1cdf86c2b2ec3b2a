using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>Boot.HttpBootUri with UefiHttp: kept in the domain's metadata with the override, Once really once, http(s) only.</summary>
public sealed class HttpBootUriTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string System0 = "/redfish/v1/Systems/slot0";
    private const string Uri = "http://127.0.0.1:8080/boot/ipxe.efi";

    private async Task<JsonElement> Boot() => (await server.GetAsync(System0)).Body.GetProperty("Boot");

    private Task<(HttpResponseMessage Response, JsonElement Body)> Patch(string boot) =>
        server.SendAsync(HttpMethod.Patch, System0, $$"""{"Boot":{{boot}}}""");

    private Task<(HttpResponseMessage Response, JsonElement Body)> Reset(string type) =>
        server.SendAsync(HttpMethod.Post, System0 + "/Actions/ComputerSystem.Reset", $$"""{"ResetType":"{{type}}"}""");

    private static List<string> MessageIds(JsonElement body) =>
        body.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()!).ToList();

    [Fact]
    public async Task UefiHttpOnce_KeepsItsUriInTheDomain_AndBothGoAfterOneBoot()
    {
        await Reset("ForceOff");
        var (patched, body) = await Patch($$"""{"BootSourceOverrideTarget":"UefiHttp","BootSourceOverrideEnabled":"Once","HttpBootUri":"{{Uri}}"}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(Uri, body.GetProperty("Boot").GetProperty("HttpBootUri").GetString());
        Assert.Empty(RedfishSchemas.Validate(body.GetRawText()));

        // Read back from the domain's metadata, not the cache: a BMC restart rereads it.
        await server.SendAsync(HttpMethod.Post, "/redfish/v1/Managers/BMC/Actions/Manager.Reset", """{"ResetType":"ForceRestart"}""");
        var boot = await Boot();
        Assert.Equal(("UefiHttp", "Once", Uri), (boot.GetProperty("BootSourceOverrideTarget").GetString(), boot.GetProperty("BootSourceOverrideEnabled").GetString(), boot.GetProperty("HttpBootUri").GetString()));

        await Reset("On");
        boot = await Boot();
        Assert.Equal(("None", "Disabled", ""), (boot.GetProperty("BootSourceOverrideTarget").GetString(), boot.GetProperty("BootSourceOverrideEnabled").GetString(), boot.GetProperty("HttpBootUri").GetString()));
    }

    [Fact]
    public async Task UefiHttpContinuous_KeepsItsUriAcrossBoots_AndAnotherTargetDropsIt()
    {
        await Reset("ForceOff");
        await Patch($$"""{"BootSourceOverrideTarget":"UefiHttp","BootSourceOverrideEnabled":"Continuous","HttpBootUri":"{{Uri}}"}""");
        await Reset("On");
        await Reset("ForceRestart");
        Assert.Equal(Uri, (await Boot()).GetProperty("HttpBootUri").GetString());
        var (_, body) = await Patch("""{"BootSourceOverrideTarget":"Pxe"}""");
        Assert.Equal("", body.GetProperty("Boot").GetProperty("HttpBootUri").GetString());
        await Patch("""{"BootSourceOverrideEnabled":"Disabled"}""");
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/boot.efi")]
    [InlineData("file:///boot.efi")]
    [InlineData("/boot/ipxe.efi")]
    [InlineData("not a uri")]
    public async Task AUriThatIsNotHttpOrHttps_Is400(string uri)
    {
        var (response, body) = await Patch($$"""{"BootSourceOverrideTarget":"UefiHttp","BootSourceOverrideEnabled":"Once","HttpBootUri":"{{uri}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Base.1.22.PropertyValueFormatError", MessageIds(body));
    }

    [Fact]
    public async Task AUriWithAnotherTarget_IsAConflict_AndChangesNothing()
    {
        var before = await Boot();
        var (response, body) = await Patch($$"""{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once","HttpBootUri":"{{Uri}}"}""");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("Base.1.22.PropertyValueConflict", MessageIds(body));
        Assert.Equal(before.GetRawText(), (await Boot()).GetRawText());
    }
}
