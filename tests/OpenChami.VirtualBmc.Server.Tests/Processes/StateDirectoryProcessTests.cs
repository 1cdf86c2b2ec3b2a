using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using OpenChami.VirtualBmc.TestSupport;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Processes;

/// <summary>What the service finds in its state directory, through the real executable (it runs as root here, as in production).</summary>
public sealed class StateDirectoryProcessTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(90);

    private static (string Host, string State, int Port) Site(TempDirectory dir)
    {
        var port = FreePort(IPAddress.Parse("127.0.0.10"));
        return (WriteDemoCopy(dir, port), Path.Combine(dir.Path, "state"), port);
    }

    private static async Task<JsonElement> Slot0Async(int port)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, c, _, _) => c is not null };
        using var http = new HttpClient(handler);
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"admin:{TestAccounts.AdminPassword}")));
        return JsonDocument.Parse(await http.GetStringAsync(new Uri($"https://127.0.0.10:{port}/redfish/v1/Systems/slot0"))).RootElement.Clone();
    }

    private static async Task RunOnceAsync(string host, int port)
    {
        using var first = ServiceProcess.Start("serve", "--config", host);
        await first.WaitListeningAsync(IPAddress.Parse("127.0.0.10"), port, Startup);
        first.Signal("TERM");
        Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task ASlotDirectoryLinkedElsewhere_IsNotFollowed_TheSlotGetsAFinding()
    {
        using var dir = new TempDirectory();
        var (host, state, port) = Site(dir);
        var elsewhere = Directory.CreateDirectory(Path.Combine(dir.Path, "etc")).FullName;
        Directory.CreateDirectory(Path.Combine(state, "slots"));
        File.CreateSymbolicLink(Path.Combine(state, "slots", "slot0"), elsewhere);

        using var service = ServiceProcess.Start("serve", "--config", host);
        await service.WaitListeningAsync(IPAddress.Parse("127.0.0.10"), port, Startup);

        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere)); // no root.qcow2 written through the link
        Assert.Contains("is a symbolic link", service.Output, StringComparison.Ordinal);
        var slot0 = await Slot0Async(port);
        Assert.NotEqual("Enabled", slot0.GetProperty("Status").GetProperty("State").GetString());
        Assert.False(service.HasExited);
    }

    [Fact]
    public async Task ADirectoryWhereTheLockFileBelongs_IsAFinding_NotACrash()
    {
        using var dir = new TempDirectory();
        var (host, state, port) = Site(dir);
        Directory.CreateDirectory(Path.Combine(state, "locks", "slot0.lock"));

        using var service = ServiceProcess.Start("serve", "--config", host);
        await service.WaitListeningAsync(IPAddress.Parse("127.0.0.10"), port, Startup);

        Assert.Contains("slot0.lock is not a regular file", service.Output, StringComparison.Ordinal);
        Assert.NotEqual("Enabled", (await Slot0Async(port)).GetProperty("Status").GetProperty("State").GetString());
        Assert.False(service.HasExited);
    }

    [Fact]
    public async Task ACachedBaseImageWhoseBytesChanged_IsVerifiedAgainAtStart_AndReplaced()
    {
        using var dir = new TempDirectory();
        var (host, state, port) = Site(dir);
        await RunOnceAsync(host, port);
        var cached = Directory.GetFiles(Path.Combine(state, "images"), "*.img").Single();
        using (var file = new FileStream(cached, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 4096;
            file.WriteByte(0x5a);
        }

        using var service = ServiceProcess.Start("serve", "--config", host);
        await service.WaitListeningAsync(IPAddress.Parse("127.0.0.10"), port, Startup);

        using var stream = File.OpenRead(cached);
        Assert.Equal(Path.GetFileNameWithoutExtension(cached), Convert.ToHexStringLower(SHA256.HashData(stream)));
        Assert.Equal("Enabled", (await Slot0Async(port)).GetProperty("Status").GetProperty("State").GetString());
    }

    [Fact]
    public async Task AGarbageIndexJson_IsSetAside_NotSilentlyAccepted()
    {
        using var dir = new TempDirectory();
        var (host, state, port) = Site(dir);
        await RunOnceAsync(host, port);
        var index = Path.Combine(state, "images", "index.json");
        File.WriteAllText(index, "{\"Entries\": 7}");

        using var service = ServiceProcess.Start("serve", "--config", host);
        await service.WaitListeningAsync(IPAddress.Parse("127.0.0.10"), port, Startup);

        Assert.Equal("{\"Entries\": 7}", File.ReadAllText(index + ".rejected"));
        Assert.Equal("Enabled", (await Slot0Async(port)).GetProperty("Status").GetProperty("State").GetString());
    }
}
