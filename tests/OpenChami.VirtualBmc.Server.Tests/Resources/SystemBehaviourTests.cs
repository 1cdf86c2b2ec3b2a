using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>Power, boot and media through Redfish on the libvirt test driver (real libvirt, in process); media downloads: <see cref="VirtualMediaOnTheDemoTests"/>.</summary>
public sealed class SystemBehaviourTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string System0 = "/redfish/v1/Systems/slot0";
    private const string Reset0 = "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset";

    private static string Code(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    private static List<string> MessageIds(JsonElement body) =>
        body.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()!).ToList();

    private async Task<string> ServedPowerState() => (await server.GetAsync(System0)).Body.GetProperty("PowerState").GetString()!;

    private Task<(HttpResponseMessage Response, JsonElement Body)> Reset(string type) =>
        server.SendAsync(HttpMethod.Post, Reset0, $$"""{"ResetType":"{{type}}"}""");

    [Fact]
    public async Task PowerCycle_ThroughEveryResetType_TracksTheDomain()
    {
        var runtime = server.Node.Hypervisor!.FindSlot("slot0")!;
        foreach (var (type, expected) in new[]
        {
            ("ForceOff", "Off"), ("ForceOff", "Off"), ("On", "On"), ("On", "On"), ("ForceRestart", "On"), ("GracefulRestart", "On"),
            ("Nmi", "On"), ("PowerCycle", "On"), ("GracefulShutdown", "Off"), ("ForceOn", "On"), ("PushPowerButton", "Off"), ("PushPowerButton", "On"),
        })
        {
            var (response, _) = await Reset(type);
            Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{type}: {response.StatusCode}");
            Assert.Equal(expected, runtime.PowerState.ToString());
            Assert.Equal(expected, await ServedPowerState());
        }
    }

    [Fact]
    public async Task NmiWhileOff_IsAConflictSayingPowerOnIsNeeded()
    {
        await Reset("ForceOff");
        var (response, body) = await Reset("Nmi");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("Base.1.22.ChassisPowerStateOnRequired", Code(body));
    }

    [Theory]
    [InlineData("""{"ResetType":"Frobnicate"}""", "Base.1.22.ActionParameterValueNotInList")]
    [InlineData("""{"ResetType":7}""", "Base.1.22.ActionParameterValueTypeError")]
    [InlineData("""{}""", "Base.1.22.ActionParameterMissing")]
    [InlineData("""{"ResetType":"On","Force":true}""", "Base.1.22.ActionParameterUnknown")]
    [InlineData("""{"ResetType":"On","ResetType":"ForceOff"}""", "Base.1.22.MalformedJSON")]
    [InlineData("""{"ResetType":""", "Base.1.22.MalformedJSON")]
    [InlineData("""["On"]""", "Base.1.22.MalformedJSON")]
    public async Task BadResetBody_Is400WithItsOwnMessage(string body, string messageId)
    {
        var (response, error) = await server.SendAsync(HttpMethod.Post, Reset0, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(messageId, MessageIds(error));
    }

    [Fact]
    public async Task ResetWithStaleIfMatch_Is412AndChangesNothing()
    {
        await Reset("On");
        var (response, body) = await server.SendAsync(HttpMethod.Post, Reset0, """{"ResetType":"ForceOff"}""",
            r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"stale\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal("Base.1.22.PreconditionFailed", Code(body));
        Assert.Equal("On", await ServedPowerState());
    }

    [Fact]
    public async Task ETag_IsStableWhileNothingChanges_AndFollowsPowerAndBootChanges()
    {
        await Reset("On");
        var first = (await server.GetAsync(System0)).Response.Headers.ETag!.ToString();
        Assert.Equal(first, (await server.GetAsync(System0)).Response.Headers.ETag!.ToString());

        await Reset("ForceOff");
        var (off, offBody) = await server.GetAsync(System0);
        Assert.Equal("Off", offBody.GetProperty("PowerState").GetString());
        Assert.NotEqual(first, off.Headers.ETag!.ToString());

        var (patched, _) = await server.SendAsync(HttpMethod.Patch, System0, """{"Boot":{"BootSourceOverrideTarget":"Cd","BootSourceOverrideEnabled":"Once"}}""",
            r => r.Headers.TryAddWithoutValidation("If-Match", off.Headers.ETag!.ToString()));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var (after, afterBody) = await server.GetAsync(System0);
        Assert.Equal("Cd", afterBody.GetProperty("Boot").GetProperty("BootSourceOverrideTarget").GetString());
        Assert.NotEqual(off.Headers.ETag!.ToString(), after.Headers.ETag!.ToString());
        await server.SendAsync(HttpMethod.Patch, System0, """{"Boot":{"BootSourceOverrideEnabled":"Disabled"}}""");
    }

    [Fact]
    public async Task BootOverride_PatchedAndReadBack_WithoutRebooting()
    {
        await Reset("On");
        var (get, _) = await server.GetAsync(System0);
        var (response, system) = await server.SendAsync(HttpMethod.Patch, System0,
            """{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Continuous"}}""",
            r => r.Headers.TryAddWithoutValidation("If-Match", get.Headers.ETag!.ToString()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var boot = system.GetProperty("Boot");
        Assert.Equal("Pxe", boot.GetProperty("BootSourceOverrideTarget").GetString());
        Assert.Equal("Continuous", boot.GetProperty("BootSourceOverrideEnabled").GetString());
        Assert.Equal("On", system.GetProperty("PowerState").GetString());
        var again = (await server.GetAsync(System0)).Body.GetProperty("Boot");
        Assert.Equal("Pxe", again.GetProperty("BootSourceOverrideTarget").GetString());
        Assert.Contains("UefiHttp", boot.GetProperty("BootSourceOverrideTarget@Redfish.AllowableValues").EnumerateArray().Select(v => v.GetString()));
    }

    [Theory]
    [InlineData("""{"Boot":{"BootSourceOverrideTarget":"Floppy"}}""", "Base.1.22.PropertyValueNotInList")]
    [InlineData("""{"Boot":{"BootSourceOverrideTarget":3}}""", "Base.1.22.PropertyValueTypeError")]
    [InlineData("""{"Boot":{"BootSourceOverrideTarge":"Pxe"}}""", "Base.1.22.PropertyUnknown")]
    [InlineData("""{"PowerState":"Off"}""", "Base.1.22.PropertyNotWritable")]
    [InlineData("""{"Bios":{}}""", "Base.1.22.PropertyUnknown")]
    [InlineData("""{"Boot":{"BootSourceOverrideMode":"Legacy"}}""", "Base.1.22.PropertyValueNotInList")]
    [InlineData("""{"@odata.id":"/redfish/v1/Systems/slot0"}""", "Base.1.22.NoOperation")]
    [InlineData("""{"Boot":"Pxe"}""", "Base.1.22.PropertyValueTypeError")]
    public async Task BadPatch_Is400WithItsOwnMessage_AndChangesNothing(string body, string messageId)
    {
        var before = (await server.GetAsync(System0)).Body.GetProperty("Boot").GetRawText();
        var (response, error) = await server.SendAsync(HttpMethod.Patch, System0, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(messageId, MessageIds(error));
        Assert.Equal(before, (await server.GetAsync(System0)).Body.GetProperty("Boot").GetRawText());
    }

    [Fact]
    public async Task SeveralMistakesInOnePatch_AreAllReported()
    {
        var (_, error) = await server.SendAsync(HttpMethod.Patch, System0, """{"PowerState":"Off","Boot":{"BootSourceOverrideTarget":"Floppy","Nope":1}}""");
        Assert.Equal("Base.1.22.GeneralError", Code(error));
        Assert.Equal(["Base.1.22.PropertyNotWritable", "Base.1.22.PropertyValueNotInList", "Base.1.22.PropertyUnknown"], MessageIds(error));
    }

    [Fact]
    public async Task InsertMedia_ValidatesItsBodyFirst_AndRefusesLoopbackAndPrivateSources_AsOnQemu()
    {
        // Without virtualMedia.insecureAllowLoopback / allowPrivateNetworks (the default), nothing is fetched from them.
        const string insert = "/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia";
        var (bad, badBody) = await server.SendAsync(HttpMethod.Post, insert, """{"Image":"file:///etc/shadow"}""");
        var (creds, credsBody) = await server.SendAsync(HttpMethod.Post, insert, """{"Image":"http://user:pw@example.org/a.iso"}""");
        var (loopback, loopbackBody) = await server.SendAsync(HttpMethod.Post, insert, """{"Image":"http://127.0.0.1:1/boot.iso","TransferProtocolType":"HTTP"}""");
        var (privateRange, privateBody) = await server.SendAsync(HttpMethod.Post, insert, """{"Image":"http://10.0.0.1/boot.iso"}""");

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("Base.1.22.ActionParameterValueFormatError", Code(badBody));
        Assert.Equal(HttpStatusCode.BadRequest, creds.StatusCode);
        Assert.DoesNotContain("pw", creds.Content.Headers.ContentLength > 0 ? credsBody.GetRawText() : "", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, loopback.StatusCode);
        Assert.Equal("Base.1.22.ActionParameterValueFormatError", Code(loopbackBody));
        Assert.Equal(HttpStatusCode.BadRequest, privateRange.StatusCode);
        Assert.Equal("Base.1.22.ActionParameterValueFormatError", Code(privateBody));
        Assert.False((await server.GetAsync("/redfish/v1/Managers/BMC/VirtualMedia/Cd")).Body.GetProperty("Inserted").GetBoolean());
    }

    [Fact]
    public async Task Concurrent_ResetsOnOneSlot_NeverFailWithA500_AndEndConsistent()
    {
        var types = Enumerable.Range(0, 50).Select(i => i % 3 == 0 ? "ForceOff" : i % 3 == 1 ? "On" : "ForceRestart").ToList();
        var results = await Task.WhenAll(types.Select(Reset));
        Assert.All(results, r => Assert.True(r.Response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.Conflict,
            $"{r.Response.StatusCode}: {(r.Response.Content.Headers.ContentLength > 0 ? r.Body.GetRawText() : "")}"));
        var runtime = server.Node.Hypervisor!.FindSlot("slot0")!;
        Assert.Contains(runtime.PowerState, new[] { PowerState.On, PowerState.Off });
        Assert.Equal(runtime.PowerState.ToString(), await ServedPowerState());
    }
}
