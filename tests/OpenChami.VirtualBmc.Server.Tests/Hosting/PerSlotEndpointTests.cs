using System.Net;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Hosting;

/// <summary>Real Kestrel on loopback: each slot answers on its own address as its own BMC.</summary>
public sealed class PerSlotEndpointTests(RunningServer server) : IClassFixture<RunningServer>
{
    private string HostId => server.Node.State.Site.Host.HostId;

    [Fact]
    public async Task EachEndpoint_ServesItsOwnSlot()
    {
        var (_, system0) = await server.GetAsync("/redfish/v1/Systems/slot0");
        var (_, system1) = await server.SendAsync(HttpMethod.Get, "/redfish/v1/Systems/slot1", configure: r => r.RequestUri = server.Url("/redfish/v1/Systems/slot1", "127.0.0.11"));
        var (_, collection) = await server.SendAsync(HttpMethod.Get, "/redfish/v1/Systems", configure: r => r.RequestUri = server.Url("/redfish/v1/Systems", "127.0.0.12"));

        Assert.Equal("slot0", system0.GetProperty("Id").GetString());
        Assert.Equal("slot1", system1.GetProperty("Id").GetString());
        Assert.NotEqual(system0.GetProperty("UUID").GetString(), system1.GetProperty("UUID").GetString());
        Assert.Equal($"{HostId}-slot0", system0.GetProperty("SerialNumber").GetString());
        Assert.Equal(1, collection.GetProperty("Members@odata.count").GetInt32());
        Assert.Equal("/redfish/v1/Systems/slot2", collection.GetProperty("Members")[0].GetProperty("@odata.id").GetString());
    }

