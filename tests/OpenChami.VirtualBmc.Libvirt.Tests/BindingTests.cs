using System.Collections.Concurrent;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Libvirt.Tests;

/// <summary>Every binding call against the real libvirt test driver (test:///default, shared per process: unique names).</summary>
public sealed class BindingTests : IDisposable
{
    private readonly LibvirtConnection _conn = LibvirtConnection.Open("test:///default");
    private readonly string _name = TestSlots.UniquePrefix() + "bind";
    private readonly Guid _uuid = Guid.NewGuid();

    public void Dispose()
    {
        using (var dom = _conn.TryLookupByName(_name))
        {
            if (dom is not null)
            {
                if (dom.GetState().State != DomainRunState.ShutOff) dom.Destroy();
                dom.Undefine(removeNvram: false);
            }
        }
        _conn.Dispose();
    }

    private string MinimalXml() =>
        new XElement("domain", new XAttribute("type", "test"),
            new XElement("name", _name),
            new XElement("uuid", _uuid),
            new XElement("memory", new XAttribute("unit", "KiB"), 262144),
            new XElement("vcpu", 2),
            new XElement("os", new XElement("type", "hvm"))).ToString();

    [Fact]
    public void Lookup_of_a_missing_domain_throws_libvirts_no_domain_error()
    {
        var e = Assert.Throws<LibvirtException>(() => _conn.LookupByName(_name));
        Assert.Equal(LibvirtErrorCode.NoDomain, e.Code);
        Assert.Equal(LibvirtErrorDomain.Test, e.ErrorDomain);
        Assert.Equal("virDomainLookupByName", e.Operation);
        Assert.Contains("not found", e.LibvirtMessage, StringComparison.OrdinalIgnoreCase);
        Assert.False(e.IsConnectionLost);
        Assert.Null(_conn.TryLookupByName(_name));
        Assert.Null(_conn.TryLookupByUuid(_uuid));
    }

    [Fact]
    public void Open_of_a_bad_uri_throws_a_typed_error()
    {
        var e = Assert.Throws<LibvirtException>(() => LibvirtConnection.Open("test:///no/such/file.xml"));
        Assert.Equal("virConnectOpen", e.Operation);
        Assert.NotEqual(0, e.Code);
    }

    [Fact]
    public void Define_lookup_list_and_undefine()
    {
        using (var defined = _conn.Define(MinimalXml()))
        {
            Assert.Equal(_name, defined.Name);
            Assert.Equal(_uuid, defined.Uuid);
        }
        Assert.True(_conn.IsAlive);
        using (var byName = _conn.LookupByName(_name))
        using (var byUuid = _conn.LookupByUuid(_uuid))
        {
            Assert.Equal(_uuid, byName.Uuid);
            Assert.Equal(_name, byUuid.Name);
            Assert.Equal(DomainRunState.ShutOff, byName.GetState().State);
        }
        var all = _conn.ListAllDomains();
        try
        {
            Assert.Contains(all, d => d.Name == _name && d.Uuid == _uuid);
        }
        finally
        {
            foreach (var d in all) d.Dispose();
        }
        using (var dom = _conn.LookupByName(_name))
        {
            // The 9.0 test driver has no NVRAM: it rejects the flag QEMU needs for UEFI domains.
            var e = Assert.Throws<LibvirtException>(() => dom.Undefine(removeNvram: true));
            Assert.Equal(LibvirtErrorCode.InvalidArgument, e.Code);
            Assert.Contains("unsupported flags", e.LibvirtMessage, StringComparison.Ordinal);
            dom.Undefine(removeNvram: false);
        }
        Assert.Null(_conn.TryLookupByName(_name));
    }

