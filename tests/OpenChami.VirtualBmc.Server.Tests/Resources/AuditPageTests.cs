using System.Net;
using System.Net.Http.Headers;
using System.Xml;
using System.Xml.Linq;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>The demo as served: with its host endpoint (127.0.0.19) and no anonymous grant.</summary>
public sealed class HostEndpointServer : RunningServer
{
    public const string HostAddress = "127.0.0.19";

    protected override string Tweak(string hostYaml)
    {
        Assert.Contains($"hostEndpoint:\n  address: {HostAddress}\n", hostYaml, StringComparison.Ordinal);
        return hostYaml;
    }
}

/// <summary>
/// The validation report as the audit page on the host endpoint: a browser's Accept gets HTML with the same slots and
/// finding codes as the JSON, under the page's own CSP; the route's security is unchanged (no anonymous access).
/// </summary>
public sealed class AuditPageTests(HostEndpointServer server) : IClassFixture<HostEndpointServer>
{
    private const string BrowserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    private async Task<HttpResponseMessage> GetAsync(string accept, HttpClient? client = null, string address = HostEndpointServer.HostAddress, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, server.Url("/redfish/v1/Oem/OpenCHAMI/ValidationReport", address));
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return await (client ?? server.Http).SendAsync(request);
    }

    [Fact]
    public async Task Browser_gets_the_page_with_every_slot_and_code_the_json_has()
    {
        using var json = await GetAsync("application/json");
        using var html = await GetAsync(BrowserAccept);

        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        var report = System.Text.Json.JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement;
        using var reader = XmlReader.Create(await html.Content.ReadAsStreamAsync(), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        var text = XDocument.Load(reader).Root!.Value;
        var slots = report.GetProperty("Slots").EnumerateArray().ToList();
        Assert.Equal(4, slots.Count);
        foreach (var slot in slots)
        {
            Assert.Contains(slot.GetProperty("Slot").GetString()!, text, StringComparison.Ordinal);
            foreach (var finding in slot.GetProperty("Findings").EnumerateArray())
            {
                Assert.Contains(finding.GetProperty("Code").GetString()!, text, StringComparison.Ordinal);
                Assert.Contains(finding.GetProperty("Message").GetString()!, text, StringComparison.Ordinal);
            }
        }
        Assert.Contains(report.GetProperty("Summary").GetString()!.Split(';')[0], text, StringComparison.Ordinal);
        var csp = html.Headers.GetValues("Content-Security-Policy").Single();
        Assert.StartsWith("default-src 'none'; style-src 'sha256-", csp, StringComparison.Ordinal);
        Assert.EndsWith("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_only_user_gets_it_and_anonymous_does_not()
    {
        using var reader = server.ClientFor("reader", ServerTestSupport.TestAccounts.ReaderPassword);
        using var read = await GetAsync(BrowserAccept, reader);
        using var anonymous = await GetAsync(BrowserAccept, server.Anonymous);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/json", anonymous.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Head_answers_the_headers_without_the_page()
    {
        using var head = await GetAsync(BrowserAccept, method: HttpMethod.Head);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("text/html", head.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("*/*", HostEndpointServer.HostAddress)]
    [InlineData("application/json;q=1, text/html;q=0.5", HostEndpointServer.HostAddress)]
    [InlineData(BrowserAccept, "127.0.0.10")]
    [InlineData("text/html;q=\"1, ;;=, @@", HostEndpointServer.HostAddress)]
    public async Task Redfish_clients_and_slot_endpoints_keep_getting_json(string accept, string address)
    {
        using var response = await GetAsync(accept, address: address);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }
}
