using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests;

/// <summary>
/// docs/operator-guide.md stays honest: every shell block in it is run by tests/guide/run-guide.sh or says why it is not
/// (and what covers it instead), and every message its troubleshooting table quotes is one the product really prints,
/// produced here by making the product fail in that way.
/// </summary>
public sealed partial class OperatorGuideTests(RunningServer server) : IClassFixture<RunningServer>, IDisposable
{
    private readonly List<TempDirectory> _temps = [];

    public void Dispose()
    {
        foreach (var temp in _temps)
        {
            temp.Dispose();
        }
    }

    private static readonly string Guide = Path.Combine(RepoPaths.Root, "docs", "operator-guide.md");
    private static readonly string Harness = Path.Combine(RepoPaths.Root, "tests", "guide", "run-guide.sh");

    // ---- the harness runs every block -------------------------------------------------------------------------------

    [Fact]
    public void EveryShellBlock_IsPickedUpByTheHarness_OrSaysWhyNot()
    {
        var expected = ReadSteps(File.ReadAllLines(Guide));
        var listed = RunHarnessList();

        Assert.Equal(expected, listed);
        Assert.True(expected.Count(s => s.StartsWith("run ", StringComparison.Ordinal)) >= 30, "the guide lost its runnable commands");
        var harness = File.ReadAllText(Harness);
        foreach (var action in expected.Where(s => s.StartsWith("sandbox ", StringComparison.Ordinal)).Select(s => s.Split(' ')[2]))
        {
            Assert.Contains($"sandbox_{action.Replace('-', '_')}()", harness, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheGuideTier_RunsWithTheOthers_AndTheReadmeListsTheGuideFirst()
    {
        var runAll = File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "run-all.sh"));
        Assert.Contains("bash tests/guide/run-guide.sh \"$results/guide\"", runAll, StringComparison.Ordinal);
        Assert.Contains("VBMC_SKIP_GUIDE", runAll, StringComparison.Ordinal);
        var docsRow = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md")).Single(l => l.StartsWith("| `docs/`", StringComparison.Ordinal));
        Assert.StartsWith("| `docs/` | [`operator-guide.md`](docs/operator-guide.md)", docsRow, StringComparison.Ordinal);
    }

    /// <summary>
    /// The guide's blocks as the harness must list them ("KIND LINE TEXT"), read independently of tests/guide/extract.awk:
    /// each "$ " line of a ```console block is a command; a ```sh block must open with the "not run" line (and may name a
    /// sandbox action); a block with file=PATH is written; no other block may hold a command line; no fence is indented.
    /// </summary>
    private static List<string> ReadSteps(string[] lines)
    {
        var steps = new List<string>();
        var inBlock = false;
        var info = "";
        var start = 0;
        var body = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (!inBlock && IndentedFence().IsMatch(line))
            {
                Assert.Fail($"operator-guide.md:{i + 1}: an indented fence; the harness only sees fences at column 0");
            }
            if (!inBlock && line.StartsWith("```", StringComparison.Ordinal))
            {
                (inBlock, info, start, body) = (true, line[3..], i + 1, []);
                continue;
            }
            if (inBlock && line.TrimEnd() == "```")
            {
                inBlock = false;
                steps.AddRange(StepsOf(info, start, body));
                continue;
            }
            if (inBlock)
            {
                body.Add(line);
            }
        }
        Assert.False(inBlock, "operator-guide.md: a fence is never closed");
        return steps;
    }

    private static IEnumerable<string> StepsOf(string info, int start, List<string> body)
    {
        var language = info.Split(' ', 2)[0];
        if (language == "console")
        {
            Assert.True(body.Count > 0 && body[0].StartsWith("$ ", StringComparison.Ordinal), $"operator-guide.md:{start}: a console block must start with a command");
            return body.Select((l, j) => (l, j)).Where(x => x.l.StartsWith("$ ", StringComparison.Ordinal)).Select(x => $"run {start + x.j + 1} {x.l[2..]}");
        }
        if (language is "sh" or "bash" or "shell")
        {
            Assert.True(body.Count > 0 && body[0].StartsWith("# Not run by tests/guide: ", StringComparison.Ordinal),
                $"operator-guide.md:{start}: a ```{language} block is not run, so it must open with '# Not run by tests/guide: <why>. Instead: <what covers it>'");
            Assert.Contains(" Instead: ", body[0], StringComparison.Ordinal);
            return [SandboxAction().Match(info) is { Success: true } m ? $"sandbox {start} {m.Groups[1].Value} | {body[0]}" : $"skip {start} {body[0]}"];
        }
        Assert.DoesNotContain(body, l => l.StartsWith("$ ", StringComparison.Ordinal));
        return FileTarget().Match(info) is { Success: true } file ? [$"file {start} {file.Groups[1].Value}"] : [];
    }

