using OpenChami.VirtualBmc.Server.Cli;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Cli;

public sealed class CliTests
{
    private static (int Code, string Out, string Err) Run(string stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = OpenChami.VirtualBmc.Server.Cli.Cli.RunAsync(args, stdout, stderr, new StringReader(stdin)).GetAwaiter().GetResult();
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Validate_DemoConfig_Succeeds()
    {
        var (code, output, _) = Run("", "validate", "--config", Path.Combine(RepoPaths.Examples, "demo", "host.yaml"));
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("configuration valid: host x1000c0s0b0n0, node type dense-gpu-hsn-node, 4 slots", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BrokenConfig_PrintsEveryProblemWithLocationAndExits3()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        var node = Path.Combine(dir.Path, "dense-gpu-hsn-node.yaml");
        File.WriteAllText(node, File.ReadAllText(node).Replace("vfIndex: 1", "vfIndx: 1", StringComparison.Ordinal));

        var (code, _, errors) = Run("", "validate", "--config", host);

        Assert.Equal(ExitCodes.ConfigInvalid, code);
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Count(l => l.Contains("error unknown-key: unknown key 'vfIndx' (did you mean 'vfIndex'?)", StringComparison.Ordinal)));
        Assert.All(lines.SkipLast(1), l => Assert.Matches(@"^/.+dense-gpu-hsn-node\.yaml:\d+:\d+: error [a-z-]+: ", l));
        Assert.Contains("configuration problems; nothing was started", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Json_ListsProblemsForTools()
    {
        using var dir = new TempDirectory();
        var host = dir.Write("host.yaml", "hostId: h1\nnodeType: missing.yaml\nslots: []\n");

        var (code, output, _) = Run("", "validate", "--config", host, "--json");

        Assert.Equal(ExitCodes.ConfigInvalid, code);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        Assert.False(json.RootElement.GetProperty("configValid").GetBoolean());
        var codes = json.RootElement.GetProperty("configProblems").EnumerateArray().Select(p => p.GetProperty("code").GetString()).ToList();
        Assert.Contains("file-not-found", codes);
        Assert.Contains("invalid-value", codes); // slots: [] has fewer than one item
    }

    [Fact]
    public void DemoPassword_OnANonLoopbackAddress_IsRefused()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443, firstAddress: "10.254.1.10");

        var (code, _, errors) = Run("", "validate", "--config", host);

        Assert.Equal(ExitCodes.ConfigInvalid, code);
        Assert.Contains("accounts.yaml:5:3: error demo-password: account 'admin' has the published demo password, and slot 'slot0' listens on 10.254.1.10:8443", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    [InlineData(new[] { "validate" }, "option --config is required")]
    [InlineData(new[] { "validate", "--config" }, "option --config needs a value")]
    [InlineData(new[] { "validate", "--cofig", "x" }, "unknown option '--cofig'")]
    [InlineData(new[] { "serve", "--config", "x", "--log-format", "xml" }, "--log-format is text or json")]
    public void UsageMistakes_Exit2WithAMessage(string[] args, string message)
    {
        var (code, _, errors) = Run("", args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(message, errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("validate")]
    [InlineData("hash-password")]
    public void EveryCommand_ExplainsItself(string verb)
    {
        var (code, output, _) = Run("", verb, "--help");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.StartsWith($"Usage: openchami-vbmc {verb}", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_ListsCommandsAndExitCodes()
    {
        var (code, output, _) = Run("", "--help");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("Exit codes:", output, StringComparison.Ordinal);
        foreach (var verb in new[] { "serve", "validate", "hash-password", "version" })
        {
            Assert.Contains($"  {verb} ", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void HashPassword_ReadsStdinAndPrintsAVerifiableHash()
    {
        var (code, output, _) = Run("s3cret pass\n", "hash-password", "--iterations", "100000");
        Assert.Equal(ExitCodes.Ok, code);
        var hash = output.Trim();
        Assert.StartsWith("pbkdf2-sha256$100000$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("s3cret pass", hash));
        Assert.False(PasswordHasher.Verify("s3cret pas", hash));
    }

    [Fact]
    public void Version_PrintsTheVersion()
    {
        var (code, output, _) = Run("", "version");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Matches(@"^openchami-vbmc \d+\.\d+\.\d+", output);
    }
}
