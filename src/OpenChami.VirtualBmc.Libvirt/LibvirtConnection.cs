using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OpenChami.VirtualBmc.Libvirt.Native;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>One libvirt connection. Thread-safe (libvirt connections are); every call blocks.</summary>
internal sealed unsafe class LibvirtConnection : IDisposable
{
    private readonly ConnectHandle _handle;

    internal ConnectHandle Handle => _handle;

    private LibvirtConnection(string uri, ConnectHandle handle)
    {
        Uri = uri;
        _handle = handle;
    }

    public string Uri { get; }

    public bool IsClosed => _handle.IsClosed;

    public static LibvirtConnection Open(string uri)
    {
        LibvirtLibrary.EnsureInitialized();
        var handle = NativeMethods.virConnectOpen(uri);
        if (handle.IsInvalid)
        {
            var error = Errors.Last("virConnectOpen");
            handle.Dispose();
            throw error;
        }
        return new LibvirtConnection(uri, handle);
    }

    /// <summary>False once the connection is closed or its transport is dead (libvirtd went away).</summary>
    public bool IsAlive
    {
        get
        {
            if (_handle.IsClosed)
            {
                return false;
            }
            var alive = NativeMethods.virConnectIsAlive(_handle);
            if (alive < 0)
            {
                NativeMethods.virResetLastError();
            }
            return alive == 1;
        }
    }

    public LibvirtDomain LookupByName(string name) => Wrap(NativeMethods.virDomainLookupByName(_handle, name), "virDomainLookupByName");

    public LibvirtDomain LookupByUuid(Guid uuid) =>
        Wrap(NativeMethods.virDomainLookupByUUIDString(_handle, uuid.ToString("D", CultureInfo.InvariantCulture)), "virDomainLookupByUUIDString");

    /// <summary>Null when no such domain exists; other errors throw.</summary>
    public LibvirtDomain? TryLookupByName(string name) => NullIfMissing(() => LookupByName(name));

    public LibvirtDomain? TryLookupByUuid(Guid uuid) => NullIfMissing(() => LookupByUuid(uuid));

    /// <summary>Defines (or redefines, same name and UUID) a persistent domain.</summary>
    public LibvirtDomain Define(string xml) => Wrap(NativeMethods.virDomainDefineXMLFlags(_handle, xml, 0), "virDomainDefineXMLFlags");

    public IReadOnlyList<LibvirtDomain> ListAllDomains()
    {
        var count = NativeMethods.virConnectListAllDomains(_handle, out var array, 0);
        if (count < 0)
        {
            throw Errors.Last("virConnectListAllDomains");
        }
        try
        {
            var result = new List<LibvirtDomain>(count);
            for (var i = 0; i < count; i++)
            {
                result.Add(new LibvirtDomain(new DomainHandle(Marshal.ReadIntPtr(array, i * IntPtr.Size))));
            }
            return result;
        }
        finally
        {
            NativeMethods.free(array);
        }
    }