    [Fact]
    public void Power_calls_change_the_state()
    {
        using var dom = _conn.Define(MinimalXml());
        dom.Create();
        Assert.Equal(DomainRunState.Running, dom.GetState().State);
        dom.Reboot();
        Assert.Equal(DomainRunState.Running, dom.GetState().State);
        dom.Reset();
        Assert.Equal(DomainRunState.Running, dom.GetState().State);
        dom.InjectNmi();
        Assert.Equal(DomainRunState.Running, dom.GetState().State);
        var info = dom.GetInfo();
        Assert.Equal(DomainRunState.Running, info.State);
        Assert.Equal(262144UL, info.MaxMemoryKiB);
        Assert.Equal(2, info.VirtualCpus);
        dom.Shutdown();
        Assert.Equal(DomainRunState.ShutOff, dom.GetState().State);
        dom.Create();
        dom.Destroy();
        Assert.Equal(DomainRunState.ShutOff, dom.GetInfo().State);
        var e = Assert.Throws<LibvirtException>(dom.Destroy);
        Assert.Equal(LibvirtErrorCode.OperationInvalid, e.Code);
    }

    [Fact]
    public void Create_with_flags_starts_and_the_test_driver_refuses_the_nvram_reset()
    {
        using var dom = _conn.Define(MinimalXml());
        // The 9.0 test driver has no NVRAM: it rejects VIR_DOMAIN_START_RESET_NVRAM (0x20), so the runtime never sends it there.
        var e = Assert.Throws<LibvirtException>(() => dom.Create(LibvirtDomain.StartResetNvram));
        Assert.Equal(LibvirtErrorCode.InvalidArgument, e.Code);
        Assert.Equal("virDomainCreateWithFlags", e.Operation);
        Assert.Contains("unsupported flags (0x20)", e.LibvirtMessage, StringComparison.Ordinal);
        Assert.Equal(DomainRunState.ShutOff, dom.GetState().State);
        dom.Create(0);
        Assert.Equal(DomainRunState.Running, dom.GetState().State);
        dom.Destroy();
    }

    [Fact]
    public void Xml_desc_live_and_inactive()
    {
        using var dom = _conn.Define(MinimalXml());
        var xml = XDocument.Parse(dom.GetXmlDesc());
        Assert.Equal(_name, xml.Root!.Element("name")!.Value);
        Assert.Equal(_uuid.ToString(), xml.Root.Element("uuid")!.Value);
        Assert.Equal("2", XDocument.Parse(dom.GetXmlDesc(inactive: true)).Root!.Element("vcpu")!.Value);
    }

    [Fact]
    public void Metadata_round_trip_and_removal()
    {
        using var dom = _conn.Define(MinimalXml());
        Assert.Null(dom.GetMetadata(DomainXml.MetadataNamespace));
        var element = DomainXml.Metadata(new SlotMetadata("slotX", "hostY", "abc123", new BootOverride(BootSource.Pxe, BootOverrideEnabled.Once, BootMode.Uefi)));
        // Through the API the element goes without its namespace: libvirt adds it with the key as prefix.
        dom.SetMetadata(StripNamespace(element).ToString(), DomainXml.MetadataKey, DomainXml.MetadataNamespace);
        var parsed = DomainXml.ParseMetadata(dom.GetMetadata(DomainXml.MetadataNamespace));
        Assert.Equal(new SlotMetadata("slotX", "hostY", "abc123", new BootOverride(BootSource.Pxe, BootOverrideEnabled.Once, BootMode.Uefi)), parsed);
        // It is part of the persistent XML too, so a redefine keeps it.
        Assert.Contains(DomainXml.MetadataNamespace, dom.GetXmlDesc(inactive: true), StringComparison.Ordinal);
        dom.SetMetadata(null, DomainXml.MetadataKey, DomainXml.MetadataNamespace);
        Assert.Null(dom.GetMetadata(DomainXml.MetadataNamespace));
    }

    [Fact]
    public void Update_device_is_not_supported_by_the_test_driver()
    {
        using var dom = _conn.Define(MinimalXml());
        var e = Assert.Throws<LibvirtException>(() =>
            dom.UpdateDevice(VirtualMedia.CdromXml(null).ToString(), LibvirtDomain.AffectConfig));
        Assert.Equal(LibvirtErrorCode.NoSupport, e.Code);
        Assert.Equal("virDomainUpdateDeviceFlags", e.Operation);
    }

