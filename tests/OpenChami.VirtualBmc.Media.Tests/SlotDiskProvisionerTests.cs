using OpenChami.VirtualBmc.Media.Images;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Media;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Media.Tests;

/// <summary>
/// The provisioner with the real catalog, cache and overlay writer on temp directories; the slot runtime is a recording
/// stand-in so the failure paths (power-off refused, seed writer) can be forced. The libvirt runtime is covered by the
/// server tests on the test driver.
/// </summary>
public sealed class SlotDiskProvisionerTests : IDisposable
{
    private static readonly Lazy<SiteConfiguration> Demo = new(() =>
        ConfigurationLoader.Load(Path.Combine(RepoPaths.Examples, "demo", "host.yaml")).GetOrThrow());

    private readonly TempDirectory temp = new("vbmc-provision");
    private readonly byte[] image = DiskImages.Raw(128 * 1024, 9);

    public SlotDiskProvisionerTests()
    {
        File.WriteAllBytes(Path.Combine(temp.Path, "base.img"), image);
        WriteCatalog(DiskImages.Sha256(image));
    }

    public void Dispose() => temp.Dispose();

    private string State => Path.Combine(temp.Path, "state");

    private static Slot Slot0 => Demo.Value.FindSlot("slot0")!;

    private void WriteCatalog(string sha) =>
        temp.Write("images.yaml", $"images:\n- name: ubuntu-hpc-base\n  path: base.img\n  format: raw\n  sha256: {sha}\n");

    private SlotDiskProvisioner Provisioner(ISeedImageWriter? seeds = null, SlotSerializer? serializer = null) => new(
        State, new LocalImageCatalog(Path.Combine(temp.Path, "images.yaml")), "images.yaml",
        new BaseImageStore(State, new ImageFetchOptions { CacheDirectory = "unused" }, 1L << 30, 1L << 30),
        new Qcow2Overlay(), serializer ?? new SlotSerializer(Path.Combine(State, "locks")), seeds, seeds is null ? null : s => new NoCloudSeed($"instance-id: {s.Identity.InstanceId}\n", "#cloud-config\n", null));

