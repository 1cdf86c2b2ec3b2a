using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OpenChami.VirtualBmc.Server.Audit;
using OpenChami.VirtualBmc.TestSupport;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

/// <summary>Malformed text in requests: a 400 with a Redfish body, never a 500; the audit records whatever was sent.</summary>
public sealed class MalformedInputTests(LockoutServer server) : IClassFixture<LockoutServer>
{
    public static TheoryData<string, string, string> AuditedWrites => new()
    {
        { "POST", "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"\ud800"}""" },
        { "PATCH", "/redfish/v1/Systems/slot0", """{"Boot":{"BootSourceOverrideTarget":"\ud800"}}""" },
        { "POST", "/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia", """{"Image":"https://x.example/\ud800.iso"}""" },
        { "POST", "/redfish/v1/SessionService/Sessions", """{"UserName":"\ud800","Password":"x"}""" },
        { "PATCH", "/redfish/v1/Systems/slot0", """{"\udc00":1}""" },
    };

    [Theory]
    [MemberData(nameof(AuditedWrites))]
    public async Task LoneSurrogate_InAnAuditedWrite_Is400MalformedJson_WithTheSecurityHeaders(string method, string path, string body)
    {
        var (response, error) = await server.SendAsync(new HttpMethod(method), path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Base.1.22.MalformedJSON", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.All(File.ReadAllLines(server.AuditFile), l => JsonDocument.Parse(l)); // every line whole and valid
    }

    [Theory]
    [InlineData("properties")]
    [InlineData("boot order")]
    public async Task ABodyWithThousandsOfProblems_GetsABoundedAnswer_NamingTheFirstOnes(string kind)
    {
        // ~40 KiB of body: thousands of unknown properties, or of bad boot-order elements, each its own problem.
        var body = kind == "properties"
            ? "{" + string.Join(",", Enumerable.Range(0, 4000).Select(i => $"\"p{i}\":1")) + "}"
            : """{"Boot":{"BootOrder":[""" + string.Join(",", Enumerable.Repeat("1", 15000)) + "]}}";
        var (response, error) = await server.SendAsync(HttpMethod.Patch, "/redfish/v1/Systems/slot0", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var listed = error.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()).ToList();
        Assert.Equal(32, listed.Count);
        Assert.Equal("Base.1.22.MaximumErrorsExceeded", listed[^1]);
        Assert.Equal(kind == "properties" ? "Base.1.22.PropertyUnknown" : "Base.1.22.PropertyValueTypeError", listed[0]);
        Assert.True(response.Content.Headers.ContentLength < 16 * 1024, $"{response.Content.Headers.ContentLength} bytes");
    }

    [Fact]
    public async Task LoneSurrogate_InAReset_IsAuditedEscaped_WithIntentAndOutcome()
    {
        var (response, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot1/Actions/ComputerSystem.Reset", """{"ResetType":"\ud800x"}""",
            r => r.RequestUri = server.Url("/redfish/v1/Systems/slot1/Actions/ComputerSystem.Reset", "127.0.0.11"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var mine = server.AuditRecords().Where(r => r.GetProperty("path").GetString() == "/redfish/v1/Systems/slot1/Actions/ComputerSystem.Reset"
            && r.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object && p.GetProperty("ResetType").GetString()!.Contains("\\ud800", StringComparison.Ordinal)).ToList();
        Assert.Equal(["intent", "outcome"], mine.Select(r => r.GetProperty("event").GetString()));
        Assert.Equal(400, mine[1].GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", "{\"ResetType\":\"\xff\xfe\"}")]
    [InlineData("/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia", "{\"Image\":\"https://x.example/\xc3\"}")]
    [InlineData("/redfish/v1/SessionService/Sessions", "{\"UserName\":\"\xed\xa0\x80\",\"Password\":\"x\"}")]
    public async Task InvalidUtf8_InACheckedString_Is400MalformedJson(string path, string latin1Body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server.Url(path))
        {
            Content = new ByteArrayContent(Encoding.Latin1.GetBytes(latin1Body)),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var response = await server.Http.SendAsync(request);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Base.1.22.MalformedJSON", error.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task MalformedChunkedBody_Is400_AndAuditedAsMalformed_NotOverTheLimit()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Parse("127.0.0.10"), server.Port);
        await using var ssl = new SslStream(client.GetStream(), false, (_, c, _, _) => c?.GetCertHashString() == server.CertificateThumbprint);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.10" });
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{TestAccounts.AdminPassword}"));
        await ssl.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset HTTP/1.1\r\nHost: 127.0.0.10\r\n" +
            $"Authorization: Basic {basic}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"));
        var answer = new StringBuilder();
        var buffer = new byte[8192];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            int read;
            while ((read = await ssl.ReadAsync(buffer, deadline.Token)) > 0)
            {
                answer.Append(Encoding.UTF8.GetString(buffer, 0, read));
                if (answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && answer.ToString().Contains('}', StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // closed after the answer
        }

        Assert.StartsWith("HTTP/1.1 400", answer.ToString(), StringComparison.Ordinal);
        Assert.Contains("MalformedJSON", answer.ToString(), StringComparison.Ordinal);
        var intent = server.AuditRecords().Last(r => r.GetProperty("event").GetString() == "intent");
        Assert.StartsWith("(malformed body", intent.GetProperty("parameters").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditWriter_EscapesAnythingAClientSends_AndNeverThrowsOnContent()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "audit.jsonl");
        using (var audit = new AuditLog(path, Serilog.Core.Logger.None, TimeProvider.System))
        {
            await audit.WriteAsync(new AuditRecord(DateTimeOffset.UtcNow, "intent", "us\ud800er", "Administrator", "basic", "127.0.0.1", "slot\udfff",
                "PO\ud800ST", "/redfish/\ud800", new JsonObject { ["K\ud800"] = "v\udc00" }, null, "x\ud800", null, "id\ud800"));
            await audit.WriteAsync(new AuditRecord(DateTimeOffset.UtcNow, "intent", null, null, null, "-", null, "GET", "/",
                AuditText.Parameters(Encoding.UTF8.GetBytes("""{"a":"\ud800","Password":"secret","b":[1,"\udfff",{"Token":"t"}]}""")), null, null, null, "r2"));
        }
        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal("us\\ud800er", first.GetProperty("account").GetString());
        Assert.Equal("/redfish/\\ud800", first.GetProperty("path").GetString());
        Assert.Equal("v\\udc00", first.GetProperty("parameters").GetProperty("K\\ud800").GetString());
        var second = JsonDocument.Parse(lines[1]).RootElement.GetProperty("parameters");
        Assert.Contains("\\ud800", second.GetProperty("a").GetString(), StringComparison.Ordinal);
        Assert.Equal("(redacted)", second.GetProperty("Password").GetString());
        Assert.Equal("(redacted)", second.GetProperty("b")[2].GetProperty("Token").GetString());
        Assert.DoesNotContain("secret", File.ReadAllText(path), StringComparison.Ordinal);
    }
}