    [Fact]
    public async Task Lifecycle_events_arrive_through_the_event_loop()
    {
        var sink = new RecordingSink();
        using var subscription = _conn.SubscribeDomainEvents(sink);
        using (var dom = _conn.Define(MinimalXml()))
        {
            dom.Create();
            dom.Reboot();
            dom.Destroy();
        }
        await Eventually.True(() => sink.Lifecycle.Count(e => e.Uuid == _uuid) >= 3, "defined, started and stopped events");
        var mine = sink.Lifecycle.Where(e => e.Uuid == _uuid).Select(e => e.Event).ToList();
        Assert.Equal([DomainLifecycleEvent.Defined, DomainLifecycleEvent.Started, DomainLifecycleEvent.Stopped], mine.Where(e => e != DomainLifecycleEvent.Resumed).Take(3));
        Assert.All(sink.Lifecycle.Where(e => e.Uuid == _uuid), e => Assert.Equal(_name, e.Name));
    }

    [Fact]
    public async Task A_started_event_carries_the_id_of_its_own_run_and_each_start_gets_a_new_one()
    {
        var sink = new RecordingSink();
        using var subscription = _conn.SubscribeDomainEvents(sink);
        var runs = new List<uint>();
        using (var dom = _conn.Define(MinimalXml()))
        {
            Assert.Equal(uint.MaxValue, dom.RunId);
            for (var i = 0; i < 2; i++)
            {
                dom.Create();
                using (var looked = _conn.TryLookupByUuid(_uuid)!)
                {
                    runs.Add(looked.RunId);
                }
                dom.Destroy();
            }
        }
        await Eventually.True(() => sink.Lifecycle.Count(e => e.Uuid == _uuid && e.Event == DomainLifecycleEvent.Started) >= 2, "two started events");
        // The boot-override logic relies on this: a late Started event is told apart from the start it belongs to.
        Assert.NotEqual(runs[0], runs[1]);
        Assert.Equal(runs, sink.Lifecycle.Where(e => e.Uuid == _uuid && e.Event == DomainLifecycleEvent.Started).Select(e => e.RunId).Take(2));
    }

    [Fact]
    public void Connection_used_after_close_fails_without_reaching_libvirt()
    {
        var conn = LibvirtConnection.Open("test:///default");
        conn.Dispose();
        Assert.True(conn.IsClosed);
        Assert.False(conn.IsAlive);
        Assert.Throws<ObjectDisposedException>(() => conn.LookupByName(_name));
    }

    [Fact]
    public void Many_threads_share_one_connection()
    {
        using var dom = _conn.Define(MinimalXml());
        var errors = new ConcurrentBag<Exception>();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            try
            {
                using var d = _conn.LookupByUuid(_uuid);
                Assert.Equal(DomainRunState.ShutOff, d.GetState().State);
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        });
        Assert.Empty(errors);
    }

    private static XElement StripNamespace(XElement e) =>
        new(e.Name.LocalName,
            e.Attributes().Where(a => !a.IsNamespaceDeclaration).Select(a => new XAttribute(a.Name.LocalName, a.Value)),
            e.Elements().Select(StripNamespace));

    private sealed class RecordingSink : IDomainEventSink
    {
        public ConcurrentQueue<(string Name, Guid Uuid, DomainLifecycleEvent Event, uint RunId)> Lifecycle { get; } = new();

        public void OnLifecycle(string domainName, Guid uuid, uint runId, DomainLifecycleEvent lifecycle, int detail) =>
            Lifecycle.Enqueue((domainName, uuid, lifecycle, runId));

        public void OnReboot(string domainName, Guid uuid)
        {
        }

        public void OnTrayChange(string domainName, Guid uuid, string deviceAlias, bool opened)
        {
        }
    }
}
