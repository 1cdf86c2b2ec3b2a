using OpenChami.VirtualBmc.Media.Images;
using OpenChami.VirtualBmc.Server.Cli;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Hosting;

/// <summary>Root disks at start-up, in validate, and through the slot CLI, on demo copies with their own catalogs.</summary>
public sealed class SlotDiskStartupTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = OpenChami.VirtualBmc.Server.Cli.Cli.RunAsync(args, stdout, stderr, new StringReader("")).GetAwaiter().GetResult();
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void RenameCatalogEntry(TempDirectory dir, string to)
    {
        var catalog = Path.Combine(dir.Path, "images.yaml");
        File.WriteAllText(catalog, File.ReadAllText(catalog).Replace("name: ubuntu-hpc-base", $"name: {to}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASlotWhoseImageIsNotInTheCatalog_IsServedUnusable_AndAReimageAfterTheFixMakesItUsable()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        RenameCatalogEntry(dir, "other-image");

        await using var node = await NodeComposer.StartAsync(SiteLoader.Load(host).GetOrThrow(), Serilog.Core.Logger.None);

        var slot0 = node.State.Slots.Single(s => s.Name == "slot0");
        Assert.False(slot0.Health.Usable);
        Assert.Null(slot0.Runtime);
        Assert.NotNull(slot0.Machine);
        var finding = Assert.Single(slot0.Health.Findings);
        Assert.Equal("IMAGE_UNKNOWN", finding.Code);
        Assert.Contains("image 'ubuntu-hpc-base'", finding.Message, StringComparison.Ordinal);
        Assert.Contains("dense-gpu-hsn-node.yaml:", finding.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "state", "slots", "slot0", "root.qcow2")));

        File.WriteAllText(Path.Combine(dir.Path, "images.yaml"), File.ReadAllText(Path.Combine(dir.Path, "images.yaml")).Replace("name: other-image", "name: ubuntu-hpc-base", StringComparison.Ordinal));
        var result = await node.State.Disks!.ReimageAsync(slot0.Slot, slot0.Machine);
        slot0.State.Replace(OpenChami.VirtualBmc.Slots.State.FindingSource.Disk, []);
        Assert.True(slot0.Health.Usable);
        Assert.NotNull(slot0.Runtime);
        Assert.Equal(result.Base.Path, new Qcow2Overlay().Read(result.RootDisk)!.BackingFile);
    }

    [Fact]
    public void Validate_ReportsAnImageMissingFromTheCatalog_AtTheSlotsImageKey()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        RenameCatalogEntry(dir, "other-image");
        var nodeType = Path.Combine(dir.Path, "dense-gpu-hsn-node.yaml");
        var imageLine = File.ReadAllLines(nodeType).Select((l, i) => (l, i)).First(p => p.l.Contains("image: ubuntu-hpc-base", StringComparison.Ordinal));

        var (code, output, _) = Run("validate", "--config", host);

        Assert.Equal(ExitCodes.SlotsFailed, code);
        var column = imageLine.l.IndexOf("image", StringComparison.Ordinal) + 1;
        Assert.Contains($"{nodeType}:{imageLine.i + 1}:{column}: image 'ubuntu-hpc-base' is not in the catalog {Path.Combine(dir.Path, "images.yaml")}", output, StringComparison.Ordinal);
        Assert.Matches(@"slot0\s+NOT USABLE\s+-\s+IMAGE_UNKNOWN\s+error", output);
        // slot3 names its image in the host file: found there.
        Assert.Contains($"{host}:", output[output.IndexOf("slot3", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.Contains("0 of 4 slots usable", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithoutACatalog_SaysTheSlotCannotBeProvisioned_AndABrokenCatalogIsAConfigError()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        var hostText = File.ReadAllText(host);
        File.WriteAllText(host, hostText.Replace("images:\n  catalog: images.yaml\n", "", StringComparison.Ordinal));

        var (code, output, _) = Run("validate", "--config", host);
        Assert.Equal(ExitCodes.SlotsFailed, code);
        Assert.Matches(@"slot0\s+NOT USABLE\s+-\s+IMAGE_NO_CATALOG\s+error\s+.*image 'ubuntu-hpc-base' but the host file has no images.catalog", output);

        File.WriteAllText(host, hostText);
        File.WriteAllText(Path.Combine(dir.Path, "images.yaml"), "images:\n- name: x\n  path: x.img\n  format: vmdk\n  sha256: 00\n");
        var (broken, _, errors) = Run("validate", "--config", host);
        Assert.Equal(ExitCodes.ConfigInvalid, broken);
        Assert.Contains($"{Path.Combine(dir.Path, "images.yaml")}:4:11: error invalid-value: 'format' is 'vmdk'", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TheDemoCopy_StaysTwoOfFourUsable()
    {
        using var dir = new TempDirectory();
        var (code, output, _) = Run("validate", "--config", ServerTestSupport.WriteDemoCopy(dir, 8443));
        Assert.Equal(ExitCodes.SlotsFailed, code);
        Assert.Contains("2 of 4 slots usable; 3 errors, 0 warnings", output, StringComparison.Ordinal);
        // validate looks; it makes no state.
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "state")));
    }

    [Fact]
    public void SlotCli_ReimageAndDeleteState_NeedYes_AndSayWhatTheyDid()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        var disk = Path.Combine(dir.Path, "state", "slots", "slot1", "root.qcow2");

        var (noYes, _, noYesError) = Run("slot", "reimage", "--config", host, "slot1");
        Assert.Equal(ExitCodes.Usage, noYes);
        Assert.Contains("refusing without --yes", noYesError, StringComparison.Ordinal);
        Assert.False(File.Exists(disk));
        Assert.Equal(ExitCodes.Usage, Run("slot", "reimage", "--config", host, "slot9", "--yes").Code);
        Assert.Equal(ExitCodes.Usage, Run("slot", "frobnicate", "--config", host).Code);

        var (code, output, errors) = Run("slot", "reimage", "--config", host, "slot1", "--yes");
        Assert.True(code == ExitCodes.Ok, errors);
        Assert.Contains("slot slot1: reimaged with 'ubuntu-hpc-base'", output, StringComparison.Ordinal);
        Assert.Contains("old overlay: none", output, StringComparison.Ordinal);
        Assert.Contains($"new overlay: {disk} (1 MiB virtual) on {Path.Combine(dir.Path, "state", "images", DiskImages.DemoBaseImageSha256 + ".img")}", output, StringComparison.Ordinal);
        Assert.Contains($"base image:  sha256 {DiskImages.DemoBaseImageSha256} (raw, verified)", output, StringComparison.Ordinal);
        Assert.Contains("power:       was Off, now Off", output, StringComparison.Ordinal);

        var (again, againOutput, _) = Run("slot", "reimage", "slot1", "--yes", "--config", host);
        Assert.Equal(ExitCodes.Ok, again);
        Assert.Contains($"old overlay: {disk} (", againOutput, StringComparison.Ordinal);

        var (disks, table, _) = Run("slot", "disks", "--config", host);
        Assert.Equal(ExitCodes.Ok, disks);
        Assert.Matches($@"slot1\s+ubuntu-hpc-base\s+{System.Text.RegularExpressions.Regex.Escape(disk)}\s+1 MiB\s+256 KiB\s+{DiskImages.DemoBaseImageSha256}\s+ok", table);
        Assert.Matches(@"slot0\s+ubuntu-hpc-base\s+-\s+-\s+-\s+-\s+no root disk", table);

        var (deleted, deleteOutput, _) = Run("slot", "delete-state", "--config", host, "slot1", "--yes");
        Assert.Equal(ExitCodes.Ok, deleted);
        Assert.Contains($"removed: {disk}", deleteOutput, StringComparison.Ordinal);
        Assert.False(File.Exists(disk));

        // A slot that fails host validation is left alone.
        var (invalid, _, invalidError) = Run("slot", "delete-state", "--config", host, "slot2", "--yes");
        Assert.Equal(ExitCodes.SlotsFailed, invalid);
        Assert.Contains("fails host validation", invalidError, StringComparison.Ordinal);
    }

    [Fact]
    public void SlotCli_AFailedReimage_Exits4_AndKeepsTheOldDisk()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        Assert.Equal(ExitCodes.Ok, Run("slot", "reimage", "--config", host, "slot0", "--yes").Code);
        var disk = Path.Combine(dir.Path, "state", "slots", "slot0", "root.qcow2");
        var before = File.ReadAllBytes(disk);
        RenameCatalogEntry(dir, "other-image");

        var (code, _, errors) = Run("slot", "reimage", "--config", host, "slot0", "--yes");

        Assert.Equal(ExitCodes.RuntimeFailure, code);
        Assert.Contains("image 'ubuntu-hpc-base'", errors, StringComparison.Ordinal);
        Assert.Contains("is not in the image catalog", errors, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", errors, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(disk));
    }
}
