using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>PowerRestorePolicy: PATCHed, kept with the domain, applied when the service starts and finds the slot Off.</summary>
public sealed class PowerRestorePolicyTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string System0 = "/redfish/v1/Systems/slot0";

    private static List<string> MessageIds(JsonElement body) =>
        body.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()!).ToList();

    [Fact]
    public async Task Policy_IsLastStateUntilSet_ThenKeptWithTheDomain()
    {
        var (_, system) = await server.GetAsync(System0);
        Assert.Contains(system.GetProperty("PowerRestorePolicy").GetString(), new[] { "LastState", "AlwaysOn", "AlwaysOff" });
        var (patched, body) = await server.SendAsync(HttpMethod.Patch, System0, """{"PowerRestorePolicy":"AlwaysOff"}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal("AlwaysOff", body.GetProperty("PowerRestorePolicy").GetString());
        Assert.Empty(RedfishSchemas.Validate(body.GetRawText()));
        // A BMC restart forgets what the runtime cached: the value comes back from the domain's metadata.
        await server.SendAsync(HttpMethod.Post, "/redfish/v1/Managers/BMC/Actions/Manager.Reset", """{"ResetType":"ForceRestart"}""");
        Assert.Equal("AlwaysOff", (await server.GetAsync(System0)).Body.GetProperty("PowerRestorePolicy").GetString());
    }

    [Fact]
    public async Task AnUnknownPolicy_Is400()
    {
        var (response, body) = await server.SendAsync(HttpMethod.Patch, System0, """{"PowerRestorePolicy":"Sometimes"}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Base.1.22.PropertyValueNotInList", MessageIds(body));
    }

    [Fact]
    public async Task AlwaysOn_PowersTheSlotOnWhenTheServiceStartsAndFindsItOff()
    {
        await server.SendAsync(HttpMethod.Patch, System0, """{"PowerRestorePolicy":"AlwaysOn"}""");
        await server.SendAsync(HttpMethod.Post, System0 + "/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""");
        Assert.Equal(PowerState.Off, server.Node.Hypervisor!.FindSlot("slot0")!.PowerState);

        // The service starts again on the same host file (same domains): the host check in serve mode applies the policy.
        await using var restarted = await NodeComposer.StartAsync(SiteLoader.Load(Path.Combine(server.Directory, "host.yaml")).GetOrThrow(), Serilog.Core.Logger.None);

        Assert.Equal(PowerState.On, restarted.Hypervisor!.FindSlot("slot0")!.PowerState);
        await server.SendAsync(HttpMethod.Patch, System0, """{"PowerRestorePolicy":"LastState"}""");
    }
}

/// <summary>LastResetTime: absent until the service sees the slot powered on or restarted, then the time it did.</summary>
public sealed class LastResetTimeTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string System0 = "/redfish/v1/Systems/slot0";

    [Fact]
    public async Task LastResetTime_FollowsPowerOnsAndRestarts()
    {
        await server.SendAsync(HttpMethod.Post, System0 + "/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await server.SendAsync(HttpMethod.Post, System0 + "/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""");
        var (_, system) = await server.GetAsync(System0);
        Assert.Empty(RedfishSchemas.Validate(system.GetRawText()));
        var first = DateTimeOffset.Parse(system.GetProperty("LastResetTime").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(first >= before.AddSeconds(-1) && first <= DateTimeOffset.UtcNow.AddSeconds(1), $"{first}");
        await Task.Delay(1100); // whole seconds
        await server.SendAsync(HttpMethod.Post, System0 + "/Actions/ComputerSystem.Reset", """{"ResetType":"ForceRestart"}""");
        var second = DateTimeOffset.Parse((await server.GetAsync(System0)).Body.GetProperty("LastResetTime").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(second > first, $"{second} after {first}");
    }
}
