using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.Media.Images;
using OpenChami.VirtualBmc.TestSupport;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>The demo served on the test driver, with its image catalog, state directory and audit log at hand.</summary>
public sealed class DiskServer : RunningServer
{
    public string State => Path.Combine(Directory, "state");

    public string Catalog => Path.Combine(Directory, "images.yaml");

    public string RootDisk(string slot) => Path.Combine(State, "slots", slot, "root.qcow2");

    public string BaseImage => Path.Combine(State, "images", DiskImages.DemoBaseImageSha256 + ".img");

    public List<JsonElement> AuditRecords()
    {
        using var stream = new FileStream(Path.Combine(Directory, "audit.jsonl"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    /// <summary>A request to a slot's own endpoint (slotN listens on 127.0.0.(10+N)).</summary>
    public Task<(HttpResponseMessage Response, JsonElement Body)> ToSlotAsync(int slot, HttpMethod method, string path, string? body = null,
        HttpClient? client = null, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(method, path, body, request =>
        {
            request.RequestUri = Url(path, $"127.0.0.{10 + slot}");
            configure?.Invoke(request);
        }, client);
}

/// <summary>
/// Reimage and delete-state through the OEM actions on the System, against real libvirt (test driver) and real files:
/// the overlay is replaced (new inode), the base is the verified catalog image, the slot is Off after, its identity
/// unchanged, the audit records it, and a failure (a catalog whose checksum does not match) changes nothing.
/// </summary>
public sealed class DiskActionTests(DiskServer server) : IClassFixture<DiskServer>
{
    private static string Reimage(int slot) => $"/redfish/v1/Systems/slot{slot}/Actions/Oem/OpenCHAMIComputerSystem.Reimage";

    private static string DeleteState(int slot) => $"/redfish/v1/Systems/slot{slot}/Actions/Oem/OpenCHAMIComputerSystem.DeleteState";

    private static string System(int slot) => $"/redfish/v1/Systems/slot{slot}";

    private static string Code(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    private static long Inode(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["--format=%i", path]) { RedirectStandardOutput = true })!;
        var text = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return long.Parse(text.Trim(), CultureInfo.InvariantCulture);
    }

    private Task<(HttpResponseMessage Response, JsonElement Body)> Power(int slot, string type) =>
        server.ToSlotAsync(slot, HttpMethod.Post, $"/redfish/v1/Systems/slot{slot}/Actions/ComputerSystem.Reset", $$"""{"ResetType":"{{type}}"}""");

    [Fact]
    public async Task TheSystem_AdvertisesBothActions_AndSlotsWithImagesGotTheirDisksAtStart()
    {
        var (_, system) = await server.GetAsync(System(0));
        var oem = system.GetProperty("Actions").GetProperty("Oem");
        Assert.Equal(Reimage(0), oem.GetProperty("#OpenCHAMIComputerSystem.Reimage").GetProperty("target").GetString());
        Assert.Equal(DeleteState(0), oem.GetProperty("#OpenCHAMIComputerSystem.DeleteState").GetProperty("target").GetString());

        // Usable slots with an image (slot0, slot1) have an overlay on the one shared, verified base; the others none.
        Assert.True(File.Exists(server.RootDisk("slot0")));
        Assert.True(File.Exists(server.RootDisk("slot1")));
        Assert.False(File.Exists(server.RootDisk("slot2")));
        Assert.Equal(DiskImages.DemoBaseImageSha256, DiskImages.Sha256(server.BaseImage));
        Assert.Equal(server.BaseImage, new Qcow2Overlay().Read(server.RootDisk("slot1"))!.BackingFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(Path.GetDirectoryName(server.RootDisk("slot0"))!));
    }

    [Fact]
    public async Task Reimage_ReplacesTheOverlay_LeavesTheSlotOff_KeepsIdentity_AndIsAudited()
    {
        var disk = server.RootDisk("slot0");
        await Power(0, "On");
        var (_, before) = await server.GetAsync(System(0));
        Assert.Equal("On", before.GetProperty("PowerState").GetString());
        // What the guest wrote: bytes appended to the overlay stand in for its data.
        await File.AppendAllTextAsync(disk, "guest data");
        var oldInode = Inode(disk);
        var oldLength = new FileInfo(disk).Length;

        var started = Stopwatch.GetTimestamp();
        var (response, body) = await server.SendAsync(HttpMethod.Post, Reimage(0), "{}");
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Base.1.22.Success", body.GetProperty("@Message.ExtendedInfo")[0].GetProperty("MessageId").GetString());
        Assert.NotEqual(oldInode, Inode(disk));
        Assert.True(new FileInfo(disk).Length < oldLength, "the new overlay holds nothing the guest wrote");
        Assert.False(File.Exists(disk + ".new"));
        var overlay = new Qcow2Overlay().Read(disk)!;
        Assert.Equal(server.BaseImage, overlay.BackingFile);
        Assert.Equal(DiskImages.DemoBaseImage().Length, overlay.VirtualSize);
        Assert.Equal(DiskImages.DemoBaseImageSha256, DiskImages.Sha256(server.BaseImage));

        var (_, after) = await server.GetAsync(System(0));
        Assert.Equal("Off", after.GetProperty("PowerState").GetString());
        foreach (var property in new[] { "UUID", "SerialNumber", "Id" })
            Assert.Equal(before.GetProperty(property).GetString(), after.GetProperty(property).GetString());
        Assert.Equal("Off", server.Node.Hypervisor!.FindSlot("slot0")!.PowerState.ToString());

        var outcome = server.AuditRecords().Last(r => r.GetProperty("event").GetString() == "outcome" && r.GetProperty("path").GetString() == Reimage(0));
        Assert.Equal("admin", outcome.GetProperty("account").GetString());
        Assert.Equal("slot0", outcome.GetProperty("slot").GetString());
        Assert.Equal(200, outcome.GetProperty("status").GetInt32());
        Assert.StartsWith($"success: reimaged: {disk} on base image {DiskImages.DemoBaseImageSha256} (was On, now Off)", outcome.GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"a reimage from the cache took {elapsed}");

        if (DiskImages.QemuImg is not null)
            Assert.Equal(0, DiskImages.RunQemuImg("check", disk).Code);
    }

    [Fact]
    public async Task Reimage_WithAChecksumMismatch_Fails_AndTheOldDiskAndPowerStateStay()
    {
        var disk = server.RootDisk("slot0");
        await Power(0, "On");
        await File.AppendAllTextAsync(disk, "keep me");
        var inode = Inode(disk);
        var bytes = await File.ReadAllBytesAsync(disk);
        var original = await File.ReadAllTextAsync(server.Catalog);
        // A catalog that now promises other bytes than the source has: the download is verified and discarded.
        await File.WriteAllTextAsync(server.Catalog, original.Replace(DiskImages.DemoBaseImageSha256, new string('e', 64), StringComparison.Ordinal));
        try
        {
            var (response, body) = await server.SendAsync(HttpMethod.Post, Reimage(0), "{}");

            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            // The catalog's image server is the operator's upstream (502, OperationFailed); the detail follows it.
            Assert.Equal(["Base.1.22.OperationFailed", "Base.1.22.ResourceAtUriInUnknownFormat"],
                body.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()));
            Assert.Equal(inode, Inode(disk));
            Assert.Equal(bytes, await File.ReadAllBytesAsync(disk));
            Assert.False(File.Exists(disk + ".new"));
            Assert.False(File.Exists(Path.Combine(server.State, "images", new string('e', 64) + ".img")));
            Assert.Empty(Directory.GetFiles(Path.Combine(server.State, "images"), "*.part"));
            Assert.Equal("On", (await server.GetAsync(System(0))).Body.GetProperty("PowerState").GetString());
            var outcome = server.AuditRecords().Last(r => r.GetProperty("event").GetString() == "outcome" && r.GetProperty("path").GetString() == Reimage(0));
            Assert.Contains("SHA-256 is " + DiskImages.DemoBaseImageSha256, outcome.GetProperty("result").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await File.WriteAllTextAsync(server.Catalog, original);
        }
    }

    [Fact]
    public async Task DeleteState_RemovesTheDisk_RefusesPowerOn_UntilAReimageMakesAFreshOne()
    {
        await Power(1, "On");
        var (deleted, _) = await server.ToSlotAsync(1, HttpMethod.Post, DeleteState(1), "{}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.False(File.Exists(server.RootDisk("slot1")));
        Assert.True(Directory.Exists(Path.GetDirectoryName(server.RootDisk("slot1"))));
        var (_, system) = await server.ToSlotAsync(1, HttpMethod.Get, System(1));
        Assert.Equal("Off", system.GetProperty("PowerState").GetString());
        Assert.Equal("Warning", system.GetProperty("Status").GetProperty("Health").GetString());
        Assert.Contains("DISK_MISSING", system.GetProperty("Status").GetProperty("Conditions")[0].GetProperty("MessageArgs")[0].GetString(), StringComparison.Ordinal);
        // The base stays: it is shared (slot0) and cached for the next reimage.
        Assert.True(File.Exists(server.BaseImage));

        var (refused, error) = await Power(1, "On");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("Base.1.22.ActionParameterValueConflict", Code(error));
        Assert.Contains("'ResetType' with the requested value of 'On'", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        var (reimaged, _) = await server.ToSlotAsync(1, HttpMethod.Post, Reimage(1), "{}");
        Assert.Equal(HttpStatusCode.OK, reimaged.StatusCode);
        Assert.True(File.Exists(server.RootDisk("slot1")));
        Assert.Equal("OK", (await server.ToSlotAsync(1, HttpMethod.Get, System(1))).Body.GetProperty("Status").GetProperty("Health").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await Power(1, "On")).Response.StatusCode);
        await Power(1, "ForceOff");
    }

    [Fact]
    public async Task OnlyAdministrators_MayAct_WithAnEmptyBody_AndIfMatchIsHonoured()
    {
        var disk = server.RootDisk("slot0");
        var inode = Inode(disk);
        foreach (var (user, password) in new[] { ("operator", TestAccounts.OperatorPassword), ("reader", TestAccounts.ReaderPassword) })
        {
            using var client = server.ClientFor(user, password);
            foreach (var path in new[] { Reimage(0), DeleteState(0) })
            {
                var (response, body) = await server.SendAsync(HttpMethod.Post, path, "{}", client: client);
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                Assert.Equal("Base.1.22.InsufficientPrivilege", Code(body));
            }
        }
        var (unknown, unknownBody) = await server.SendAsync(HttpMethod.Post, Reimage(0), """{"Force":true}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("Base.1.22.ActionParameterUnknown", Code(unknownBody));
        var (stale, staleBody) = await server.SendAsync(HttpMethod.Post, DeleteState(0), "{}", r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"00000000\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("Base.1.22.PreconditionFailed", Code(staleBody));
        Assert.Equal(inode, Inode(disk));

        var etag = (await server.GetAsync(System(0))).Response.Headers.ETag!.ToString();
        var (matched, _) = await server.SendAsync(HttpMethod.Post, Reimage(0), "{}", r => r.Headers.TryAddWithoutValidation("If-Match", etag));
        Assert.Equal(HttpStatusCode.OK, matched.StatusCode);
        Assert.NotEqual(inode, Inode(disk));
    }

    [SkippableFact]
    public async Task TheSystem_WithItsOemActions_ValidatesAgainstTheDmtfSchema()
    {
        RedfishSchemas.SkipIfAbsent();
        var response = await server.Http.GetAsync(server.Url(System(0)));
        RedfishSchemas.AssertValid(await response.Content.ReadAsStringAsync());
    }
}
