using System.Net;
using OpenChami.VirtualBmc.Media.Images;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Qemu.Tests;

/// <summary>
/// A slot whose root disk is the product's: a qcow2 overlay (written in managed code) on the verified, cached copy of
/// a catalog image — here the guest's disk.img. The guest prints the stamp it finds in the last sector of /dev/vda and
/// writes a new one, so the console shows whether a boot saw a fresh overlay or the previous boot's writes.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class RootDiskOnQemuTests
{
    private const string DiskMarker = "VBMC-MARKER: VBMC-BOOTED-FROM-DISK";
    private const string Written = "VBMC-DISK-STAMP-WRITTEN";

    [SkippableFact]
    public async Task TheGuestBootsFromItsOverlay_WritesPersistAcrossPowerCycles_AndAReimageGivesAFreshDisk()
    {
        var baseSha = QemuTier.Required || File.Exists(QemuTier.DiskImage) ? DiskImages.Sha256(QemuTier.DiskImage) : "";
        await using var node = await QemuServiceNode.StartAsync("rootdisk", "127.0.0.31", rootDiskFromCatalog: true);
        var rootDisk = Path.Combine(node.StateDirectory, "slots", "slot0", "root.qcow2");
        var cachedBase = Path.Combine(node.StateDirectory, "images", baseSha + ".img");
        var overlay = new Qcow2Overlay().Read(rootDisk);
        Assert.NotNull(overlay);
        Assert.Equal(cachedBase, overlay.BackingFile);
        Assert.True(node.Node.State.Slots[0].Health.Usable, string.Join("; ", node.Node.State.Slots[0].Health.Findings.Select(f => f.Message)));

        var first = await BootAsync(node);
        Assert.Equal("", first.Found);

        await PowerAsync(node, "ForceOff");
        var second = await BootAsync(node);
        Assert.Equal(first.Written, second.Found);

        var reimage = await node.PostAsync("/redfish/v1/Systems/slot0/Actions/Oem/OpenCHAMIComputerSystem.Reimage", "{}");
        Assert.True(reimage.StatusCode == HttpStatusCode.OK, await reimage.Content.ReadAsStringAsync());
        Assert.Equal("Off", await node.PowerStateAsync());
        var third = await BootAsync(node);
        Assert.Equal("", third.Found);

        await PowerAsync(node, "ForceOff");
        // The guest wrote to its overlays only: neither the catalog's file nor the cached base changed.
        Assert.Equal(baseSha, DiskImages.Sha256(QemuTier.DiskImage));
        Assert.Equal(baseSha, DiskImages.Sha256(cachedBase));
    }

    private static async Task PowerAsync(QemuServiceNode node, string type)
    {
        var response = await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", $$"""{"ResetType":"{{type}}"}""");
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{type}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Powers on, waits for the guest to report its disk stamp; the console log starts afresh at every start.</summary>
    private static async Task<(string Found, string Written)> BootAsync(QemuServiceNode node)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        await PowerAsync(node, "On");
        await node.Console.WaitForAsync(DiskMarker, TimeSpan.FromSeconds(120));
        await node.Console.WaitForAsync(Written + ": ", TimeSpan.FromSeconds(120));
        QemuTier.Record("root disk: On → stamp written", started.Elapsed);
        var found = node.Console.Value("VBMC-DISK-STAMP") ?? throw new InvalidOperationException("no VBMC-DISK-STAMP line:\n" + node.Console.Tail());
        var written = node.Console.Value(Written)!;
        Assert.StartsWith("stamp-", written, StringComparison.Ordinal);
        return (found, written);
    }
}