    private static List<string> RunHarnessList()
    {
        var start = new ProcessStartInfo("bash", [Harness, "--list"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "run-guide.sh --list did not finish");
        Assert.True(process.ExitCode == 0, $"run-guide.sh --list failed: {errors.Result}");
        return [.. output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    [GeneratedRegex(@"^\s+```")]
    private static partial Regex IndentedFence();

    [GeneratedRegex(@"\bsandbox=([a-z-]+)")]
    private static partial Regex SandboxAction();

    [GeneratedRegex(@"\bfile=(\S+)")]
    private static partial Regex FileTarget();

    // ---- the troubleshooting table quotes the product -------------------------------------------------------------------

    [Fact]
    public async Task EveryTroubleshootingMessage_IsPrintedByTheProduct()
    {
        var quoted = TroubleshootingMessages();
        Assert.True(quoted.Count >= 20, $"the troubleshooting table has {quoted.Count} rows");

        var printed = await ProductOutputAsync();

        var missing = quoted.Where(q => !printed.Any(line => Pattern(q).IsMatch(line))).ToList();
        Assert.True(missing.Count == 0, "the product no longer prints:\n  " + string.Join("\n  ", missing));
    }

    /// <summary>The first cell of every row of §18's table: one code span, "…" for the parts that vary.</summary>
    private static List<string> TroubleshootingMessages()
    {
        var text = File.ReadAllText(Guide);
        var section = text[text.IndexOf("\n## 18. Troubleshooting", StringComparison.Ordinal)..];
        return [.. section.Split('\n').Select(l => TableMessage().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value.Replace("\\|", "|", StringComparison.Ordinal))];
    }

    [GeneratedRegex(@"^\| `([^`]+)` \|")]
    private static partial Regex TableMessage();

    private static Regex Pattern(string quoted) =>
        new(string.Join(".*?", quoted.Split('…').Select(Regex.Escape)), RegexOptions.CultureInvariant);

    /// <summary>Everything the product printed while being broken in each way the table describes, line by line.</summary>
    private async Task<List<string>> ProductOutputAsync()
    {
        var lines = new List<string>();
        void Add(string text) => lines.AddRange(text.Split('\n'));
        void Cli(string stdin, params string[] args)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            OpenChami.VirtualBmc.Server.Cli.Cli.RunAsync(args, stdout, stderr, new StringReader(stdin)).GetAwaiter().GetResult();
            Add(stdout.ToString());
            Add(stderr.ToString());
        }

        // The configuration as the package installs it.
        using (var dir = new TempDirectory())
        {
            foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "packaging", "config"), "*.yaml"))
            {
                File.Copy(file, Path.Combine(dir.Path, Path.GetFileName(file)));
            }
            Cli("", "validate", "--config", Path.Combine(dir.Path, "host.yaml"));
        }

        // Broken copies of the demo configuration.
        Cli("", "validate", "--config", Demo(accounts: _ => "accounts: []\n"));
        Cli("", "validate", "--config", Demo(host: h => h.Replace("accountsFile: accounts.yaml", "accountsFile: missing.yaml", StringComparison.Ordinal)));
        Cli("", "validate", "--config", Demo(node: n => n.Replace("vfIndex: 1", "vfIndx: 1", StringComparison.Ordinal)));
        Cli("", "validate", "--config", Demo(host: h => TlsSection().Replace(h, "")));
        Cli("", "validate", "--config", Demo(host: h => h.Replace("address: 127.0.0.11\n    port: 8443", "address: 127.0.0.10\n    port: 8444", StringComparison.Ordinal)));
        using (var dir = new TempDirectory())
        {
            Cli("", "validate", "--config", ServerTestSupport.WriteDemoCopy(dir, 8443, firstAddress: "10.254.1.10", demoAccounts: true));
        }

