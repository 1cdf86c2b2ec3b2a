using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.Slots.State;
using OpenChami.VirtualBmc.TestSupport;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>Manager.Reset restarts the slot's BMC (its sessions, host check and domain reconcile), never the VM.</summary>
public sealed class ManagerResetTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string Manager = "/redfish/v1/Managers/BMC";
    private const string ManagerReset = "/redfish/v1/Managers/BMC/Actions/Manager.Reset";

    private static string Code(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    private static List<string> MessageIds(JsonElement body) =>
        body.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()!).ToList();

    [Fact]
    public async Task Manager_AdvertisesItsReset_AndBothPayloadsFollowTheSchemas()
    {
        var (_, manager) = await server.GetAsync(Manager);
        Assert.Empty(RedfishSchemas.Validate(manager.GetRawText()));
        var reset = manager.GetProperty("Actions").GetProperty("#Manager.Reset");
        Assert.Equal(ManagerReset, reset.GetProperty("target").GetString());
        Assert.Equal(["GracefulRestart", "ForceRestart"], reset.GetProperty("ResetType@Redfish.AllowableValues").EnumerateArray().Select(v => v.GetString()!));
        Assert.True(DateTimeOffset.TryParse(manager.GetProperty("LastResetTime").GetString(), out _));
        var (info, infoBody) = await server.GetAsync(reset.GetProperty("@Redfish.ActionInfo").GetString()!);
        Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        Assert.Empty(RedfishSchemas.Validate(infoBody.GetRawText()));
    }

    [Fact]
    public async Task Reset_EndsThisBmcsSessions_KeepsOthers_AndNeverTouchesTheVm()
    {
        var runtime = server.Node.Hypervisor!.FindSlot("slot0")!;
        await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""");
        var mine = await LoginAsync("127.0.0.10");
        var other = await LoginAsync("127.0.0.11");
        var before = (await server.GetAsync(Manager)).Body.GetProperty("LastResetTime").GetString();
        await Task.Delay(1100); // LastResetTime has whole seconds

        var (response, _) = await server.SendAsync(HttpMethod.Post, ManagerReset, """{"ResetType":"GracefulRestart"}""");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await WithTokenAsync("127.0.0.10", mine));
        Assert.Equal(HttpStatusCode.OK, await WithTokenAsync("127.0.0.11", other));
        Assert.Equal("On", runtime.PowerState.ToString());
        Assert.Equal("On", (await server.GetAsync("/redfish/v1/Systems/slot0")).Body.GetProperty("PowerState").GetString());
        Assert.NotEqual(before, (await server.GetAsync(Manager)).Body.GetProperty("LastResetTime").GetString());
    }

    [Fact]
    public async Task Reset_RunsTheSlotsDomainReconcileAgain_AndWritesItToItsState()
    {
        // The slot's state says libvirt is away: actions wait (503) until a reconcile; the BMC's restart runs one now.
        var slot = server.Node.State.Slots.Single(s => s.Name == "slot0");
        slot.State.DomainUnknown("test:///default", "planted by the test");
        var (waiting, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, waiting.StatusCode);
        var reconciledBefore = slot.Health.LastReconcile;

        var (response, _) = await server.SendAsync(HttpMethod.Post, ManagerReset, """{"ResetType":"ForceRestart"}""");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(DomainStatus.Ours, slot.Health.Domain);
        Assert.True(slot.Health.LastReconcile > reconciledBefore);
        Assert.True(slot.Health.Usable, string.Join("; ", slot.Health.Findings.Select(f => f.Message)));
        var (power, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""");
        Assert.Equal(HttpStatusCode.NoContent, power.StatusCode);
    }

    [Theory]
    [InlineData("""{"ResetType":"On"}""", "Base.1.22.ActionParameterValueNotInList")]
    [InlineData("""{}""", "Base.1.22.ActionParameterMissing")]
    [InlineData("""{"ResetType":"ForceRestart","Now":true}""", "Base.1.22.ActionParameterUnknown")]
    public async Task BadBody_Is400WithItsOwnMessage(string body, string messageId)
    {
        var (response, error) = await server.SendAsync(HttpMethod.Post, ManagerReset, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(messageId, MessageIds(error));
    }

    [Fact]
    public async Task AnotherManager_Is404_AndAnOperatorMayNotRestartTheBmc()
    {
        var (missing, body) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Managers/Other/Actions/Manager.Reset", """{"ResetType":"ForceRestart"}""");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("Base.1.22.ResourceNotFound", Code(body));
        using var operatorClient = server.ClientFor("operator", TestAccounts.OperatorPassword);
        var (denied, _) = await server.SendAsync(HttpMethod.Post, ManagerReset, """{"ResetType":"ForceRestart"}""", client: operatorClient);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }

    private async Task<string> LoginAsync(string address)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server.Url("/redfish/v1/SessionService/Sessions", address))
        {
            Content = new StringContent($$"""{"UserName":"admin","Password":"{{TestAccounts.AdminPassword}}"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await server.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return response.Headers.GetValues("X-Auth-Token").Single();
    }

    private async Task<HttpStatusCode> WithTokenAsync(string address, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Url("/redfish/v1/Managers/BMC", address));
        request.Headers.Add("X-Auth-Token", token);
        using var response = await server.Anonymous.SendAsync(request);
        return response.StatusCode;
    }
}
