using System.Collections.Concurrent;
using System.Diagnostics;
using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Media;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.TestSupport;
using Xunit.Abstractions;

namespace OpenChami.VirtualBmc.Qemu.Tests;

/// <summary>All QEMU tests run one after another: 2 cores, TCG guests, and one test restarts libvirtd.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class QemuCollection
{
    public const string Name = "qemu";
}

/// <summary>
/// The real slot runtime (<see cref="LibvirtHypervisor"/>) over qemu:///system with a TCG guest. Every test has its own
/// domain name and UUID, a serial log under its own directory, and destroys + undefines its domain at the end. Power
/// state is read from the runtime's cache (fed by libvirt events; the periodic resync is pushed out of the test's way).
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class RuntimeOnQemuTests : IAsyncLifetime
{
    private const string DiskMarker = "VBMC-MARKER: VBMC-BOOTED-FROM-DISK";
    private const string CdMarker = "VBMC-MARKER: VBMC-BOOTED-FROM-CD";
    private const string Ready = "VBMC-READY";
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan PowerChange = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _dir = new();
    private readonly string _prefix = $"vbmcq-{Guid.NewGuid():N}"[..14] + "-";
    private readonly ConcurrentQueue<SlotEventArgs> _events = new();
    private LibvirtHypervisor? _hv;
    private Slot _slot = null!;
    private DomainRenderOptions _render = null!;

    public RuntimeOnQemuTests(ITestOutputHelper output) => _output = output;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_hv is not null)
        {
            await _hv.DisposeAsync();
        }
        if (_slot is not null)
        {
            try
            {
                using var connection = LibvirtConnection.Open(QemuTier.Uri);
                using var dom = connection.TryLookupByName(_render.DomainName(_slot.Name));
                if (dom is not null)
                {
                    if (dom.GetState().State != DomainRunState.ShutOff)
                    {
                        dom.Destroy();
                    }
                    dom.Undefine(removeNvram: false);
                }
            }
            catch (LibvirtException e)
            {
                _output.WriteLine($"cleanup of {_render.DomainName(_slot.Name)} failed: {e.Message}");
            }
        }
        _dir.Dispose();
    }

    private SerialConsole Console => new(_render.SerialLogPath(_slot.Name)!);

    /// <summary>Requires the tier, writes the config, starts the hypervisor (which defines the domain).</summary>
    private Task<ISlotRuntime> StartAsync()
    {
        QemuTier.Require();
        return StartAsync(QemuTier.NewSlot(_dir.Path), o => o);
    }

    private async Task<ISlotRuntime> StartAsync(Slot slot, Func<DomainRenderOptions, DomainRenderOptions> adjust)
    {
        _slot = slot;
        var logs = Directory.CreateDirectory(Path.Combine(_dir.Path, "serial")).FullName;
        _render = adjust(new DomainRenderOptions("qemu", "qemu-tier-host", NamePrefix: _prefix)
        {
            SerialLogDirectory = logs,
            BootDiskImage = QemuTier.DiskImage,
        });
        _hv = new LibvirtHypervisor(
            new LibvirtHypervisorOptions(QemuTier.Uri, _render)
            {
                CallTimeout = TimeSpan.FromSeconds(60),
                ResyncInterval = TimeSpan.FromHours(1),
            },
            [_slot],
            _ => new SlotPlacement([], new Dictionary<string, PciAddress>()));
        var reconcile = await _hv.StartAsync();
        Assert.Equal(ReconcileOutcome.Defined, Assert.Single(reconcile).Outcome);
        var runtime = _hv.FindSlot(_slot.Name)!;
        runtime.StateChanged += (_, e) => _events.Enqueue(e);
        Assert.Equal(PowerState.Off, runtime.PowerState);
        return runtime;
    }

    private static async Task WaitForStateAsync(ISlotRuntime runtime, PowerState state, TimeSpan timeout, string why)
    {
        var watch = Stopwatch.StartNew();
        while (runtime.PowerState != state)
        {
            Assert.True(watch.Elapsed < timeout, $"{why}: power state still {runtime.PowerState}, not {state}, after {timeout.TotalSeconds:F0} s");
            await Task.Delay(20);
        }
    }

    private async Task PowerOnAndWaitForGuestAsync(ISlotRuntime runtime, string marker = DiskMarker)
    {
        await runtime.ResetAsync(ResetType.On);
        var returned = Stopwatch.StartNew();
        Assert.Equal(PowerState.On, runtime.PowerState);
        var console = Console;
        while (!console.Text().Contains('\n', StringComparison.Ordinal))
        {
            Assert.True(returned.Elapsed < Boot, $"no console output within {Boot.TotalSeconds:F0} s of power on");
            await Task.Delay(10);
        }
        var firstLine = returned.Elapsed;
        await console.WaitForAsync(Ready, Boot);
        var ready = returned.Elapsed;
        await console.WaitForAsync(marker, TimeSpan.FromSeconds(1));
        Assert.DoesNotContain("VBMC-WARNING", console.Text(), StringComparison.Ordinal);
        _output.WriteLine($"On returned -> first console line {firstLine.TotalSeconds:F2} s, guest ready {ready.TotalSeconds:F2} s");
        QemuTier.Record("On returned -> first console line", firstLine);
        QemuTier.Record("On returned -> guest init ready", ready);
    }

    [SkippableFact]
    public async Task A_local_seed_is_found_by_the_guest_as_cidata_and_carries_the_slots_instance_id()
    {
        QemuTier.Require();
        var state = Directory.CreateDirectory(Path.Combine(_dir.Path, "state")).FullName;
        var slot = QemuTier.NewSlot(_dir.Path);
        slot = slot with
        {
            Template = slot.Template with
            {
                CloudInit = slot.Template.CloudInit with { LocalSeed = true, UserData = "#cloud-config\nhostname: seeded\n" },
            },
        };
        // The service writes the seed where the renderer attaches it (vdb); the guest looks for the label as cloud-init does.
        new Iso9660SeedWriter().Write(SlotStorage.For(state, slot.Name).Seed, NoCloudSeedComposer.Compose(slot));
        var runtime = await StartAsync(slot, o => o with { StateDirectory = state });
        await PowerOnAndWaitForGuestAsync(runtime);

        var console = Console;
        Assert.Equal("meta-data user-data", console.Value("VBMC-SEED-FILES")?.Trim());
        var metaData = console.Value("VBMC-SEED-META-DATA");
        Assert.Contains($"instance-id: {slot.Identity.InstanceId}", metaData, StringComparison.Ordinal);
        Assert.Contains($"local-hostname: {slot.Identity.Hostname}", metaData, StringComparison.Ordinal);
        await runtime.ResetAsync(ResetType.ForceOff);
    }

    [SkippableFact]
    public async Task Power_on_boots_the_guest_which_reports_the_slots_SMBIOS_identity()
    {
        var runtime = await StartAsync();
        await PowerOnAndWaitForGuestAsync(runtime);
        var console = Console;
        Assert.Equal(_slot.Identity.SerialNumber, console.Value("VBMC-PRODUCT-SERIAL"));
        Assert.Equal("qemu-tier-host-slot0", console.Value("VBMC-PRODUCT-SERIAL"));
        Assert.Equal(_slot.Identity.SerialNumber, console.Value("VBMC-BOARD-SERIAL"));
        Assert.Equal(DomainXml.Product, console.Value("VBMC-PRODUCT-NAME"));
        // On when on does nothing.
        await runtime.ResetAsync(ResetType.On);
        Assert.Equal(PowerState.On, runtime.PowerState);
        Assert.Equal(1, console.Count(Ready));
    }

    [SkippableFact]
    public async Task Graceful_shutdown_reaches_off_through_the_guests_ACPI_handling()
    {
        var runtime = await StartAsync();
        await PowerOnAndWaitForGuestAsync(runtime);
        _events.Clear();
        var watch = Stopwatch.StartNew();
        await runtime.ResetAsync(ResetType.GracefulShutdown);
        await WaitForStateAsync(runtime, PowerState.Off, PowerChange, "GracefulShutdown");
        var off = watch.Elapsed;
        _output.WriteLine($"GracefulShutdown -> Off (event-fed cache) {off.TotalSeconds:F2} s");
        QemuTier.Record("GracefulShutdown -> Off", off);
        Assert.Contains("VBMC-ACPI: power button -> poweroff", Console.Text(), StringComparison.Ordinal);
        var states = _events.Where(e => e.Kind == SlotEventKind.PowerStateChanged).Select(e => e.PowerState).ToList();
        Assert.Equal(PowerState.Off, states[^1]);
        Assert.Contains(PowerState.PoweringOff, states);
        using var connection = LibvirtConnection.Open(QemuTier.Uri);
        using var dom = connection.LookupByName(_render.DomainName(_slot.Name));
        Assert.Equal(DomainRunState.ShutOff, dom.GetState().State);
    }

    [SkippableFact]
    public async Task Graceful_restart_reboots_the_guest_and_stays_on()
    {
        var runtime = await StartAsync();
        await PowerOnAndWaitForGuestAsync(runtime);
        _events.Clear();
        await runtime.ResetAsync(ResetType.GracefulRestart);
        // libvirt's fake reboot: ACPI power button, the guest powers off, QEMU resets instead of exiting (same log file).
        await Console.WaitForAsync(Ready, Boot, occurrences: 2);
        await WaitForStateAsync(runtime, PowerState.On, TimeSpan.FromSeconds(10), "after GracefulRestart");
        Assert.Contains(_events, e => e.Kind == SlotEventKind.Rebooted);
        _output.WriteLine("events: " + string.Join(", ", _events.Select(e => $"{e.Kind}/{e.PowerState}")));
        await Task.Delay(500);
        Assert.Equal(PowerState.On, runtime.PowerState);
    }

    [SkippableFact]
    public async Task Power_cycle_nmi_and_the_power_button()
    {
        var runtime = await StartAsync();
        await PowerOnAndWaitForGuestAsync(runtime);
        await runtime.ResetAsync(ResetType.Nmi);
        Assert.Equal(PowerState.On, runtime.PowerState);
        // PowerCycle = destroy + create: a new QEMU process, so a fresh console log. The Stopped/Started events of
        // the cycle arrive after the action returned On: they must not take the cache back through Off.
        await runtime.ResetAsync(ResetType.PowerCycle);
        _events.Clear();
        Assert.Equal(PowerState.On, runtime.PowerState);
        await Console.WaitForAsync(Ready, Boot);
        var cycle = _events.Where(e => e.Kind == SlotEventKind.PowerStateChanged).Select(e => e.PowerState).ToList();
        _output.WriteLine("power states seen during PowerCycle: " + string.Join(", ", cycle));
        Assert.DoesNotContain(PowerState.Off, cycle);
        // The power button on a running guest is an ACPI shutdown; on an off system it powers on.
        await runtime.ResetAsync(ResetType.PushPowerButton);
        await WaitForStateAsync(runtime, PowerState.Off, PowerChange, "PushPowerButton when on");
        await runtime.ResetAsync(ResetType.PushPowerButton);
        Assert.Equal(PowerState.On, runtime.PowerState);
        await Console.WaitForAsync(Ready, Boot);
        var conflict = await Assert.ThrowsAsync<SlotRuntimeException>(async () =>
        {
            await runtime.ResetAsync(ResetType.ForceOff);
            await runtime.ResetAsync(ResetType.GracefulRestart);
        });
        Assert.Equal(SlotRuntimeErrorKind.Conflict, conflict.Kind);
    }

    [SkippableFact]
    public async Task Force_off_and_force_restart()
    {
        var runtime = await StartAsync();
        await PowerOnAndWaitForGuestAsync(runtime);
        await runtime.ResetAsync(ResetType.ForceRestart);
        Assert.Equal(PowerState.On, runtime.PowerState);
        await Console.WaitForAsync(Ready, Boot, occurrences: 2);
        await runtime.ResetAsync(ResetType.ForceOff);
        Assert.Equal(PowerState.Off, runtime.PowerState);
        await Task.Delay(500); // late events must not turn the cache back on
        Assert.Equal(PowerState.Off, runtime.PowerState);
        // ForceRestart from off powers on.
        await PowerOnAndWaitForGuestAsync(runtime);
        await runtime.ResetAsync(ResetType.ForceOff);
        await runtime.ResetAsync(ResetType.ForceOff);
        Assert.Equal(PowerState.Off, runtime.PowerState);
    }

    [SkippableFact]
    public async Task Virtual_media_with_a_Cd_boot_override_boots_the_inserted_image()
    {
        var runtime = await StartAsync();
        await PowerOnAndWaitForGuestAsync(runtime);
        Assert.Null(await runtime.GetInsertedMediaAsync());

        // The Redfish flow on a running system: insert media, boot override Cd once, reset.
        _events.Clear();
        await runtime.InsertMediaAsync(QemuTier.CdImage);
        Assert.Equal(QemuTier.CdImage, await runtime.GetInsertedMediaAsync());
        await Eventually(() => _events.Any(e => e.Kind == SlotEventKind.MediaTrayChanged), "a tray-change event for the insert");
        await runtime.SetBootOverrideAsync(new BootOverride(BootSource.Cd, BootOverrideEnabled.Once, BootMode.Legacy));
        Assert.Equal(new BootOverride(BootSource.Cd, BootOverrideEnabled.Once, BootMode.Legacy), await runtime.GetBootOverrideAsync());
        await runtime.ResetAsync(ResetType.ForceRestart);
        var console = Console;
        await console.WaitForAsync(CdMarker, Boot);
        await console.WaitForAsync(Ready, Boot);
        Assert.DoesNotContain(DiskMarker, console.Text(), StringComparison.Ordinal);
        Assert.Equal(PowerState.On, runtime.PowerState);
        // Once: the override is gone after that start; the media stays in.
        Assert.False((await runtime.GetBootOverrideAsync()).IsActive);
        Assert.Equal(QemuTier.CdImage, await runtime.GetInsertedMediaAsync());

        // Eject while running: the live CD-ROM and the persistent config are both empty.
        _events.Clear();
        await runtime.EjectMediaAsync();
        Assert.Null(await runtime.GetInsertedMediaAsync());
        await Eventually(() => _events.Any(e => e.Kind == SlotEventKind.MediaTrayChanged), "a tray-change event for the eject");
        using (var connection = LibvirtConnection.Open(QemuTier.Uri))
        using (var dom = connection.LookupByName(_render.DomainName(_slot.Name)))
        {
            Assert.DoesNotContain("cd.iso", dom.GetXmlDesc(inactive: true), StringComparison.Ordinal);
        }

        // The next cold boot is from the disk again.
        await runtime.ResetAsync(ResetType.ForceOff);
        await PowerOnAndWaitForGuestAsync(runtime, DiskMarker);

        // Insert while off, Continuous override, power on: CD again.
        await runtime.ResetAsync(ResetType.ForceOff);
        await runtime.InsertMediaAsync(QemuTier.CdImage);
        await runtime.SetBootOverrideAsync(new BootOverride(BootSource.Cd, BootOverrideEnabled.Continuous, BootMode.Legacy));
        await PowerOnAndWaitForGuestAsync(runtime, CdMarker);
        Assert.True((await runtime.GetBootOverrideAsync()).IsActive);
    }

    [SkippableFact]
    public async Task A_changed_boot_order_takes_effect_at_the_next_power_on_and_stays()
    {
        var runtime = await StartAsync();
        await runtime.InsertMediaAsync(QemuTier.CdImage);
        // The default order (disk, then network) boots the disk although a bootable CD is in.
        await PowerOnAndWaitForGuestAsync(runtime, DiskMarker);
        Assert.Equal(0, Console.Count(CdMarker));

        // Set while the guest runs: nothing happens to it; ForceRestart is then a cold start (the definition changed).
        await runtime.SetBootOrderAsync([BootSource.Cd, BootSource.Hdd]);
        Assert.Equal([BootSource.Cd, BootSource.Hdd], await runtime.GetBootOrderAsync());
        Assert.Equal(PowerState.On, runtime.PowerState);
        await runtime.ResetAsync(ResetType.ForceRestart);
        await BootedFromAsync(CdMarker, DiskMarker); // QEMU truncates the serial log at each start

        // The order stays: a power cycle boots the CD again, with no override involved.
        Assert.False((await runtime.GetBootOverrideAsync()).IsActive);
        await runtime.ResetAsync(ResetType.ForceOff);
        await runtime.ResetAsync(ResetType.On);
        await BootedFromAsync(CdMarker, DiskMarker);

        // Back to the disk first, and the firmware's boot menu on (a BIOS setting): both reach the next power-on.
        await runtime.SetBootOrderAsync([BootSource.Hdd, BootSource.Cd]);
        await runtime.SetFirmwareSettingsAsync(new FirmwareSettings(true, 1));
        Assert.False((await runtime.GetFirmwareAsync(FirmwareDefinition.Current)).Settings.BootMenu);
        await runtime.ResetAsync(ResetType.ForceOff);
        await runtime.ResetAsync(ResetType.On);
        await BootedFromAsync(DiskMarker, CdMarker);
        Assert.Equal(new FirmwareSettings(true, 1), (await runtime.GetFirmwareAsync(FirmwareDefinition.Current)).Settings);
        Assert.Equal(QemuTier.CdImage, await runtime.GetInsertedMediaAsync());
        await runtime.ResetAsync(ResetType.ForceOff);
    }

    /// <summary>This start's guest printed <paramref name="marker"/> and got ready, and never printed <paramref name="other"/>.</summary>
    private async Task BootedFromAsync(string marker, string other)
    {
        var console = Console;
        await console.WaitForAsync(marker, Boot);
        await console.WaitForAsync(Ready, Boot);
        Assert.Equal(0, console.Count(other));
    }

    [SkippableFact]
    public async Task Virtual_media_over_http_is_streamed_by_QEMU_and_boots()
    {
        var runtime = await StartAsync();
        using var server = new RangeFileServer(QemuTier.CdImage, "images/cd.iso");
        await runtime.InsertMediaAsync(server.Url);
        Assert.Equal(server.Url, await runtime.GetInsertedMediaAsync());
        await runtime.SetBootOverrideAsync(new BootOverride(BootSource.Cd, BootOverrideEnabled.Continuous, BootMode.Legacy));
        await PowerOnAndWaitForGuestAsync(runtime, CdMarker);
        Assert.True(server.Requests > 1, $"QEMU made {server.Requests} requests to {server.Url}");
        _output.WriteLine($"{server.Requests} http requests for the CD boot");
        await runtime.EjectMediaAsync();
        Assert.Null(await runtime.GetInsertedMediaAsync());
        await runtime.ResetAsync(ResetType.ForceOff);
    }

    [SkippableFact]
    public async Task The_runtime_survives_a_libvirtd_restart()
    {
        var runtime = await StartAsync();
        var pidFile = Path.Combine(QemuTier.StateDir, "libvirtd.pid");
        if (!File.Exists(pidFile))
        {
            var message = $"libvirtd was not started by tests/qemu/start-libvirtd.sh (no {pidFile}); not restarting someone else's daemon";
            if (QemuTier.Required)
            {
                Assert.Fail(message);
            }
            Skip.If(true, message);
        }
        await PowerOnAndWaitForGuestAsync(runtime);

        var restart = Stopwatch.StartNew();
        _output.WriteLine(QemuTier.RunScript("stop-libvirtd.sh", QemuTier.StateDir));
        _output.WriteLine(QemuTier.RunScript("start-libvirtd.sh", QemuTier.StateDir));
        _output.WriteLine($"libvirtd restarted in {restart.Elapsed.TotalSeconds:F2} s");

        // Without any call, the runtime notices the dead connection, reconnects and re-subscribes to events.
        var reconnect = Stopwatch.StartNew();
        while (_hv!.Connections.ConnectionLost || _hv.Connections.Current is null)
        {
            Assert.True(reconnect.Elapsed < TimeSpan.FromSeconds(30), "the runtime did not reconnect within 30 s of the libvirtd restart");
            await Task.Delay(50);
        }
        _output.WriteLine($"reconnected {reconnect.Elapsed.TotalSeconds:F2} s after libvirtd answered again");
        Assert.Equal(ReconcileOutcome.InSync, Assert.Single(_hv.LastReconcile).Outcome);
        Assert.Equal(PowerState.On, runtime.PowerState);
        Assert.Equal(1, Console.Count(Ready)); // the guest kept running through the restart

        // A shutdown made outside the runtime reaches the cache through the new event subscription.
        using (var connection = LibvirtConnection.Open(QemuTier.Uri))
        using (var dom = connection.LookupByName(_render.DomainName(_slot.Name)))
        {
            dom.Shutdown();
        }
        await WaitForStateAsync(runtime, PowerState.Off, PowerChange, "external ACPI shutdown after the libvirtd restart");

        // Actions work on the new connection.
        await PowerOnAndWaitForGuestAsync(runtime);
        await runtime.ResetAsync(ResetType.ForceOff);
        Assert.Equal(PowerState.Off, runtime.PowerState);
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