        // An image the catalog does not list; an inventory export whose serial is not the card's.
        Cli("", "validate", "--config", Demo(node: n => ReplaceFirst(n, "image: ubuntu-hpc-base", "image: ubuntu-hpc-bsae")));
        var exported = Demo(host: h => h + "inventoryExport: inventory-export.json\n");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(exported)!, "inventory-export.json"),
            File.ReadAllText(Path.Combine(RepoPaths.Root, "examples", "demo", "inventory-export.json"))
                .Replace("\"1654923000001\"", "\"1654923000099\"", StringComparison.Ordinal)
                .Replace("\"x1000c0s0b0n0\"", $"\"{HostId().Match(File.ReadAllText(exported)).Groups[1].Value}\"", StringComparison.Ordinal)); // the copy has its own hostId
        Cli("", "validate", "--config", exported);

        // The demo fixture as it is: GPUs on nvidia and unbound; render of a failing slot.
        var demo = Demo();
        Cli("", "validate", "--config", demo);
        Cli("", "render", "--config", demo, "--slot", "slot2");

        // A VF index beyond the PF's VFs; a VF whose netdev is up.
        foreach (var index in new[] { "5", "2" })
        {
            var host = Demo(node: n => ReplaceFirst(n, "vfIndex: 0", "vfIndex: " + index));
            Cli("", "validate", "--config", host);
            Cli("", "host", "prepare", "--config", host, "--dry-run");
        }

        // Hosts without IOMMU groups, without free 1 GiB pages on node 0, without vfio-pci.
        using (var dir = new TempDirectory())
        {
            var host = Demo();
            var noIommu = Fixture(dir, "no-iommu", root => Directory.Delete(Path.Combine(root, "sys", "kernel", "iommu_groups"), recursive: true));
            var noPages = Fixture(dir, "no-pages", root => File.WriteAllText(Path.Combine(root, "sys", "devices", "system", "node", "node0", "hugepages", "hugepages-1048576kB", "free_hugepages"), "100\n"));
            var noVfio = Fixture(dir, "no-vfio", root => Directory.Delete(Path.Combine(root, "sys", "bus", "pci", "drivers", "vfio-pci"), recursive: true));
            Cli("", "validate", "--config", host, "--sysfs-root", noIommu);
            Cli("", "validate", "--config", host, "--sysfs-root", noPages);
            Cli("", "host", "prepare", "--config", host, "--sysfs-root", noVfio, "--dry-run");
        }

        Cli("", "hash-password");

        // serve: what it logs when Kestrel cannot listen ("cannot serve: " + the reason, see ServeCommand).
        var serve = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "OpenChami.VirtualBmc.Server", "Cli", "ServeCommand.cs"));
        Assert.Contains("logger.Fatal(\"cannot serve: {Reason}\", e.InnerException?.Message ?? e.Message);", serve, StringComparison.Ordinal);
        using (var dir = new TempDirectory())
        {
            Add("cannot serve: " + await ServeFailureAsync(ServerTestSupport.WriteDemoCopy(dir, 8443, firstAddress: "192.0.2.10")));
        }
        using (var dir = new TempDirectory())
        {
            var port = ServerTestSupport.FreePort(IPAddress.Parse("127.0.0.10"));
            using var taken = new TcpListener(IPAddress.Parse("127.0.0.10"), port);
            taken.Start();
            Add("cannot serve: " + await ServeFailureAsync(ServerTestSupport.WriteDemoCopy(dir, port)));
        }

        // Redfish errors, from the running demo (slot2 fails validation; every slot starts off).
        using var anonymous = server.ClientFor(null, null);
        using var stranger = server.ClientFor("nobody", "not-a-password");
        using var reader = server.ClientFor("reader", ServerTestSupport.TestAccounts.ReaderPassword);
        Add(await ErrorMessageAsync(server.Http, HttpMethod.Post, "127.0.0.12", "/redfish/v1/Systems/slot2/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""", HttpStatusCode.Conflict));
        Add(await ErrorMessageAsync(anonymous, HttpMethod.Get, "127.0.0.10", "/redfish/v1/Systems/slot0", null, HttpStatusCode.Unauthorized));
        Add(await ErrorMessageAsync(stranger, HttpMethod.Get, "127.0.0.10", "/redfish/v1/Systems/slot0", null, HttpStatusCode.Unauthorized));
        Add(await ErrorMessageAsync(reader, HttpMethod.Post, "127.0.0.10", "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""", HttpStatusCode.Forbidden));
        await ErrorMessageAsync(server.Http, HttpMethod.Post, "127.0.0.11", "/redfish/v1/Systems/slot1/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""", HttpStatusCode.NoContent);
        Add(await ErrorMessageAsync(server.Http, HttpMethod.Post, "127.0.0.11", "/redfish/v1/Systems/slot1/Actions/ComputerSystem.Reset", """{"ResetType":"GracefulRestart"}""", HttpStatusCode.Conflict));
        // Power on after the slot's state was deleted; a reimage gives it its disk back.
        await ErrorMessageAsync(server.Http, HttpMethod.Post, "127.0.0.10", "/redfish/v1/Systems/slot0/Actions/Oem/OpenCHAMIComputerSystem.DeleteState", "{}", HttpStatusCode.OK);
        Add(await ErrorMessageAsync(server.Http, HttpMethod.Post, "127.0.0.10", "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""", HttpStatusCode.Conflict));
        await ErrorMessageAsync(server.Http, HttpMethod.Post, "127.0.0.10", "/redfish/v1/Systems/slot0/Actions/Oem/OpenCHAMIComputerSystem.Reimage", "{}", HttpStatusCode.OK);
        return lines;
    }

    /// <summary>A copy of the demo configuration (the shared fixture tree, test accounts), each file optionally edited.</summary>
    private string Demo(Func<string, string>? host = null, Func<string, string>? node = null, Func<string, string>? accounts = null)
    {
        var dir = new TempDirectory();
        _temps.Add(dir);
        var hostFile = ServerTestSupport.WriteDemoCopy(dir, 8443);
        Edit(hostFile, host);
        Edit(Path.Combine(dir.Path, "dense-gpu-hsn-node.yaml"), node);
        Edit(Path.Combine(dir.Path, "accounts.yaml"), accounts);
        return hostFile;
    }

    private static void Edit(string file, Func<string, string>? edit)
    {
        if (edit is not null)
        {
            File.WriteAllText(file, edit(File.ReadAllText(file)));
        }
    }

    private static string ReplaceFirst(string text, string what, string with)
    {
        var at = text.IndexOf(what, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{what}' is not in the demo node type");
        return text[..at] + with + text[(at + what.Length)..];
    }

    /// <summary>A fresh dense-node fixture tree (never the shared one), changed by <paramref name="change"/>.</summary>
    private static string Fixture(TempDirectory dir, string name, Action<string> change)
    {
        var root = OpenChami.VirtualBmc.TestSupport.Sysfs.DenseNodeFixture.Build(Path.Combine(dir.Path, name));
        change(root);
        return root;
    }

    [GeneratedRegex(@"(?m)^hostId: (\S+)")]
    private static partial Regex HostId();

    [GeneratedRegex(@"(?m)^tls:\n(?:  .*\n)+")]
    private static partial Regex TlsSection();

    /// <summary>Starts the service on <paramref name="hostFile"/> as serve does and returns the reason it cannot listen.</summary>
    private static async Task<string> ServeFailureAsync(string hostFile)
    {
        await using var node = await NodeComposer.StartAsync(SiteLoader.Load(hostFile).GetOrThrow(), Serilog.Core.Logger.None);
        await using var app = RedfishServer.Build(node.State, Serilog.Core.Logger.None);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        Assert.True(e is IOException or SocketException or InvalidOperationException, $"serve would not catch {e.GetType()}: {e.Message}");
        return e.InnerException?.Message ?? e.Message;
    }

    private async Task<string> ErrorMessageAsync(HttpClient client, HttpMethod method, string address, string path, string? body, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(method, server.Url(path, address));
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{method} {path} on {address}: {(int)response.StatusCode} {text}");
        using var json = text.Length == 0 ? null : JsonDocument.Parse(text);
        return json is not null && json.RootElement.TryGetProperty("error", out var error) ? error.GetProperty("message").GetString()! : "";
    }
}