    [Theory]
    [InlineData("/redfish/v1")]
    [InlineData("/redfish/v1/")]
    public async Task ServiceRoot_AnswersWithAndWithoutSlash(string path)
    {
        var (response, body) = await server.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("4.0", response.Headers.GetValues("OData-Version").Single());
        Assert.Equal("/redfish/v1/Systems", body.GetProperty("Systems").GetProperty("@odata.id").GetString());
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task ServiceRootUuid_DiffersPerEndpointAndIsTheManagersEntryPoint()
    {
        var (_, a) = await server.GetAsync("/redfish/v1");
        var (_, b) = await server.SendAsync(HttpMethod.Get, "/", configure: r => r.RequestUri = server.Url("/redfish/v1", "127.0.0.11"));
        var (_, manager) = await server.GetAsync("/redfish/v1/Managers/BMC");
        Assert.NotEqual(a.GetProperty("UUID").GetString(), b.GetProperty("UUID").GetString());
        Assert.Equal(a.GetProperty("UUID").GetString(), manager.GetProperty("ServiceEntryPointUUID").GetString());
    }

    [Theory]
    [InlineData("/redfish/v1/Systems/slot1")] // another slot's system is not on this BMC
    [InlineData("/redfish/v1/NoSuchThing")]
    [InlineData("/redfish/v1/Chassis/slot3")]
    [InlineData("/redfish/v1/Managers/Other")]
    [InlineData("/redfish/v1/Systems/slot0/EthernetInterfaces/eth9")]
    [InlineData("/redfish/v1/Systems/slot0/VirtualMedia/Floppy")]
    [InlineData("/redfish/v1/Systems/slot0/PCIeDevices/gpu9")]
    [InlineData("/")]
    public async Task UnknownResource_Is404WithARedfishError(string path)
    {
        var (response, body) = await server.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = body.GetProperty("error");
        Assert.Equal("Base.1.22.ResourceNotFound", error.GetProperty("code").GetString());
        Assert.Equal("Base.1.22.ResourceNotFound", error.GetProperty("@Message.ExtendedInfo")[0].GetProperty("MessageId").GetString());
    }

    [Fact]
    public async Task FailedSlot_IsServedUnavailableWithItsFindings_AndRefusesActions()
    {
        var slot2 = server.Url("/redfish/v1/Systems/slot2", "127.0.0.12");
        var (_, system) = await server.SendAsync(HttpMethod.Get, "/", configure: r => r.RequestUri = slot2);
        var status = system.GetProperty("Status");
        Assert.Equal("UnavailableOffline", status.GetProperty("State").GetString());
        Assert.Equal("Critical", status.GetProperty("Health").GetString());
        var conditions = status.GetProperty("Conditions").EnumerateArray().Select(c => c.GetProperty("MessageArgs")[0].GetString()).ToList();
        Assert.Equal(["DRIVER_HOST_OWNED", "DRIVER_HOST_OWNED"], conditions);
        Assert.False(system.GetProperty("Oem").GetProperty("OpenCHAMI").GetProperty("Usable").GetBoolean());

        var (reset, error) = await server.SendAsync(HttpMethod.Post, "/", """{"ResetType":"On"}""",
            r => r.RequestUri = server.Url("/redfish/v1/Systems/slot2/Actions/ComputerSystem.Reset", "127.0.0.12"));
        Assert.Equal(HttpStatusCode.Conflict, reset.StatusCode);
        Assert.Equal("Base.1.22.ServiceDisabled", error.GetProperty("error").GetProperty("code").GetString());
    }
}

/// <summary>Every payload the running service emits validates against the official DMTF schema.</summary>
public sealed class PayloadSchemaTests(RunningServer server) : IClassFixture<RunningServer>
{
    [SkippableTheory]
    [InlineData("/redfish/v1", null)]
    [InlineData("/redfish/v1/Systems", null)]
    [InlineData("/redfish/v1/Systems/slot0", null)]
    [InlineData("/redfish/v1/Systems/slot0/ResetActionInfo", null)]
    [InlineData("/redfish/v1/Systems/slot0/EthernetInterfaces", null)]
    [InlineData("/redfish/v1/Systems/slot0/EthernetInterfaces/hsn0", null)]
    [InlineData("/redfish/v1/Systems/slot0/EthernetInterfaces/mgmt0", null)]
    [InlineData("/redfish/v1/Systems/slot0/VirtualMedia", null)]
    [InlineData("/redfish/v1/Systems/slot0/VirtualMedia/Cd", null)]
    [InlineData("/redfish/v1/Systems/slot0/PCIeDevices/gpu0", null)]
    [InlineData("/redfish/v1/Systems/slot0/PCIeDevices/gpu0/PCIeFunctions", null)]
    [InlineData("/redfish/v1/Systems/slot0/PCIeDevices/hsn0/PCIeFunctions/0", null)]
    [InlineData("/redfish/v1/Chassis", null)]
    [InlineData("/redfish/v1/Chassis/slot0", null)]
    [InlineData("/redfish/v1/Managers", null)]
    [InlineData("/redfish/v1/Managers/BMC", null)]
    [InlineData("/redfish/v1/Managers/BMC/EthernetInterfaces", null)]
    [InlineData("/redfish/v1/Managers/BMC/EthernetInterfaces/bmc0", null)]
    [InlineData("/redfish/v1/Managers/BMC/VirtualMedia", null)]
    [InlineData("/redfish/v1/Managers/BMC/VirtualMedia/Cd", null)]
    [InlineData("/redfish/v1/SessionService", null)]
    [InlineData("/redfish/v1/SessionService/Sessions", null)]
    [InlineData("/redfish/v1/AccountService", null)]
    [InlineData("/redfish/v1/AccountService/Accounts", null)]
    [InlineData("/redfish/v1/AccountService/Accounts/admin", null)]
    [InlineData("/redfish/v1/AccountService/Roles", null)]
    [InlineData("/redfish/v1/AccountService/Roles/Operator", null)]
    [InlineData("/redfish/v1/NoSuchThing", "redfish-error.v1_0_2.json")]
    public async Task Payload_ValidatesAgainstTheDmtfSchema(string path, string? schemaFile)
    {
        RedfishSchemas.SkipIfAbsent();
        var response = await server.Http.GetAsync(server.Url(path));
        RedfishSchemas.AssertValid(await response.Content.ReadAsStringAsync(), schemaFile);
    }

    [SkippableFact]
    public async Task UnusableSlotsSystem_ValidatesToo()
    {
        RedfishSchemas.SkipIfAbsent();
        var response = await server.Http.GetAsync(server.Url("/redfish/v1/Systems/slot3", "127.0.0.13"));
        RedfishSchemas.AssertValid(await response.Content.ReadAsStringAsync());
    }

    [SkippableFact]
    public void Validator_RejectsAnInvalidPayload()
    {
        // The check must be able to fail: a ComputerSystem with a PowerState outside the enum.
        RedfishSchemas.SkipIfAbsent();
        var errors = RedfishSchemas.Validate("""{"@odata.id":"/redfish/v1/Systems/x","@odata.type":"#ComputerSystem.v1_22_0.ComputerSystem","Id":"x","Name":"x","PowerState":"Sideways"}""");
        Assert.NotEmpty(errors);
    }
}
