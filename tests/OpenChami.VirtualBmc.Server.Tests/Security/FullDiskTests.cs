using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using OpenChami.VirtualBmc.Server.Audit;
using OpenChami.VirtualBmc.TestSupport;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

/// <summary>A small tmpfs (needs root, as the service's own tests of the state directory do): a disk that really fills.</summary>
public sealed class SmallDisk : IDisposable
{
    public SmallDisk(string path, string size = "2m")
    {
        Path = path;
        Directory.CreateDirectory(path);
        Mounted = Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", path) == 0;
    }

    public string Path { get; }

    public bool Mounted { get; }

    /// <summary>Fills every free byte: a filler file, then newlines at the end of <paramref name="alsoPad"/> (a blank line is no record).</summary>
    public void Fill(string? alsoPad = null)
    {
        FillFile(System.IO.Path.Combine(Path, "filler"), new byte[64 * 1024]);
        FillFile(System.IO.Path.Combine(Path, "filler"), new byte[1]);
        if (alsoPad is not null)
        {
            FillFile(alsoPad, "\n"u8.ToArray());
        }
    }

    public void Free() => File.Delete(System.IO.Path.Combine(Path, "filler"));

    private static void FillFile(string path, byte[] chunk)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1);
            while (true)
            {
                file.Write(chunk);
                file.Flush();
            }
        }
        catch (IOException)
        {
            // full
        }
    }

    private static int Run(string file, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    public void Dispose()
    {
        if (Mounted)
        {
            Run("umount", "-l", Path);
        }
    }
}

/// <summary>The demo server with its audit log on a 2 MiB tmpfs.</summary>
public sealed class FullDiskServer : RunningServer
{
    private SmallDisk? _disk;

    public SmallDisk Disk => _disk!;

    public string AuditFile => Path.Combine(Disk.Path, "audit.jsonl");

    protected override string Tweak(string hostYaml)
    {
        _disk = new SmallDisk(Path.Combine(Directory, "disk"));
        return hostYaml.Replace("auditLog: audit.jsonl", $"auditLog: {AuditFile}", StringComparison.Ordinal);
    }

    public override async Task DisposeAsync()
    {
        var disk = _disk;
        await base.DisposeAsync();
        disk?.Dispose();
    }
}

[Collection(nameof(Alone))]
public sealed class FullDiskTests(FullDiskServer server) : IClassFixture<FullDiskServer>
{
    [SkippableFact]
    public async Task OnAFullDisk_WrongPasswordsAre401_StateChangesAreRefusedBeforeActing_AndEveryLineIsWhole()
    {
        Skip.IfNot(server.Disk.Mounted, "needs root to mount a tmpfs");
        var runtime = server.Node.Hypervisor!.FindSlot("slot0")!;
        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""")).Response.StatusCode);
        server.Disk.Fill(alsoPad: server.AuditFile);
        try
        {
            using var wrong = server.ClientFor("operator", "wrong");
            for (var i = 0; i < 6; i++) // past the lockout threshold: the lockout line cannot be written either
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await server.GetAsync("/redfish/v1/Systems", client: wrong)).Response.StatusCode);
            }
            var (login, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/SessionService/Sessions", """{"UserName":"reader","Password":"wrong"}""", client: server.Anonymous);
            Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
            using var locked = server.ClientFor("operator", TestAccounts.OperatorPassword);
            Assert.Equal(HttpStatusCode.Unauthorized, (await server.GetAsync("/redfish/v1/Systems", client: locked)).Response.StatusCode);

            var before = runtime.PowerState;
            var (reset, body) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, reset.StatusCode);
            Assert.Equal("Base.1.22.ServiceTemporarilyUnavailable", body.GetProperty("error").GetProperty("code").GetString());
            Assert.NotNull(reset.Headers.RetryAfter);
            Assert.Equal(before, runtime.PowerState);
            var (patch, _) = await server.SendAsync(HttpMethod.Patch, "/redfish/v1/Systems/slot0", """{"Boot":{"BootSourceOverrideTarget":"Pxe","BootSourceOverrideEnabled":"Once"}}""");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, patch.StatusCode);
        }
        finally
        {
            server.Disk.Free();
        }
        Assert.Equal(HttpStatusCode.NoContent, (await server.SendAsync(HttpMethod.Post, "/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""")).Response.StatusCode);
        var records = File.ReadAllLines(server.AuditFile).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList(); // all whole
        Assert.Equal(["intent", "outcome", "intent", "outcome"], records.Select(r => r.GetProperty("event").GetString()).Where(e => e is "intent" or "outcome"));
    }

    [SkippableFact]
    public async Task AnOutcomeOnAFullDisk_IsWrittenFromTheReserve_ThenNoNewIntentStarts_AndAFailedWriteLeavesNoTornLine()
    {
        using var dir = new TempDirectory();
        using var disk = new SmallDisk(Path.Combine(dir.Path, "disk"), "1m");
        Skip.IfNot(disk.Mounted, "needs root to mount a tmpfs");
        var path = Path.Combine(disk.Path, "audit.jsonl");
        using var audit = new AuditLog(path, Serilog.Core.Logger.None, TimeProvider.System);
        Assert.True(File.Exists(path + ".reserve"));
        disk.Fill(alsoPad: path);

        var big = new AuditRecord(DateTimeOffset.UtcNow, "outcome", "admin", null, null, "127.0.0.1", "slot0", "POST", "/x",
            JsonValue.Create(new string('x', 512 * 1024)), 204, "success", 1, "big");
        var length = new FileInfo(path).Length;
        await Assert.ThrowsAnyAsync<IOException>(() => audit.WriteAsync(big, useReserve: false));
        Assert.Equal(length, new FileInfo(path).Length); // nothing of it stays

        await audit.WriteAsync(big with { Parameters = null, RequestId = "outcome-1" }, useReserve: true); // must exist: the reserve gives way
        Assert.False(File.Exists(path + ".reserve"));
        var context = new DefaultHttpContext();
        context.Features.Set(new AuditScope(0));
        await Assert.ThrowsAnyAsync<IOException>(() => audit.WriteIntentAsync(context)); // no room for another outcome: refused

        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        Assert.Equal("outcome-1", JsonDocument.Parse(Assert.Single(lines)).RootElement.GetProperty("requestId").GetString());
    }
}
