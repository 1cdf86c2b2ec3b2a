using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Console;

/// <summary>The demo (libvirt's test driver) served for real: logins against the accounts file, refusals, abuse.</summary>
public sealed class ConsoleDemoServer : RunningServer
{
    protected override string Tweak(string hostYaml) => hostYaml
        .Replace("security:\n", "security:\n  lockoutThreshold: 3\n  lockoutDurationSeconds: 600\n", StringComparison.Ordinal)
        .Replace("console:\n", "console:\n  loginGraceSeconds: 5\n", StringComparison.Ordinal);

    public int SshPort => Node.State.Site.Host.Console.SshPort;
}

public sealed class SshConsoleEndpointTests(ConsoleDemoServer server) : IClassFixture<ConsoleDemoServer>
{
    private const string Slot0 = "127.0.0.10";

    [Fact]
    public async Task TestDriver_SaysItHasNoConsole_InOneLine_AndCloses()
    {
        var (code, output, _) = await SshClient.RunAsync(ServerTestSupport.TestAccounts.AdminPassword, server.SshPort, $"admin@{Slot0}");
        Assert.Equal(1, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains("slot0: this hypervisor gives no serial console", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongPassword_IsDenied_AndAudited()
    {
        var (code, _, error) = await SshClient.RunAsync("not-the-password", server.SshPort, $"operator@{Slot0}");
        Assert.Equal(255, code);
        Assert.Contains("Permission denied", error, StringComparison.Ordinal);
        await AssertAuditedAsync(r => r.GetProperty("event").GetString() == "login-failed"
            && r.TryGetProperty("via", out var via) && via.GetString() == "ssh"
            && r.GetProperty("parameters").GetProperty("UserName").GetString() == "operator");
    }

    [Fact]
    public async Task FailuresOverSsh_LockTheAccountForRedfishToo_AndTheRightPasswordThenFails()
    {
        const string user = "reader";
        for (var i = 0; i < 3; i++)
        {
            var (code, _, _) = await SshClient.RunAsync("wrong-" + i, server.SshPort, $"{user}@{Slot0}");
            Assert.Equal(255, code);
        }
        using var reader = server.ClientFor(user, ServerTestSupport.TestAccounts.ReaderPassword);
        var (response, _) = await server.GetAsync("/redfish/v1/Systems/slot0", client: reader);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var (sshCode, _, sshError) = await SshClient.RunAsync(ServerTestSupport.TestAccounts.ReaderPassword, server.SshPort, $"{user}@{Slot0}");
        Assert.Equal(255, sshCode);
        Assert.Contains("Permission denied", sshError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_IsRefused()
    {
        var (code, output, error) = await SshClient.RunCommandAsync(ServerTestSupport.TestAccounts.AdminPassword, server.SshPort, $"admin@{Slot0}", [], ["uname", "-a"]);
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("Linux", output, StringComparison.Ordinal);
        Assert.Contains("exec request failed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SftpSubsystem_IsRefused()
    {
        var (code, _, error) = await SshClient.RunCommandAsync(ServerTestSupport.TestAccounts.AdminPassword, server.SshPort, $"admin@{Slot0}", ["-s"], ["sftp"]);
        Assert.NotEqual(0, code);
        Assert.True(error.Contains("subsystem request failed", StringComparison.Ordinal), error);
    }

    [Fact]
    public async Task LocalForwarding_IsRefused()
    {
        var (code, _, error) = await SshClient.RunAsync(ServerTestSupport.TestAccounts.AdminPassword, server.SshPort, $"admin@{Slot0}", "-W", "127.0.0.1:9");
        Assert.NotEqual(0, code);
        Assert.Contains("stdio forwarding failed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoteForwarding_IsRefused()
    {
        var (code, _, error) = await SshClient.RunAsync(ServerTestSupport.TestAccounts.AdminPassword, server.SshPort, $"admin@{Slot0}",
            "-N", "-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:0:127.0.0.1:9");
        Assert.NotEqual(0, code);
        Assert.Contains("remote port forwarding failed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_IsClosed_AndTheServiceStaysHealthy()
    {
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Parse(Slot0), server.SshPort);
            var stream = client.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + new string('\0', 4096)));
            Assert.True(await ClosedWithinAsync(stream, TimeSpan.FromSeconds(10)), "the server kept a garbage connection open");
        }
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task SilentClient_IsClosedAfterTheLoginGraceTime_AndTheServiceStaysHealthy()
    {
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Parse(Slot0), server.SshPort);
            Assert.True(await ClosedWithinAsync(client.GetStream(), TimeSpan.FromSeconds(15)), "the server kept a silent connection open");
        }
        await AssertHealthyAsync();
    }

    [Fact]
    public async Task HostKey_IsKeptInTheStateDirectory_Mode0600()
    {
        var path = Path.Combine(server.Directory, "state", "ssh_host_ed25519_key");
        Assert.True(File.Exists(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task HostKeyCommand_PrintsTheFingerprintTheServerPresents_AndKnownHostsLines()
    {
        var stdout = new StringWriter();
        var code = await OpenChami.VirtualBmc.Server.Cli.Cli.RunAsync(["console", "host-key", "--config", Path.Combine(server.Directory, "host.yaml")],
            stdout, new StringWriter(), TextReader.Null);
        Assert.Equal(0, code);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var fingerprint = lines[0].Split(' ')[0];
        Assert.StartsWith("SHA256:", fingerprint, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith($"[127.0.0.10]:{server.SshPort} ssh-ed25519 ", StringComparison.Ordinal));

        // What OpenSSH sees on the wire, hashed by OpenSSH.
        var (scanCode, scanned, _) = OpenChami.VirtualBmc.TestSupport.ExternalTool.Run("ssh-keyscan", "-t", "ed25519", "-p", server.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture), Slot0);
        Assert.Equal(0, scanCode);
        var (keygenCode, hashed, _) = OpenChami.VirtualBmc.TestSupport.ExternalTool.Run("ssh-keygen", ["-lf", "-"], scanned);
        Assert.Equal(0, keygenCode);
        Assert.Contains(fingerprint, hashed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostKeyCommand_WithoutAKey_SaysSo_AndExits4()
    {
        using var dir = new OpenChami.VirtualBmc.TestSupport.TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        var stderr = new StringWriter();
        var code = await OpenChami.VirtualBmc.Server.Cli.Cli.RunAsync(["console", "host-key", "--config", host], new StringWriter(), stderr, TextReader.Null);
        Assert.Equal(4, code);
        Assert.Contains("no host key", stderr.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task SystemAdvertisesTheSshConsole_AsSmdStoresIt_AndValidates()
    {
        RedfishSchemas.SkipIfAbsent();
        var response = await server.Http.GetAsync(server.Url("/redfish/v1/Systems/slot0"));
        var json = await response.Content.ReadAsStringAsync();
        RedfishSchemas.AssertValid(json);
        var console = JsonDocument.Parse(json).RootElement.GetProperty("SerialConsole");
        Assert.True(console.GetProperty("SSH").GetProperty("ServiceEnabled").GetBoolean());
        Assert.Equal(server.SshPort, console.GetProperty("SSH").GetProperty("Port").GetInt32());
        Assert.True(console.GetProperty("SSH").GetProperty("SharedWithManagerCLI").GetBoolean());
        Assert.False(console.GetProperty("SSH").TryGetProperty("ConsoleEntryCommand", out _));
        Assert.Equal(8, console.GetProperty("MaxConcurrentSessions").GetInt32());
        // What Magellan already reads stays: the other protocols' ports are integers.
        Assert.Equal(623, console.GetProperty("IPMI").GetProperty("Port").GetInt32());
        Assert.False(console.GetProperty("IPMI").GetProperty("ServiceEnabled").GetBoolean());
        Assert.Equal(23, console.GetProperty("Telnet").GetProperty("Port").GetInt32());
    }

    [SkippableFact]
    public async Task ManagerAdvertisesAnSshCommandShell_AsMagellanReadsIt_AndValidates()
    {
        RedfishSchemas.SkipIfAbsent();
        var response = await server.Http.GetAsync(server.Url("/redfish/v1/Managers/BMC"));
        var json = await response.Content.ReadAsStringAsync();
        RedfishSchemas.AssertValid(json);
        var shell = JsonDocument.Parse(json).RootElement.GetProperty("CommandShell");
        Assert.True(shell.GetProperty("ServiceEnabled").GetBoolean());
        Assert.Equal(8, shell.GetProperty("MaxConcurrentSessions").GetInt32());
        Assert.Equal(["SSH"], shell.GetProperty("ConnectTypesSupported").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    private async Task AssertHealthyAsync()
    {
        var (response, _) = await server.GetAsync("/redfish/v1/Systems/slot0");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (code, output, error) = await SshClient.RunAsync(ServerTestSupport.TestAccounts.AdminPassword, server.SshPort, $"admin@{Slot0}");
        Assert.True(code == 1, $"ssh exited {code}: {error}");
        Assert.Contains("no serial console", output, StringComparison.Ordinal);
    }

    /// <summary>True when the peer closes (read returns 0 or the connection resets) before the time is up.</summary>
    private static async Task<bool> ClosedWithinAsync(NetworkStream stream, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task AssertAuditedAsync(Func<JsonElement, bool> match)
    {
        var path = Path.Combine(server.Directory, "audit.jsonl");
        for (var i = 0; i < 50; i++)
        {
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            using (var reader = new StreamReader(file))
            {
                var lines = (await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                if (lines.Select(l => JsonDocument.Parse(l).RootElement).Any(match))
                {
                    return;
                }
            }
            await Task.Delay(100);
        }
        Assert.Fail("no matching audit record");
    }
}