    /// <summary>
    /// Registers <paramref name="sink"/> for lifecycle, reboot and tray-change events of every domain. Callbacks run on
    /// the event-loop thread; the sink must be quick and must not throw (exceptions are swallowed).
    /// </summary>
    public IDisposable SubscribeDomainEvents(IDomainEventSink sink)
    {
        var subscription = new EventSubscription(this, sink);
        try
        {
            subscription.Add(EventIdLifecycle, (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, int, int, IntPtr, int>)&OnLifecycle);
            subscription.Add(EventIdReboot, (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, void>)&OnReboot);
            subscription.Add(EventIdTrayChange, (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, int, IntPtr, void>)&OnTrayChange);
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
        return subscription;
    }

    public void Dispose() => _handle.Dispose();

    internal const int EventIdLifecycle = 0;
    internal const int EventIdReboot = 1;
    internal const int EventIdTrayChange = 10;

    private static LibvirtDomain Wrap(DomainHandle handle, string operation)
    {
        if (handle.IsInvalid)
        {
            var error = Errors.Last(operation);
            handle.Dispose();
            throw error;
        }
        return new LibvirtDomain(handle);
    }

    private static LibvirtDomain? NullIfMissing(Func<LibvirtDomain> lookup)
    {
        try
        {
            return lookup();
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            return null;
        }
    }

    private static (string Name, Guid Uuid) Identify(IntPtr dom)
    {
        var name = Marshal.PtrToStringUTF8(NativeMethods.virDomainGetName(dom)) ?? "";
        var buffer = stackalloc byte[37];
        var uuid = NativeMethods.virDomainGetUUIDString(dom, buffer) == 0
            ? Guid.Parse(Marshal.PtrToStringUTF8((IntPtr)buffer)!, CultureInfo.InvariantCulture)
            : Guid.Empty;
        return (name, uuid);
    }

    // Callbacks get an id, not a GCHandle: a late callback after deregistration finds nothing instead of a freed handle.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<long, IDomainEventSink> Sinks = new();
    private static long _nextSinkId;

    private static IDomainEventSink? SinkOf(IntPtr opaque) => Sinks.TryGetValue(opaque, out var sink) ? sink : null;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnLifecycle(IntPtr conn, IntPtr dom, int lifecycle, int detail, IntPtr opaque)
    {
        try
        {
            var (name, uuid) = Identify(dom);
            // The event's domain carries the run's id as it was when the event was raised, however late it arrives.
            SinkOf(opaque)?.OnLifecycle(name, uuid, NativeMethods.virDomainGetID(dom), (DomainLifecycleEvent)lifecycle, detail);
        }
#pragma warning disable CA1031 // An exception escaping a native callback kills the process.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnReboot(IntPtr conn, IntPtr dom, IntPtr opaque)
    {
        try
        {
            var (name, uuid) = Identify(dom);
            SinkOf(opaque)?.OnReboot(name, uuid);
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnTrayChange(IntPtr conn, IntPtr dom, IntPtr deviceAlias, int reason, IntPtr opaque)
    {
        try
        {
            var (name, uuid) = Identify(dom);
            SinkOf(opaque)?.OnTrayChange(name, uuid, Marshal.PtrToStringUTF8(deviceAlias) ?? "", reason == 0);
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private sealed class EventSubscription(LibvirtConnection connection, IDomainEventSink sink) : IDisposable
    {
        private readonly List<int> _callbackIds = [];
        private readonly long _sinkId = Register(sink);
        private bool _disposed;

        private static long Register(IDomainEventSink sink)
        {
            var id = Interlocked.Increment(ref _nextSinkId);
            Sinks[id] = sink;
            return id;
        }

        public void Add(int eventId, IntPtr callback)
        {
            var id = NativeMethods.virConnectDomainEventRegisterAny(connection._handle, IntPtr.Zero, eventId, callback, checked((IntPtr)_sinkId), IntPtr.Zero);
            if (id < 0)
            {
                throw Errors.Last("virConnectDomainEventRegisterAny");
            }
            _callbackIds.Add(id);
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (!connection._handle.IsClosed)
            {
                foreach (var id in _callbackIds)
                {
                    try
                    {
                        if (NativeMethods.virConnectDomainEventDeregisterAny(connection._handle, id) < 0)
                        {
                            NativeMethods.virResetLastError();
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                        // closed meanwhile: the callbacks went with it
                    }
                }
            }
            Sinks.TryRemove(_sinkId, out _);
        }
    }
}

/// <summary>Receives domain events on libvirt's event-loop thread.</summary>
internal interface IDomainEventSink
{
    /// <param name="runId">The domain's id for the run the event belongs to (libvirt gives each start a new one).</param>
    void OnLifecycle(string domainName, Guid uuid, uint runId, DomainLifecycleEvent lifecycle, int detail);

    void OnReboot(string domainName, Guid uuid);

    void OnTrayChange(string domainName, Guid uuid, string deviceAlias, bool opened);
}