    [Fact]
    public async Task Ensure_MakesTheDiskOnce_AndNeverOverwrites()
    {
        var disks = Provisioner();
        var first = await disks.EnsureAsync(Slot0);
        Assert.Equal(EnsureOutcome.Created, first.Outcome);
        Assert.Equal(image.Length, first.Base!.VirtualSize);
        await File.AppendAllTextAsync(first.RootDisk!, "guest data");
        var bytes = await File.ReadAllBytesAsync(first.RootDisk!);

        var second = await disks.EnsureAsync(Slot0);
        Assert.Equal(EnsureOutcome.Existing, second.Outcome);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(first.RootDisk!));
        Assert.Equal(EnsureOutcome.Diskless, (await disks.EnsureAsync(Slot0 with { Image = null })).Outcome);
    }

    [Fact]
    public async Task Ensure_BringsBackALostBaseImage_ByItsChecksum()
    {
        var disks = Provisioner();
        var made = await disks.EnsureAsync(Slot0);
        File.SetUnixFileMode(made.Base!.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Delete(made.Base.Path);
        Assert.Contains("is missing", disks.Describe(Slot0).Problem, StringComparison.Ordinal);

        Assert.Equal(EnsureOutcome.Existing, (await Provisioner().EnsureAsync(Slot0)).Outcome);
        Assert.True(File.Exists(made.Base.Path));
        Assert.Null(disks.Describe(Slot0).Problem);

        // With no catalog entry of that checksum the disk is reported, and left as it is.
        File.SetUnixFileMode(made.Base.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Delete(made.Base.Path);
        WriteCatalog(new string('b', 64));
        var error = await Assert.ThrowsAsync<DiskProvisioningException>(() => Provisioner().EnsureAsync(Slot0));
        Assert.Equal(DiskErrorKind.BackingMissing, error.Kind);
        Assert.True(File.Exists(made.RootDisk));
    }

    [Fact]
    public async Task Reimage_WhenPowerOffFails_LeavesTheOldDisk_AndNoStagedFile()
    {
        var disks = Provisioner();
        var made = await disks.EnsureAsync(Slot0);
        await File.AppendAllTextAsync(made.RootDisk!, "guest data");
        var bytes = await File.ReadAllBytesAsync(made.RootDisk!);
        var runtime = new RecordingRuntime("slot0", PowerState.On) { FailForceOff = true };

        var error = await Assert.ThrowsAsync<SlotRuntimeException>(() => disks.ReimageAsync(Slot0, runtime));

        Assert.Contains("refused", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(made.RootDisk!));
        Assert.False(File.Exists(made.RootDisk + ".new"));
        Assert.Equal(PowerState.On, runtime.PowerState);
    }

    [Fact]
    public async Task Reimage_FetchesAndStagesBeforeItPowersOff()
    {
        var disks = Provisioner();
        var made = await disks.EnsureAsync(Slot0);
        var runtime = new RecordingRuntime("slot0", PowerState.On);
        // At the moment of power-off the new overlay must already be complete beside the old one.
        runtime.OnForceOff = () => Assert.True(new Qcow2Overlay().Read(made.RootDisk + ".new") is not null, "power-off before the new overlay was written");

        var result = await disks.ReimageAsync(Slot0, runtime);

        Assert.Equal(["ForceOff"], runtime.Calls);
        Assert.Equal(PowerState.On, result.PowerBefore);
        Assert.Equal(made.Base!.Path, result.OldOverlay!.BackingFile);
        Assert.False(File.Exists(made.RootDisk + ".new"));

        // A catalog the source no longer matches: nothing staged, no power-off.
        WriteCatalog(new string('c', 64));
        var failed = await Assert.ThrowsAsync<DiskProvisioningException>(() => disks.ReimageAsync(Slot0, runtime));
        Assert.Equal(DiskErrorKind.FetchFailed, failed.Kind);
        Assert.Equal(ImageFetchErrorKind.ChecksumMismatch, failed.FetchKind);
        Assert.Equal(["ForceOff"], runtime.Calls);
    }

    [Fact]
    public async Task DeleteState_PowersOffAndRemovesDiskAndSeed_TheSlotStaysDefined()
    {
        var seeds = new FileSeedWriter();
        var slot = Slot0 with { Template = Slot0.Template with { CloudInit = new CloudInitTemplate(true, "#cloud-config\n", null) } };
        var disks = Provisioner(seeds);
        var made = await disks.EnsureAsync(slot);
        Assert.True(made.SeedWritten);
        var storage = disks.StorageOf(slot);
        Assert.StartsWith("instance-id: ", await File.ReadAllTextAsync(storage.Seed), StringComparison.Ordinal);
        var runtime = new RecordingRuntime("slot0", PowerState.On);

        var result = await disks.DeleteStateAsync(slot, runtime);

        Assert.Equal([storage.RootDisk, storage.Seed], result.Removed);
        Assert.Equal(["ForceOff"], runtime.Calls);
        Assert.False(File.Exists(storage.RootDisk));
        Assert.True(Directory.Exists(storage.SlotDirectory));
        Assert.Empty((await disks.DeleteStateAsync(slot, null)).Removed);

        var again = await disks.EnsureAsync(slot);
        Assert.Equal(EnsureOutcome.Created, again.Outcome);
        Assert.True(again.SeedWritten);
    }

    [Fact]
    public async Task NoCatalog_UnknownImage_AndDisklessSlots_AreSaidPlainly()
    {
        var noCatalog = new SlotDiskProvisioner(State, null, null,
            new BaseImageStore(State, new ImageFetchOptions { CacheDirectory = "unused" }, 1L << 30, 1L << 30), new Qcow2Overlay(), new SlotSerializer());
        Assert.Equal(DiskErrorKind.NoCatalog, (await Assert.ThrowsAsync<DiskProvisioningException>(() => noCatalog.EnsureAsync(Slot0))).Kind);
        var unknown = await Assert.ThrowsAsync<DiskProvisioningException>(() => Provisioner().EnsureAsync(Slot0 with { Image = "nope" }));
        Assert.Equal(DiskErrorKind.UnknownImage, unknown.Kind);
        Assert.Equal(DiskErrorKind.Diskless, (await Assert.ThrowsAsync<DiskProvisioningException>(() => Provisioner().ReimageAsync(Slot0 with { Image = null }, null))).Kind);
        Assert.Equal(DiskErrorKind.CatalogUnavailable,
            (await Assert.ThrowsAsync<DiskProvisioningException>(() => new SlotDiskProvisioner(State, new LocalImageCatalog(Path.Combine(temp.Path, "none.yaml")), "none.yaml",
                new BaseImageStore(State, new ImageFetchOptions { CacheDirectory = "unused" }, 1L << 30, 1L << 30), new Qcow2Overlay(), new SlotSerializer()).EnsureAsync(Slot0))).Kind);
    }

    [Fact]
    public async Task TwoProcesses_SerializeOnTheSlotsLockFile()
    {
        // Two serializers over one lock directory stand for the service and the CLI.
        var locks = Path.Combine(State, "locks");
        var service = new SlotSerializer(locks);
        var cli = new SlotSerializer(locks);
        var release = new TaskCompletionSource();
        var held = service.RunAsync("slot0", TimeSpan.FromSeconds(5), async _ => { await release.Task; return true; });
        var waiting = new SlotDiskProvisioner(State, new LocalImageCatalog(Path.Combine(temp.Path, "images.yaml")), "images.yaml",
            new BaseImageStore(State, new ImageFetchOptions { CacheDirectory = "unused" }, 1L << 30, 1L << 30), new Qcow2Overlay(), cli) { BusyTimeout = TimeSpan.FromMilliseconds(300) };
        var busy = await Assert.ThrowsAsync<SlotRuntimeException>(() => waiting.EnsureAsync(Slot0));
        Assert.Equal(SlotRuntimeErrorKind.Unavailable, busy.Kind);
        Assert.Contains("another process", busy.Message, StringComparison.Ordinal);
        release.SetResult();
        await held;
        Assert.Equal(EnsureOutcome.Created, (await Provisioner(serializer: cli).EnsureAsync(Slot0)).Outcome);
    }

    private sealed class FileSeedWriter : ISeedImageWriter
    {
        public void Write(string path, NoCloudSeed seed) => File.WriteAllText(path, seed.MetaData);
    }

    private sealed class RecordingRuntime(string name, PowerState state) : ISlotRuntime
    {
        public List<string> Calls { get; } = [];

        public bool FailForceOff { get; init; }

        public Action? OnForceOff { get; set; }

        public string SlotName => name;

        public PowerState PowerState { get; private set; } = state;

        public event EventHandler<SlotEventArgs>? StateChanged;

        public MediaChange MediaChange => MediaChange.Live;

        public BootOverride? KnownBootOverride => null;

        public PowerRestorePolicy? KnownPowerRestorePolicy => null;

        public Task<PowerRestorePolicy> GetPowerRestorePolicyAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SetPowerRestorePolicyAsync(PowerRestorePolicy policy, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task ResetAsync(ResetType type, CancellationToken cancellationToken = default)
        {
            if (type == ResetType.ForceOff && FailForceOff)
                throw new SlotRuntimeException(SlotRuntimeErrorKind.Failed, "libvirt refused the power-off");
            OnForceOff?.Invoke();
            Calls.Add(type.ToString());
            PowerState = type == ResetType.ForceOff ? PowerState.Off : PowerState.On;
            StateChanged?.Invoke(this, new SlotEventArgs(name, SlotEventKind.PowerStateChanged, PowerState));
            return Task.CompletedTask;
        }

        public Task<BootOverride> GetBootOverrideAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SetBootOverrideAsync(BootOverride value, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IReadOnlyList<BootSource>? KnownBootOrder => null;

        public Task<IReadOnlyList<BootSource>> GetBootOrderAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SetBootOrderAsync(IReadOnlyList<BootSource> order, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<FirmwareView> GetFirmwareAsync(FirmwareDefinition definition, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SetFirmwareSettingsAsync(FirmwareSettings settings, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<SecureBootState> GetSecureBootAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task SetSecureBootAsync(bool enabled, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<string?> GetInsertedMediaAsync(CancellationToken cancellationToken = default) => Task.FromResult<string?>(null);

        public Task InsertMediaAsync(string image, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task EjectMediaAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
