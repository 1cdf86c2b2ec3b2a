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
    public void Validate_DemoNode_ShowsGoodAndFailingSlots_AndExits1()
    {
        using var dir = new TempDirectory();
        var (code, output, _) = Run("", "validate", "--config", ServerTestSupport.WriteDemoCopy(dir, 8443));

        Assert.Equal(ExitCodes.SlotsFailed, code);
        var rows = output.Split('\n').Where(l => l.StartsWith("slot", StringComparison.Ordinal)).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        Assert.Equal(["slot0", "usable", "-", "all checks", "ok"], rows[0]);
        Assert.Equal(["slot1", "usable", "-", "all checks", "ok"], rows[1]);
        Assert.Equal(["slot2", "NOT USABLE", "gpu0", "DRIVER_HOST_OWNED", "error"], rows[2][..5]);
        Assert.Equal(["slot3", "NOT USABLE", "gpu1", "DRIVER_UNBOUND", "error"], rows[4][..5]);
        Assert.Contains("2 of 4 slots usable; 3 errors, 0 warnings", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ListsEverySlotsRedfishAndSshConsoleEndpoint()
    {
        using var dir = new TempDirectory();
        var (_, output, _) = Run("", "validate", "--config", ServerTestSupport.WriteDemoCopy(dir, 8443));

        var lines = output.Split('\n').Select(l => l.TrimEnd()).ToList();
        var header = lines.FindIndex(l => l.StartsWith("ENDPOINT", StringComparison.Ordinal));
        Assert.True(header >= 0, output);
        var rows = lines.Skip(header + 1).TakeWhile(l => l.Length > 0).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        Assert.Equal(["slot0", "https://127.0.0.10:8443/redfish/v1"], rows[0][..2]);
        Assert.Matches(@"^127\.0\.0\.10:\d+$", rows[0][2]); // the console port the test copy gives
        Assert.Equal(["slot3", "https://127.0.0.13:8443/redfish/v1"], rows[3][..2]);
        Assert.Equal(["(host)", "https://127.0.0.19:8443/redfish/v1", "-"], rows[4]);
    }

    [Fact]
    public void Validate_WarnsAtTheSlotEntry_WhenASlotHasNoPlannedIpv4()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        var (code, output, _) = Run("", "validate", "--config", host);

        // slot2 and slot3 of the demo plan no address: SMD could not map their MACs.
        var warnings = output.Split('\n').Where(l => l.Contains(": warning no-planned-ipv4: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Matches(@"host\.yaml:\d+:\d+: warning no-planned-ipv4: slot 'slot2' has no planned IPv4 address", warnings[0]);
        Assert.Contains("slot 'slot3'", warnings[1], StringComparison.Ordinal);
        Assert.Equal(ExitCodes.SlotsFailed, code); // warnings do not change the exit code

        var (_, json, _) = Run("", "validate", "--config", host, "--json");
        var parsed = System.Text.Json.JsonDocument.Parse(json).RootElement;
        Assert.Equal(2, parsed.GetProperty("warnings").GetArrayLength());

        File.WriteAllText(host, File.ReadAllText(host).Replace("- name: slot2\n", "- name: slot2\n  ipv4:\n  - interface: mgmt0\n    address: 10.100.0.12/16\n", StringComparison.Ordinal));
        var (_, fixedOutput, _) = Run("", "validate", "--config", host);
        Assert.DoesNotContain("slot 'slot2' has no planned", fixedOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithAnInventoryExport_ReportsTheCardWhoseSerialDisagrees()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        var hostId = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(host), "^hostId: (\\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
        dir.Write("inventory-export.json", File.ReadAllText(Path.Combine(RepoPaths.Examples, "demo", "inventory-export.json"))
            .Replace("\"hostId\": \"x1000c0s0b0n0\"", $"\"hostId\": \"{hostId}\"", StringComparison.Ordinal)
            .Replace("1654923000002", "1654923000099", StringComparison.Ordinal));
        File.AppendAllText(host, "inventoryExport: inventory-export.json\n");

        var (code, output, _) = Run("", "validate", "--config", host);

        Assert.Equal(ExitCodes.SlotsFailed, code);
        var rows = output.Split('\n').Where(l => l.StartsWith("slot", StringComparison.Ordinal)).Select(l => l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        Assert.Equal(["slot0", "NOT USABLE", "gpu1", "INVENTORY_SERIAL_MISMATCH", "error"], rows[0][..5]);
        Assert.Contains("lists as GPU1: the export says serial 1654923000099, the card's VPD says 1654923000002", rows[0][5], StringComparison.Ordinal);
        Assert.Equal(["slot1", "usable", "-", "all checks", "ok"], rows[1]);
        Assert.Contains("1 of 4 slots usable; 4 errors, 0 warnings", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_AllGood_Exits0()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        var node = Path.Combine(dir.Path, "dense-gpu-hsn-node.yaml");
        // Keep slot0 and slot1, the two the fixture can host.
        var text = File.ReadAllText(node);
        File.WriteAllText(node, text[..text.IndexOf("- name: slot2", StringComparison.Ordinal)]);
        var hostText = File.ReadAllText(host);
        File.WriteAllText(host, hostText[..hostText.IndexOf("- name: slot2", StringComparison.Ordinal)]);

        var (code, output, _) = Run("", "validate", "--config", host, "--json");

        Assert.Equal(ExitCodes.Ok, code);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("allUsable").GetBoolean());
        Assert.Equal("2 of 2 slots usable; 0 errors, 0 warnings", json.RootElement.GetProperty("summary").GetString());
    }

    [Fact]
    public void Inventory_ListsTheFixturesFunctionsAndNodes()
    {
        var (code, output, _) = Run("", "inventory", "--sysfs-root", ServerTestSupport.DemoSysfs);
        Assert.Equal(ExitCodes.Ok, code);
        Assert.StartsWith("46 PCI functions, 128 CPUs, IOMMU on", output, StringComparison.Ordinal);
        Assert.Matches(@"0000:1a:00\.0\s+0x020700\s+15b3:1021\s+0\s+17\s+mlx5_core\s+4/16 VFs\s+ibp26s0,mlx5_0", output);
        Assert.Matches(@"\n1\s+32-63,96-127\s", output);
    }

    [Fact]
    public void Render_PrintsTheDomainOfAUsableSlot_AndRefusesAFailedOne()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);

        var (code, output, _) = Run("", "render", "--config", host, "--slot", "slot1");
        var (failedCode, _, failedErrors) = Run("", "render", "--config", host, "--slot", "slot2");

        Assert.Equal(ExitCodes.Ok, code);
        var domain = System.Xml.Linq.XDocument.Parse(output).Root!;
        Assert.EndsWith("slot1", domain.Element("name")!.Value, StringComparison.Ordinal);
        Assert.Equal(["0000:3a:00.0", "0000:3b:00.0"], domain.Descendants("hostdev").Select(h => Bdf(h.Element("source")!.Element("address")!)));
        Assert.Equal(["0000:1a:00.2", "0000:3c:00.2"], domain.Descendants("interface").Where(i => (string?)i.Attribute("type") == "hostdev")
            .Select(i => Bdf(i.Element("source")!.Element("address")!)));
        Assert.Equal(ExitCodes.SlotsFailed, failedCode);
        Assert.Contains("slot slot2 fails host validation", failedErrors, StringComparison.Ordinal);
    }

    private static string Bdf(System.Xml.Linq.XElement address) =>
        $"{Convert.ToInt32((string)address.Attribute("domain")!, 16):x4}:{Convert.ToInt32((string)address.Attribute("bus")!, 16):x2}:{Convert.ToInt32((string)address.Attribute("slot")!, 16):x2}.{Convert.ToInt32((string)address.Attribute("function")!, 16):x1}";

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
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443, firstAddress: "10.254.1.10", demoAccounts: true);

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

    [Fact]
    public void Render_Seed_PrintsTheSeedFiles_AndWritesTheImage_EvenForASlotFailingHostValidation()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        var iso = Path.Combine(dir.Path, "seed", "slot2.iso");

        var (code, output, _) = Run("", "render", "--config", host, "--slot", "slot0", "--seed");
        var (slot2Code, slot2Output, _) = Run("", "render", "--config", host, "--slot", "slot2", "--seed");
        var (isoCode, isoOutput, _) = Run("", "render", "--config", host, "--slot", "slot2", "--seed-iso", iso);
        var (bothCode, _, bothErrors) = Run("", "render", "--config", host, "--slot", "slot0", "--seed", "--seed-iso", iso);

        Assert.Equal(ExitCodes.Ok, code);
        var slot0 = OpenChami.VirtualBmc.Slots.Configuration.ConfigurationLoader.Load(host).GetOrThrow().FindSlot("slot0")!;
        var seed = OpenChami.VirtualBmc.Slots.Images.NoCloudSeedComposer.Compose(slot0);
        Assert.Equal($"==> meta-data <==\n{seed.MetaData}\n==> user-data <==\n\n==> network-config <==\n{seed.NetworkConfig}", output);
        Assert.Contains(slot0.Identity.InstanceId, seed.MetaData, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, slot2Code); // fails host validation, but its seed needs no devices
        Assert.DoesNotContain("network-config", slot2Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, isoCode);
        Assert.Contains("label cidata", isoOutput, StringComparison.Ordinal);
        Assert.Equal("CD001", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(iso), 0x8001, 5));
        Assert.Equal(ExitCodes.Usage, bothCode);
        Assert.Contains("not both", bothErrors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("validate")]
    [InlineData("inventory")]
    [InlineData("render")]
    [InlineData("hash-password")]
    [InlineData("slot")]
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
        foreach (var verb in new[] { "serve", "validate", "inventory", "render", "slot", "hash-password", "version" })
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
