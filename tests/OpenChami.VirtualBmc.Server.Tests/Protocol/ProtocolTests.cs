using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenChami.VirtualBmc.Server.Protocol;

namespace OpenChami.VirtualBmc.Server.Tests.Protocol;

public sealed class ProtocolTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static string MessageId(System.Text.Json.JsonElement body) => body.GetProperty("error").GetProperty("@Message.ExtendedInfo")[0].GetProperty("MessageId").GetString()!;

    [Fact]
    public void EveryRoute_DeclaresItsPrivileges()
    {
        var endpoints = server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.NotEmpty(endpoints);
        Assert.All(endpoints, e =>
        {
            var info = e.Metadata.GetMetadata<RedfishRouteInfo>();
            Assert.True(info is not null, $"route {e.RoutePattern.RawText} declares no Redfish entity/privilege");
            Assert.NotEmpty(info.Privileges);
        });
    }

    [Fact]
    public async Task WrongMethod_Is405WithAllowAndARedfishError()
    {
        var (response, body) = await server.SendAsync(HttpMethod.Delete, "/redfish/v1/Systems/slot0");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("GET, HEAD, PATCH", string.Join(", ", response.Content.Headers.Allow));
        Assert.Equal("Base.1.22.OperationNotAllowed", MessageId(body));
    }

    [Fact]
    public async Task UnsupportedODataVersion_Is412()
    {
        var (response, body) = await server.GetAsync("/redfish/v1", r => r.Headers.Add("OData-Version", "5.0"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal("Base.1.22.PreconditionFailed", MessageId(body));
    }

    [Fact]
    public async Task IfNoneMatch_WithTheCurrentETag_Is304()
    {
        var (first, _) = await server.GetAsync("/redfish/v1/Systems/slot0");
        var etag = first.Headers.ETag!.ToString();
        Assert.StartsWith("W/\"", etag, StringComparison.Ordinal);

        var (second, _) = await server.GetAsync("/redfish/v1/Systems/slot0", r => r.Headers.TryAddWithoutValidation("If-None-Match", etag));
        var (other, _) = await server.GetAsync("/redfish/v1/Systems/slot0", r => r.Headers.TryAddWithoutValidation("If-None-Match", "W/\"0000\""));

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Get_LinksItsSchema()
    {
        var (response, _) = await server.GetAsync("/redfish/v1/Systems/slot0");
        Assert.Equal("<http://redfish.dmtf.org/schemas/v1/ComputerSystem.v1_22_0.json>; rel=describedby", response.Headers.GetValues("Link").Single());
    }

    [Fact]
    public async Task Head_AnswersHeadersWithoutABody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, server.Url("/redfish/v1/Systems/slot0"));
        var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task Select_KeepsODataAndTheNamedProperties()
    {
        var (response, body) = await server.GetAsync("/redfish/v1/Systems/slot0?$select=SerialNumber,Status/Health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["@odata.id", "@odata.type", "SerialNumber", "Status"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["Health"], body.GetProperty("Status").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task TopAndSkip_PageTheMembers()
    {
        var (_, firstPage) = await server.GetAsync("/redfish/v1/Systems?$top=0");
        var (_, skipped) = await server.GetAsync("/redfish/v1/Systems?$skip=1");
        Assert.Equal(0, firstPage.GetProperty("Members").GetArrayLength());
        Assert.Equal(1, firstPage.GetProperty("Members@odata.count").GetInt32());
        Assert.Equal("/redfish/v1/Systems?$skip=0&$top=0", firstPage.GetProperty("Members@odata.nextLink").GetString());
        Assert.Equal(0, skipped.GetProperty("Members").GetArrayLength());
    }

    [Theory]
    [InlineData("/redfish/v1/Systems?$expand=*", HttpStatusCode.NotImplemented, "Base.1.22.QueryParameterUnsupported")]
    [InlineData("/redfish/v1/Systems?$filter=Id eq 'x'", HttpStatusCode.NotImplemented, "Base.1.22.QueryParameterUnsupported")]
    [InlineData("/redfish/v1/Systems?excerpt", HttpStatusCode.NotImplemented, "Base.1.22.QueryParameterUnsupported")]
    [InlineData("/redfish/v1/Systems?$top=x", HttpStatusCode.BadRequest, "Base.1.22.QueryParameterValueTypeError")]
    [InlineData("/redfish/v1/Systems?only&$top=1", HttpStatusCode.BadRequest, "Base.1.22.QueryCombinationInvalid")]
    public async Task BadQuery_GetsItsOwnMessage(string path, HttpStatusCode status, string messageId)
    {
        var (response, body) = await server.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(messageId, MessageId(body));
    }

    [Fact]
    public async Task UnknownNonDollarParameter_IsIgnored()
    {
        var (response, _) = await server.GetAsync("/redfish/v1/Systems?foo=bar");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
