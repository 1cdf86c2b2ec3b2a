using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.TestSupport;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Processes;

/// <summary>
/// The TLS pair and every reload input, through the real executable: exit codes of serve and validate, and SIGHUP
/// sent with kill(1) to a serving process, which must keep serving with the pair it has.
/// </summary>
public sealed class TlsAndReloadProcessTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);

    private static (string Host, string Cert, string Key, int Port) Site(TempDirectory dir)
    {
        var port = FreePort(IPAddress.Parse("127.0.0.10"));
        var host = WriteDemoCopy(dir, port);
        return (host, Path.Combine(dir.Path, "tls", "cert.pem"), Path.Combine(dir.Path, "tls", "key.pem"), port);
    }

    /// <summary>A pair of the certificate at <paramref name="cert"/> and the key of another pair (written beside it).</summary>
    private static void WriteMismatchedPair(string cert, string key)
    {
        var other = Path.Combine(Path.GetDirectoryName(cert)!, "other");
        Directory.CreateDirectory(other);
        TlsCertificates.Generate(new TlsConfig(Path.Combine(other, "cert.pem"), Path.Combine(other, "key.pem"), true), [IPAddress.Loopback]);
        if (!File.Exists(cert))
        {
            TlsCertificates.Generate(new TlsConfig(cert, key, true), [IPAddress.Loopback]);
        }
        File.Copy(Path.Combine(other, "key.pem"), key, overwrite: true);
    }

    [Theory]
    [InlineData("mismatch", "key.pem:1:1: error tls-key-mismatch")]
    [InlineData("garbage", "cert.pem:1:1: error tls-invalid")]
    public void ServeAndValidate_WithABadTlsPair_Exit3_NamingTheFile(string kind, string expected)
    {
        using var dir = new TempDirectory();
        var (host, cert, key, _) = Site(dir);
        WriteMismatchedPair(cert, key);
        if (kind == "garbage")
        {
            File.WriteAllText(cert, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        }

        using var serve = ServiceProcess.Start("serve", "--config", host);
        var serveCode = serve.WaitForExit(Startup);
        using var validate = ServiceProcess.Start("validate", "--config", host);
        var validateCode = validate.WaitForExit(Startup);

        Assert.Equal(3, serveCode);
        Assert.Contains(expected, serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", serve.Output, StringComparison.Ordinal); // no stack trace
        Assert.Equal(3, validateCode);
        Assert.Contains(expected, validate.Output, StringComparison.Ordinal);
    }

    private static async Task<string> ServedThumbprintAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Parse("127.0.0.10"), port);
        string? seen = null;
        await using var ssl = new SslStream(client.GetStream(), false, (_, c, _, _) => (seen = c?.GetCertHashString()) is not null);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.10" });
        return seen!;
    }

    private static async Task<HttpStatusCode> ResetAsync(int port)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"admin:{TestAccounts.AdminPassword}")));
        var response = await http.PostAsync(new Uri($"https://127.0.0.10:{port}/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset"),
            new StringContent("""{"ResetType":"On"}""", System.Text.Encoding.UTF8, "application/json"));
        return response.StatusCode;
    }

    private static async Task<string> HupAsync(ServiceProcess service, string expect)
    {
        var mark = service.LineCount;
        service.Signal("HUP");
        var line = await service.WaitForLineAsync(expect, TimeSpan.FromSeconds(30), mark);
        Assert.False(service.HasExited);
        return line;
    }

    [Fact]
    public async Task Sighup_WithEveryKindOfBadInput_KeepsServingWithTheRunningPair()
    {
        using var dir = new TempDirectory();
        var (host, cert, key, port) = Site(dir);
        var accounts = Path.Combine(dir.Path, "accounts.yaml");
        using var service = ServiceProcess.Start("serve", "--config", host);
        await service.WaitListeningAsync(IPAddress.Parse("127.0.0.10"), port, Startup);
        var served = await ServedThumbprintAsync(port);
        var (goodCert, goodKey, goodHost, goodAccounts) = (File.ReadAllText(cert), File.ReadAllText(key), File.ReadAllText(host), File.ReadAllText(accounts));

        WriteMismatchedPair(cert, key);
        Assert.Contains("tls-key-mismatch", await HupAsync(service, "error tls-"), StringComparison.Ordinal);
        await service.WaitForLineAsync("reload refused", TimeSpan.FromSeconds(10), service.LineCount - 5);
        Assert.Equal(served, await ServedThumbprintAsync(port));

        File.WriteAllText(cert, "garbage");
        Assert.Contains("tls-invalid", await HupAsync(service, "error tls-"), StringComparison.Ordinal);
        File.Delete(key);
        Directory.CreateDirectory(key); // a directory where the key should be
        Assert.Contains("tls-", await HupAsync(service, "error tls-"), StringComparison.Ordinal);
        Directory.Delete(key);
        File.WriteAllText(cert, goodCert);
        File.WriteAllText(key, goodKey);

        File.WriteAllText(host, goodHost + "\nnot: [valid");
        await HupAsync(service, "reload refused");
        File.WriteAllText(host, goodHost);
        File.WriteAllText(accounts, "accounts:\n- userName: broken\n  role: Root\n");
        await HupAsync(service, "reload refused");
        File.WriteAllText(accounts, goodAccounts);

        Assert.Equal(served, await ServedThumbprintAsync(port));
        Assert.Equal(HttpStatusCode.NoContent, await ResetAsync(port));

        // An unchanged configuration reloads without claiming that slots changed (templates compared by value).
        var mark = service.LineCount;
        await HupAsync(service, "reloaded:");
        Assert.DoesNotContain(service.Output.Split('\n').Skip(mark), l => l.Contains("slots or endpoints changed", StringComparison.Ordinal));
        Assert.False(service.HasExited);
    }

    /// <summary>A site CA's chain: root, intermediate, and a server certificate for 127.0.0.10 it issued; the certificate
    /// file as a site hands it out (the certificate, then the intermediate), its key, and the root a client trusts.</summary>
    private static (X509Certificate2 Root, string CertificatePem, string KeyPem) SiteCaChain(string site)
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest($"CN={site} root CA", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var root = rootRequest.CreateSelfSigned(now.AddMinutes(-10), now.AddDays(3));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest($"CN={site} issuing CA", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        intermediateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediateRequest.PublicKey, false));
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediate = intermediateRequest.Create(root, now.AddMinutes(-5), now.AddDays(2), [1, 2, 3, 4]);
        using var issuer = intermediate.CopyWithPrivateKey(intermediateKey);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=vbmc", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Parse("127.0.0.10"));
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(intermediate, true, false));
        using var leaf = request.Create(issuer, now.AddMinutes(-5), now.AddDays(1), [5, 6, 7, 8]);
        return (X509CertificateLoader.LoadCertificate(root.RawData), leaf.ExportCertificatePem() + "\n" + intermediate.ExportCertificatePem() + "\n",
            key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>A handshake by a client that trusts <paramref name="root"/> alone, fetches nothing, and knows no intermediate.</summary>
    private static async Task<SslPolicyErrors> HandshakeTrustingOnlyAsync(int port, X509Certificate2 root)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Parse("127.0.0.10"), port);
        var errors = SslPolicyErrors.None;
        await using var ssl = new SslStream(client.GetStream(), false, (_, _, _, e) => (errors = e) is SslPolicyErrors.None or SslPolicyErrors.RemoteCertificateChainErrors); // a chain error is the answer, not a failure
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true };
        policy.CustomTrustStore.Add(root);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.10", CertificateChainPolicy = policy });
        return errors;
    }

    [Fact]
    public async Task ASiteCaChainFile_IsServedWhole_SoAClientTrustingOnlyTheRootVerifies_AtStartAndAfterSighup()
    {
        using var dir = new TempDirectory();
        var (host, cert, key, port) = Site(dir);
        var (root, certificatePem, keyPem) = SiteCaChain("site A");
        Directory.CreateDirectory(Path.GetDirectoryName(cert)!);
        File.WriteAllText(cert, certificatePem);
        File.WriteAllText(key, keyPem);
        using var service = ServiceProcess.Start("serve", "--config", host);
        await service.WaitListeningAsync(IPAddress.Parse("127.0.0.10"), port, Startup);

        // Before the fix only the first certificate of the file was served: RemoteCertificateChainErrors.
        Assert.Equal(SslPolicyErrors.None, await HandshakeTrustingOnlyAsync(port, root));

        var (otherRoot, otherPem, otherKey) = SiteCaChain("site B");
        File.WriteAllText(cert, otherPem);
        File.WriteAllText(key, otherKey);
        Assert.Contains("1 intermediate(s) sent with it", await HupAsync(service, "reloaded:"), StringComparison.Ordinal);
        Assert.Equal(SslPolicyErrors.None, await HandshakeTrustingOnlyAsync(port, otherRoot));
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, await HandshakeTrustingOnlyAsync(port, root));
    }

    [Fact]
    public async Task Sighup_ReopensTheAuditLog_SoLogrotateCanMoveIt()
    {
        using var dir = new TempDirectory();
        var (host, _, _, port) = Site(dir);
        var audit = Path.Combine(dir.Path, "audit.jsonl");
        using var service = ServiceProcess.Start("serve", "--config", host);
        await service.WaitListeningAsync(IPAddress.Parse("127.0.0.10"), port, Startup);
        Assert.Equal(HttpStatusCode.NoContent, await ResetAsync(port));

        File.Move(audit, audit + ".1"); // what logrotate does (no copytruncate), then its postrotate sends SIGHUP
        await HupAsync(service, "audit log reopened");
        Assert.Equal(HttpStatusCode.NoContent, await ResetAsync(port));

        var rotated = File.ReadAllLines(audit + ".1");
        var fresh = File.ReadAllLines(audit);
        Assert.Equal(["intent", "outcome"], rotated.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString()));
        Assert.Equal(["intent", "outcome"], fresh.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString()));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(audit));
    }

    [Fact]
    public async Task KillDashNine_ThenTheNextStart_ClosesEveryIntentWithoutOutcome()
    {
        using var dir = new TempDirectory();
        var (host, _, _, port) = Site(dir);
        var audit = Path.Combine(dir.Path, "audit.jsonl");
        using (var first = ServiceProcess.Start("serve", "--config", host))
        {
            await first.WaitListeningAsync(IPAddress.Parse("127.0.0.10"), port, Startup);
            Assert.Equal(HttpStatusCode.NoContent, await ResetAsync(port));
            first.Signal("KILL");
            first.WaitForExit(TimeSpan.FromSeconds(30));
        }
        // What a kill during a burst leaves: intents whose outcome was never written (made from the real one).
        var intent = File.ReadAllLines(audit).First(l => l.Contains("\"event\":\"intent\"", StringComparison.Ordinal));
        var orphans = Enumerable.Range(1, 8).Select(i => intent.Replace("\"requestId\":\"", $"\"requestId\":\"orphan{i}-", StringComparison.Ordinal)).ToList();
        File.AppendAllLines(audit, orphans);

        using var second = ServiceProcess.Start("serve", "--config", host);
        await second.WaitListeningAsync(IPAddress.Parse("127.0.0.10"), port, Startup);

        var records = File.ReadAllLines(audit).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var outcomes = records.Where(r => r.GetProperty("event").GetString() == "outcome").ToList();
        for (var i = 1; i <= 8; i++)
        {
            var closed = Assert.Single(outcomes, r => r.GetProperty("requestId").GetString()!.StartsWith($"orphan{i}-", StringComparison.Ordinal));
            Assert.StartsWith("interrupted", closed.GetProperty("result").GetString(), StringComparison.Ordinal);
            Assert.Equal("admin", closed.GetProperty("account").GetString());
        }
        Assert.Equal(9, outcomes.Count); // the real reset's own outcome, and one per orphan; nothing else
        Assert.Contains("interrupted", second.Output, StringComparison.Ordinal);
    }
}
