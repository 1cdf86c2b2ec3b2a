using System.Net;
using System.Text.Json;

namespace OpenChami.VirtualBmc.Server.Tests.Protocol;

/// <summary>The Protocol Validator's failures on the first wave, one test each (DSP0266 clause in the name).</summary>
public sealed class ProtocolValidatorFindingsTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static string MessageId(JsonElement body) => body.GetProperty("error").GetProperty("@Message.ExtendedInfo")[0].GetProperty("MessageId").GetString()!;

    [Fact]
    public async Task Redfish_version_document_answers_without_authentication()
    {
        var (response, body) = await server.GetAsync("/redfish", client: server.Anonymous);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/redfish/v1/", body.GetProperty("v1").GetString());

        var (slash, slashBody) = await server.GetAsync("/redfish/", client: server.Anonymous);
        Assert.Equal(HttpStatusCode.OK, slash.StatusCode);
        Assert.Equal("/redfish/v1/", slashBody.GetProperty("v1").GetString());
    }

    [Theory]
    [InlineData("/redfish/v1/Systems/slot0", "GET, HEAD, PATCH")]
    [InlineData("/redfish/v1/Systems", "GET, HEAD")]
    [InlineData("/redfish/v1/SessionService/Sessions", "GET, HEAD, POST")]
    public async Task GET_and_HEAD_carry_Allow(string path, string allow)
    {
        var (get, _) = await server.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(allow, string.Join(", ", get.Content.Headers.Allow));

        var (head, _) = await server.SendAsync(HttpMethod.Head, path);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(allow, string.Join(", ", head.Content.Headers.Allow));
    }

    [Fact]
    public async Task Only_returns_the_sole_member_and_rejects_a_value()
    {
        var (collection, collectionBody) = await server.GetAsync("/redfish/v1/Managers");
        Assert.Equal(HttpStatusCode.OK, collection.StatusCode);
        Assert.Equal(1, collectionBody.GetProperty("Members@odata.count").GetInt32());
        var member = collectionBody.GetProperty("Members")[0].GetProperty("@odata.id").GetString();

        var (only, onlyBody) = await server.GetAsync("/redfish/v1/Managers?only");
        Assert.Equal(HttpStatusCode.OK, only.StatusCode);
        Assert.Equal(member, onlyBody.GetProperty("@odata.id").GetString());

        var (withValue, errorBody) = await server.GetAsync("/redfish/v1/Managers?only=foo");
        Assert.Equal(HttpStatusCode.BadRequest, withValue.StatusCode);
        Assert.StartsWith("Base.1.22.Query", MessageId(errorBody), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Boot_names_its_writable_properties_and_each_takes_a_PATCH()
    {
        var (_, system) = await server.GetAsync("/redfish/v1/Systems/slot0");
        var boot = system.GetProperty("Boot");
        var writable = boot.GetProperty("@Redfish.WriteableProperties").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Contains("BootSourceOverrideTarget", writable);
        Assert.Contains("BootSourceOverrideEnabled", writable);
        foreach (var name in writable)
        {
            var value = boot.GetProperty(name).GetRawText();
            var (patched, body) = await server.SendAsync(HttpMethod.Patch, "/redfish/v1/Systems/slot0", $$$"""{"Boot":{"{{{name}}}":{{{value}}}}}""");
            Assert.True(patched.StatusCode == HttpStatusCode.OK, $"{name}: {patched.StatusCode} {body}");
        }
    }

    [Fact]
    public async Task Login_is_accepted_at_Sessions_Members_too()
    {
        var (response, body) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions/Members",
            $$"""{"UserName":"admin","Password":"{{ServerTestSupport.TestAccounts.AdminPassword}}"}""", client: server.Anonymous);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        // 256 random bits in hex: the Protocol Validator measures a token's entropy only when it is hex.
        Assert.Matches("^[0-9a-f]{64}$", response.Headers.GetValues("X-Auth-Token").Single());
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith("/redfish/v1/SessionService/Sessions/", location, StringComparison.Ordinal);
        Assert.Equal(location, body.GetProperty("@odata.id").GetString());
        var (logout, _) = await server.SendAsync(HttpMethod.Delete, location);
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
    }

    [Fact]
    public async Task An_anonymous_client_learns_no_route_shape()
    {
        var (wrongMethod, _) = await server.SendAsync(HttpMethod.Delete, "/redfish/v1/Systems/slot0", client: server.Anonymous);
        var (unknown, _) = await server.GetAsync("/redfish/v1/NoSuchThing", client: server.Anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongMethod.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
    }

    [Fact]
    public async Task A_write_to_an_unknown_slot_is_404_not_405()
    {
        var (put, putBody) = await server.SendAsync(HttpMethod.Put, "/redfish/v1/Systems/nope", "{}");
        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
        Assert.Equal("Base.1.22.ResourceNotFound", MessageId(putBody));

        var (delete, _) = await server.SendAsync(HttpMethod.Delete, "/redfish/v1/Systems/nope");
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);

        var (known, _) = await server.SendAsync(HttpMethod.Put, "/redfish/v1/Systems/slot0", "{}");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, known.StatusCode);
    }

    [Fact]
    public async Task The_validation_report_is_reachable_from_the_service_root_and_described_by_the_OEM_schema()
    {
        var (_, root) = await server.GetAsync("/redfish/v1/");
        var report = root.GetProperty("Oem").GetProperty("OpenCHAMI").GetProperty("ValidationReport").GetProperty("@odata.id").GetString()!;
        var (response, body) = await server.GetAsync(report);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body.TryGetProperty("Slots", out _));

        var csdl = await server.Http.GetStringAsync(server.Url("/redfish/v1/schemas/OpenCHAMIVbmc_v1.xml"));
        var doc = System.Xml.Linq.XDocument.Parse(csdl);
        var properties = doc.Descendants().Where(e => e.Name.LocalName == "Property").Select(e => (string?)e.Attribute("Name")).ToHashSet();
        string[] fromResource = ["Id", "Name", "Description", "Oem"]; // Resource.v1_0_0.Resource, the report's base type
        foreach (var name in body.EnumerateObject().Select(p => p.Name).Where(n => !n.StartsWith('@') && !fromResource.Contains(n)))
            Assert.True(properties.Contains(name), $"payload property {name} is not in the OEM CSDL");
    }
}
