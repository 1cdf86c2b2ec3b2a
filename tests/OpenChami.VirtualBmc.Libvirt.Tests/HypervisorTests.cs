using System.Collections.Concurrent;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Libvirt.Tests;

/// <summary>
/// The slot runtime on the real test driver. Every test has its own domain name prefix and UUIDs, and keeps its own
/// connection open (test:///default keeps its state only while some connection in the process is open).
/// </summary>
public sealed class HypervisorTests : IAsyncLifetime
{
    private const string Uri = "test:///default";
    private readonly LibvirtConnection _observer = LibvirtConnection.Open(Uri);
    private readonly string _prefix = TestSlots.UniquePrefix();
    private readonly List<LibvirtHypervisor> _hypervisors = [];
    private readonly List<Slot> _slots = [TestSlots.Fresh(0), TestSlots.Fresh(1)];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var hv in _hypervisors)
        {
            await hv.DisposeAsync();
        }
        foreach (var slot in _slots)
        {
            using var dom = _observer.TryLookupByName(_prefix + slot.Name);
            if (dom is null) continue;
            if (dom.GetState().State != DomainRunState.ShutOff) dom.Destroy();
            dom.Undefine(removeNvram: false);
        }
        _observer.Dispose();
    }

    private LibvirtHypervisor Create(string uri = Uri, TimeSpan? resync = null)
    {
        var hv = new LibvirtHypervisor(
            new LibvirtHypervisorOptions(uri, TestSlots.Options(_prefix)) { CallTimeout = TimeSpan.FromSeconds(10), ResyncInterval = resync ?? TimeSpan.FromMinutes(5) },
            _slots,
            TestSlots.Placement);
        _hypervisors.Add(hv);
        return hv;
    }

    [Fact]
    public async Task A_slot_whose_root_disk_is_missing_is_not_started_and_a_shared_turn_lets_its_holder_act()
    {
        using var state = new OpenChami.VirtualBmc.TestSupport.TempDirectory("vbmc-state");
        var serializer = new SlotSerializer(Path.Combine(state.Path, "locks"));
        var hv = new LibvirtHypervisor(
            new LibvirtHypervisorOptions(Uri, TestSlots.Options(_prefix) with { StateDirectory = state.Path }) { CallTimeout = TimeSpan.FromSeconds(10), SlotBusyTimeout = TimeSpan.FromSeconds(2) },
            _slots, TestSlots.Placement, serializer);
        _hypervisors.Add(hv);
        await hv.StartAsync();
        var runtime = hv.FindSlot(_slots[0].Name)!;
        Assert.NotNull(_slots[0].Image);

        var refused = await Assert.ThrowsAsync<SlotRuntimeException>(() => runtime.ResetAsync(ResetType.On));
        Assert.Equal(SlotRuntimeErrorKind.NotProvisioned, refused.Kind);
        Assert.Contains("has no root disk", refused.Message, StringComparison.Ordinal);
        Assert.Equal(DomainRunState.ShutOff, ActualState());

        var disk = OpenChami.VirtualBmc.Slots.Images.SlotStorage.For(state.Path, _slots[0].Name).RootDisk;
        Directory.CreateDirectory(Path.GetDirectoryName(disk)!);
        File.WriteAllText(disk, "the test driver never opens it");
        await runtime.ResetAsync(ResetType.On);
        Assert.Equal(DomainRunState.Running, ActualState());

        // The holder of the slot's turn powers it off through the runtime (no deadlock); others wait for the turn.
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var holder = serializer.RunAsync(_slots[0].Name, TimeSpan.FromSeconds(5), async ct =>
        {
            await runtime.ResetAsync(ResetType.ForceOff, ct);
            entered.SetResult();
            await release.Task;
            return true;
        });
        await entered.Task;
        var waiting = runtime.ResetAsync(ResetType.On);
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(DomainRunState.ShutOff, ActualState());
        release.SetResult();
        await holder;
        await waiting;
        Assert.Equal(DomainRunState.Running, ActualState());
        Assert.True(File.Exists(Path.Combine(state.Path, "locks", _slots[0].Name + ".lock")));
    }

    private async Task<(LibvirtHypervisor Hv, ISlotRuntime Slot)> Started()
    {
        var hv = Create();
        await hv.StartAsync();
        return (hv, hv.FindSlot(_slots[0].Name)!);
    }

    private DomainRunState ActualState(Slot? slot = null)
    {
        using var dom = _observer.LookupByName(_prefix + (slot ?? _slots[0]).Name);
        return dom.GetState().State;
    }

    private string[] PersistentBootOrder()
    {
        using var dom = _observer.LookupByName(_prefix + _slots[0].Name);
        return XDocument.Parse(dom.GetXmlDesc(inactive: true)).Root!.Element("os")!.Elements("boot").Select(b => b.Attribute("dev")!.Value).ToArray();
    }

    [Fact]
    public async Task Start_defines_missing_domains_and_a_second_start_finds_them_in_sync()
    {
        var first = await Create().StartAsync();
        Assert.Equal([ReconcileOutcome.Defined, ReconcileOutcome.Defined], first.Select(r => r.Outcome));
        using (var dom = _observer.LookupByName(_prefix + _slots[0].Name))
        {
            Assert.Equal(_slots[0].Identity.Uuid, dom.Uuid);
            var metadata = DomainXml.ParseMetadata(dom.GetMetadata(DomainXml.MetadataNamespace));
            Assert.Equal(_slots[0].Name, metadata!.SlotName);
            Assert.Equal(TestSlots.DemoSite.Host.HostId, metadata.HostId);
        }
        var second = await Create().StartAsync();
        Assert.All(second, r => Assert.Equal(ReconcileOutcome.InSync, r.Outcome));
        Assert.All(second, r => Assert.Empty(r.Drift));
    }

    [Fact]
    public async Task Every_reset_type_leaves_the_expected_state_in_libvirt_and_in_the_cache()
    {
        var (_, slot) = await Started();
        Assert.Equal(PowerState.Off, slot.PowerState);

        async Task Step(ResetType type, PowerState expected)
        {
            await slot.ResetAsync(type);
            Assert.Equal(expected, slot.PowerState);
            Assert.Equal(expected, PowerStateMapping.FromDomainState(ActualState()));
        }

        await Step(ResetType.On, PowerState.On);
        await Step(ResetType.On, PowerState.On);               // already on: nothing to do
        await Step(ResetType.ForceRestart, PowerState.On);
        await Step(ResetType.GracefulRestart, PowerState.On);
        await Step(ResetType.Nmi, PowerState.On);
        await Step(ResetType.PowerCycle, PowerState.On);
        await Step(ResetType.GracefulShutdown, PowerState.Off); // the test driver shuts down at once
        await Step(ResetType.GracefulShutdown, PowerState.Off);
        await Step(ResetType.PushPowerButton, PowerState.On);
        await Step(ResetType.PushPowerButton, PowerState.Off);
        await Step(ResetType.ForceOn, PowerState.On);
        await Step(ResetType.ForceOff, PowerState.Off);
        await Step(ResetType.ForceOff, PowerState.Off);          // already off: nothing to do
        await Step(ResetType.ForceRestart, PowerState.On);       // off: starts
        await Step(ResetType.ForceOff, PowerState.Off);
        await Step(ResetType.PowerCycle, PowerState.On);         // off: starts
        await Step(ResetType.ForceOff, PowerState.Off);

        var nmi = await Assert.ThrowsAsync<SlotRuntimeException>(() => slot.ResetAsync(ResetType.Nmi));
        Assert.Equal(SlotRuntimeErrorKind.Conflict, nmi.Kind);
        var restart = await Assert.ThrowsAsync<SlotRuntimeException>(() => slot.ResetAsync(ResetType.GracefulRestart));
        Assert.Equal(SlotRuntimeErrorKind.Conflict, restart.Kind);
    }

    [Fact]
    public async Task Cache_follows_lifecycle_events_of_changes_made_outside_the_runtime()
    {
        var (_, slot) = await Started();
        var seen = new ConcurrentQueue<PowerState>();
        slot.StateChanged += (_, e) => { if (e.Kind == SlotEventKind.PowerStateChanged) seen.Enqueue(e.PowerState); };
        using (var dom = _observer.LookupByName(_prefix + _slots[0].Name))
        {
            dom.Create();
            await Eventually.True(() => slot.PowerState == PowerState.On, "cache On after an external start");
            dom.Destroy();
            await Eventually.True(() => slot.PowerState == PowerState.Off, "cache Off after an external destroy");
        }
        Assert.Equal([PowerState.On, PowerState.Off], seen.ToArray());
        // The other slot saw none of it.
        Assert.Equal(PowerState.Off, PowerStateMapping.FromDomainState(ActualState(_slots[1])));
    }

    [Fact]
    public async Task Reconnects_after_the_connection_is_closed_under_it_and_keeps_receiving_events()
    {
        var (hv, slot) = await Started();
        var before = hv.Connections.Current!;
        before.Dispose();

        await slot.ResetAsync(ResetType.On);
        Assert.Equal(PowerState.On, slot.PowerState);
        Assert.NotSame(before, hv.Connections.Current);
        Assert.Equal(DomainRunState.Running, ActualState());

        using (var dom = _observer.LookupByName(_prefix + _slots[0].Name))
        {
            dom.Destroy();
        }
        await Eventually.True(() => slot.PowerState == PowerState.Off, "event on the new connection");
        Assert.All(hv.LastReconcile, r => Assert.Equal(ReconcileOutcome.InSync, r.Outcome));
    }

    [Fact]
    public async Task A_lost_connection_is_reconnected_without_waiting_for_a_call()
    {
        var (hv, _) = await Started();
        var before = hv.Connections.Current!;
        before.Dispose();
        Assert.True(hv.Connections.ConnectionLost);
        // The resync is 5 minutes away and nothing calls the runtime: the connection check reconnects on its own.
        await Eventually.True(() => hv.Connections.Current is { } now && !ReferenceEquals(now, before) && now.IsAlive,
            "a new connection without any call", timeoutMs: 10_000);
        Assert.False(hv.Connections.ConnectionLost);
        Assert.All(hv.LastReconcile, r => Assert.Equal(ReconcileOutcome.InSync, r.Outcome));
    }

    [Fact]
    public async Task Unreachable_libvirt_is_unavailable_and_backs_off()
    {
        // A backoff far longer than the test, so the second start lands inside it however slow the machine is.
        var hv = new LibvirtHypervisor(
            new LibvirtHypervisorOptions("test:///no/such/node.xml", TestSlots.Options(_prefix)) { ReconnectBackoff = TimeSpan.FromMinutes(5) },
            _slots,
            TestSlots.Placement);
        _hypervisors.Add(hv);
        var first = await Assert.ThrowsAsync<SlotRuntimeException>(() => hv.StartAsync());
        Assert.Equal(SlotRuntimeErrorKind.Unavailable, first.Kind);
        Assert.IsType<LibvirtException>(first.InnerException);
        var second = await Assert.ThrowsAsync<SlotRuntimeException>(() => hv.StartAsync());
        Assert.Equal(SlotRuntimeErrorKind.Unavailable, second.Kind);
        Assert.Contains("next reconnect attempt", second.Message, StringComparison.Ordinal);
        // Not reconciled yet is "try again later", never a conflict (which the Redfish layer would answer as a power-state 409).
        var notReady = await Assert.ThrowsAsync<SlotRuntimeException>(() => hv.FindSlot(_slots[0].Name)!.ResetAsync(ResetType.On));
        Assert.Equal(SlotRuntimeErrorKind.Unavailable, notReady.Kind);
    }

    [Fact]
    public async Task Connects_and_reconciles_once_libvirt_appears_after_a_failed_start()
    {
        using var dir = new OpenChami.VirtualBmc.TestSupport.TempDirectory();
        var node = Path.Combine(dir.Path, "node.xml");
        var hv = Create("test://" + node);
        var e = await Assert.ThrowsAsync<SlotRuntimeException>(() => hv.StartAsync());
        Assert.Equal(SlotRuntimeErrorKind.Unavailable, e.Kind);

        // A private test-driver host (file URI): its state belongs to this connection alone.
        File.WriteAllText(node, """
            <node>
              <cpu><mhz>2400</mhz><model>x86_64</model><active>8</active><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>2</threads></cpu>
              <memory>16777216</memory>
            </node>
            """);
        await Task.Delay(300); // past the first backoff
        await hv.ResyncAsync();
        Assert.Equal([ReconcileOutcome.Defined, ReconcileOutcome.Defined], hv.LastReconcile.Select(r => r.Outcome));
        var slot = hv.FindSlot(_slots[0].Name)!;
        await slot.ResetAsync(ResetType.On);
        Assert.Equal(PowerState.On, slot.PowerState);
        Assert.Null(_observer.TryLookupByName(_prefix + _slots[0].Name)); // not in test:///default
    }

    [Fact]
    public async Task Fifty_concurrent_resets_on_one_slot_end_consistent()
    {
        var (_, slot) = await Started();
        var random = new Random(4242);
        var types = Enumerable.Range(0, 50).Select(_ => Enum.GetValues<ResetType>()[random.Next(9)]).ToList();
        var results = await Task.WhenAll(types.Select(type => Task.Run(async () =>
        {
            try
            {
                await slot.ResetAsync(type);
                return (Exception?)null;
            }
            catch (SlotRuntimeException e)
            {
                return e;
            }
        })));
        // Only "needs a running system" may fail: nothing else, no libvirt error from interleaving.
        Assert.All(results.Where(e => e is not null), e =>
        {
            Assert.Equal(SlotRuntimeErrorKind.Conflict, ((SlotRuntimeException)e!).Kind);
            Assert.Null(e.InnerException); // from the reset plan, never a libvirt "domain is not running" race
        });
        Assert.True(results.Count(e => e is null) >= 25, "most resets succeed");
        var actual = PowerStateMapping.FromDomainState(ActualState());
        await Eventually.True(() => slot.PowerState == actual, $"cache settles on libvirt's state {actual}");
        await Task.Delay(200);
        Assert.Equal(actual, slot.PowerState);
        Assert.Equal(actual, PowerStateMapping.FromDomainState(ActualState()));
    }

    [Fact]
    public async Task A_changed_serial_log_directory_is_applied_to_defined_domains_and_is_not_drift()
    {
        async Task<IReadOnlyList<SlotReconcileResult>> StartWith(string? serialLogDirectory)
        {
            var hv = new LibvirtHypervisor(
                new LibvirtHypervisorOptions(Uri, TestSlots.Options(_prefix) with { SerialLogDirectory = serialLogDirectory }) { CallTimeout = TimeSpan.FromSeconds(10) },
                _slots, TestSlots.Placement);
            _hypervisors.Add(hv);
            return await hv.StartAsync();
        }
        string? LogFile()
        {
            using var dom = _observer.LookupByName(_prefix + _slots[0].Name);
            return XDocument.Parse(dom.GetXmlDesc(inactive: true)).Root!.Element("devices")!.Element("serial")!.Element("log")?.Attribute("file")?.Value;
        }

        Assert.All(await StartWith(null), r => Assert.Equal(ReconcileOutcome.Defined, r.Outcome));
        Assert.Null(LogFile());
        var set = await StartWith("/var/log/vbmc");
        Assert.All(set, r => Assert.Equal(ReconcileOutcome.InSync, r.Outcome));
        Assert.Equal($"/var/log/vbmc/{_prefix}{_slots[0].Name}.serial.log", LogFile());
        Assert.All(await StartWith("/var/log/vbmc"), r => Assert.Equal(ReconcileOutcome.InSync, r.Outcome));
        Assert.All(await StartWith(null), r => Assert.Equal(ReconcileOutcome.InSync, r.Outcome));
        Assert.Null(LogFile());
    }

    [Fact]
    public async Task Drift_is_reported_and_not_overwritten()
    {
        await Create().StartAsync();
        using (var dom = _observer.LookupByName(_prefix + _slots[0].Name))
        {
            var xml = XDocument.Parse(dom.GetXmlDesc(inactive: true));
            xml.Root!.Element("vcpu")!.Value = "4";
            xml.Root.Element("cputune")!.Remove();
            xml.Root.Element("devices")!.Elements("hostdev").First().Remove();
            using var _ = _observer.Define(xml.ToString());
        }
        var report = await Create().StartAsync();
        var drifted = report.Single(r => r.SlotName == _slots[0].Name);
        Assert.Equal(ReconcileOutcome.Drifted, drifted.Outcome);
        Assert.Equal(["vcpus", "vcpu pinning", "pci hostdevs"], drifted.Drift.Select(d => d.Aspect));
        Assert.Equal("4", drifted.Drift[0].Actual);
        Assert.Equal(ReconcileOutcome.InSync, report.Single(r => r.SlotName == _slots[1].Name).Outcome);
        using (var dom = _observer.LookupByName(_prefix + _slots[0].Name))
        {
            Assert.Equal("4", XDocument.Parse(dom.GetXmlDesc(inactive: true)).Root!.Element("vcpu")!.Value);
        }
    }

    [Fact]
    public async Task A_foreign_domain_with_the_slot_name_is_never_touched()
    {
        var foreignXml = new XElement("domain", new XAttribute("type", "test"),
            new XElement("name", _prefix + _slots[0].Name),
            new XElement("memory", 131072),
            new XElement("vcpu", 1),
            new XElement("os", new XElement("type", "hvm"))).ToString();
        string before;
        using (var dom = _observer.Define(foreignXml))
        {
            before = dom.GetXmlDesc(inactive: true);
        }
        var hv = Create();
        var report = await hv.StartAsync();
        var foreign = report.Single(r => r.SlotName == _slots[0].Name);
        Assert.Equal(ReconcileOutcome.Foreign, foreign.Outcome);
        Assert.Contains("left untouched", foreign.Message, StringComparison.Ordinal);

        var e = await Assert.ThrowsAsync<SlotRuntimeException>(() => hv.FindSlot(_slots[0].Name)!.ResetAsync(ResetType.On));
        Assert.Equal(SlotRuntimeErrorKind.Conflict, e.Kind);
        using (var dom = _observer.LookupByName(_prefix + _slots[0].Name))
        {
            Assert.Equal(before, dom.GetXmlDesc(inactive: true));
            Assert.Equal(DomainRunState.ShutOff, dom.GetState().State);
        }
        // The other slot is fine.
        await hv.FindSlot(_slots[1].Name)!.ResetAsync(ResetType.On);
        Assert.Equal(DomainRunState.Running, ActualState(_slots[1]));
    }

    [Fact]
    public async Task Boot_override_is_persisted_without_restarting_and_once_reverts_after_the_next_start()
    {
        var (_, slot) = await Started();
        await slot.ResetAsync(ResetType.On);
        var stops = 0;
        slot.StateChanged += (_, e) => { if (e.PowerState == PowerState.Off) Interlocked.Increment(ref stops); };

        var continuous = new BootOverride(BootSource.Pxe, BootOverrideEnabled.Continuous, BootMode.Uefi);
        await slot.SetBootOverrideAsync(continuous);
        Assert.Equal(continuous, await slot.GetBootOverrideAsync());
        Assert.Equal(["network", "hd"], PersistentBootOrder());
        Assert.Equal(DomainRunState.Running, ActualState());

        var once = new BootOverride(BootSource.Cd, BootOverrideEnabled.Once, BootMode.Uefi);
        await slot.SetBootOverrideAsync(once);
        Assert.Equal(once, await slot.GetBootOverrideAsync());
        Assert.Equal(["cdrom", "hd", "network"], PersistentBootOrder());
        await Task.Delay(100);
        Assert.Equal(0, stops);
        Assert.Equal(DomainRunState.Running, ActualState());

        await slot.ResetAsync(ResetType.ForceOff);
        Assert.Equal(["cdrom", "hd", "network"], PersistentBootOrder());
        await slot.ResetAsync(ResetType.On);
        Assert.Equal(BootOverride.Default(BootMode.Uefi), await slot.GetBootOverrideAsync());
        Assert.Equal(["hd", "network"], PersistentBootOrder());

        var legacy = await Assert.ThrowsAsync<SlotRuntimeException>(() =>
            slot.SetBootOverrideAsync(new BootOverride(BootSource.Pxe, BootOverrideEnabled.Once, BootMode.Legacy)));
        Assert.Equal(SlotRuntimeErrorKind.NotSupported, legacy.Kind);
    }

    [Fact]
    public async Task Boot_override_reads_come_from_the_cache_and_follow_a_redefinition_outside_the_runtime()
    {
        var (_, slot) = await Started();
        var pxe = new BootOverride(BootSource.Pxe, BootOverrideEnabled.Continuous, BootMode.Uefi);
        await slot.SetBootOverrideAsync(pxe);
        await slot.GetBootOverrideAsync(); // after our own redefinition's Defined event, at most one read refills the cache
        await Task.Delay(100);
        await slot.GetBootOverrideAsync();
        var cached = slot.GetBootOverrideAsync();
        Assert.True(cached.IsCompletedSuccessfully, "a cached read completes at once, without a libvirt call");
        Assert.Equal(pxe, await cached);

        // Someone redefines the domain with another override (virsh edit): the Defined event drops the cache.
        var cd = new BootOverride(BootSource.Cd, BootOverrideEnabled.Continuous, BootMode.Uefi);
        using (var dom = _observer.LookupByName(_prefix + _slots[0].Name))
        {
            var xml = XDocument.Parse(dom.GetXmlDesc(inactive: true));
            var metadata = DomainXml.ParseMetadata(dom.GetMetadata(DomainXml.MetadataNamespace))!;
            DomainXml.SetMetadata(xml, DomainXml.Metadata(new SlotMetadata(metadata.SlotName, metadata.HostId, metadata.TemplateHash, cd)));
            using var _ = _observer.Define(xml.ToString(SaveOptions.DisableFormatting));
        }
        BootOverride? seen = null;
        await Eventually.True(() => (seen = slot.GetBootOverrideAsync().GetAwaiter().GetResult()) == cd, "the outside change is seen");
        Assert.Equal(cd, seen);
    }

    [Fact]
    public async Task Once_override_reverts_when_the_domain_is_started_outside_the_runtime()
    {
        var (_, slot) = await Started();
        await slot.SetBootOverrideAsync(new BootOverride(BootSource.Pxe, BootOverrideEnabled.Once, BootMode.Uefi));
        using (var dom = _observer.LookupByName(_prefix + _slots[0].Name))
        {
            dom.Create();
        }
        await Eventually.True(() => PersistentBootOrder().SequenceEqual(["hd", "network"]), "revert after an external start");
        Assert.Equal(BootOverride.Default(BootMode.Uefi), await slot.GetBootOverrideAsync());
    }

    private string? CdromSource(bool inactive)
    {
        using var dom = _observer.LookupByName(_prefix + _slots[0].Name);
        var cdrom = XDocument.Parse(dom.GetXmlDesc(inactive)).Root!.Element("devices")!.Elements("disk").Single(d => d.Attribute("device")?.Value == "cdrom");
        Assert.Equal(DomainXml.CdromTarget, cdrom.Element("target")!.Attribute("dev")!.Value);
        return cdrom.Element("source")?.Attribute("file")?.Value;
    }

    [Fact]
    public async Task Virtual_media_on_the_test_driver_is_recorded_for_the_next_start_and_is_not_drift()
    {
        var (_, slot) = await Started();
        Assert.Equal(MediaChange.NextStart, slot.MediaChange);
        Assert.Null(await slot.GetInsertedMediaAsync());
        await slot.ResetAsync(ResetType.On);

        await slot.InsertMediaAsync("/var/cache/vbmc/media/boot.iso");
        Assert.Equal("/var/cache/vbmc/media/boot.iso", await slot.GetInsertedMediaAsync()); // what is recorded
        Assert.Equal("/var/cache/vbmc/media/boot.iso", CdromSource(inactive: true));
        Assert.Null(CdromSource(inactive: false)); // the running domain is unchanged
        await slot.ResetAsync(ResetType.ForceRestart); // a recorded media change needs a cold start, like a boot order
        Assert.Equal("/var/cache/vbmc/media/boot.iso", CdromSource(inactive: false));

        // Redefined with the media: still in sync with its template (a media source is expected to vary).
        var again = await Create().StartAsync();
        Assert.All(again, r => Assert.Equal(ReconcileOutcome.InSync, r.Outcome));

        await slot.InsertMediaAsync("/var/cache/vbmc/media/other.iso");
        Assert.Equal("/var/cache/vbmc/media/other.iso", CdromSource(inactive: true));
        await slot.EjectMediaAsync();
        Assert.Null(await slot.GetInsertedMediaAsync());
        Assert.Null(CdromSource(inactive: true));
        await slot.ResetAsync(ResetType.PowerCycle);
        Assert.Null(CdromSource(inactive: false));
        var bad = await Assert.ThrowsAsync<SlotRuntimeException>(() => slot.InsertMediaAsync("relative/boot.iso"));
        Assert.Equal(SlotRuntimeErrorKind.Conflict, bad.Kind);
    }

    [Fact]
    public async Task A_domain_undefined_under_the_runtime_maps_to_a_typed_failure()
    {
        var (_, slot) = await Started();
        using (var dom = _observer.LookupByName(_prefix + _slots[0].Name))
        {
            dom.Undefine(removeNvram: false);
        }
        var e = await Assert.ThrowsAsync<SlotRuntimeException>(() => slot.ResetAsync(ResetType.On));
        Assert.Equal(SlotRuntimeErrorKind.Failed, e.Kind);
        Assert.Equal(LibvirtErrorCode.NoDomain, Assert.IsType<LibvirtException>(e.InnerException).Code);
    }

    [Fact]
    public async Task Periodic_resync_corrects_the_cache()
    {
        var hv = Create(resync: TimeSpan.FromMilliseconds(100));
        await hv.StartAsync();
        var slot = (LibvirtSlotRuntime)hv.FindSlot(_slots[1].Name)!;
        await slot.ResetAsync(ResetType.On);
        await Task.Delay(100);
        slot.Observe(PowerState.Off); // a lost event: the cache is wrong now
        await Eventually.True(() => slot.PowerState == PowerState.On, "resync timer repairs the cache");
    }
}
