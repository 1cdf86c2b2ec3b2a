using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OpenChami.VirtualBmc.Libvirt.Native;
using OpenChami.VirtualBmc.Slots.Console;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>
/// One open serial console of a domain (virDomainOpenConsole on a non-blocking stream). Output is read on libvirt's
/// event-loop thread as it arrives and published to the slot's hub; input is sent from the caller's thread. The
/// stream ends on end of file (the VM stopped), an error or a hang-up (libvirtd went away); the owner then reopens.
/// </summary>
internal sealed unsafe class ConsoleStream : IDisposable
{
    // Callbacks get an id, not a GCHandle: a late event after removal finds nothing instead of a freed handle.
    private static readonly ConcurrentDictionary<long, ConsoleStream> Open = new();
    private static long _nextId;

    private readonly StreamHandle _handle;
    private readonly ConsoleHub _hub;
    private readonly Action _ended;
    private readonly Lock _sendGate = new();
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly long _id = Interlocked.Increment(ref _nextId);
    private int _closed;

    private ConsoleStream(LibvirtConnection connection, StreamHandle handle, ConsoleHub hub, Action ended)
    {
        Connection = connection;
        _handle = handle;
        _hub = hub;
        _ended = ended;
    }

    public bool IsClosed => Volatile.Read(ref _closed) == 1;

    /// <summary>The connection the stream runs on: when it dies (libvirtd restarted), so has the stream.</summary>
    public LibvirtConnection Connection { get; }

    /// <summary>Opens the domain's console, taking it over from any other client (virsh console). Blocking; throws LibvirtException.</summary>
    public static ConsoleStream OpenFor(LibvirtConnection connection, Guid uuid, ConsoleHub hub, Action ended)
    {
        using var domain = connection.LookupByUuid(uuid);
        var handle = NativeMethods.virStreamNew(connection.Handle, NativeMethods.StreamNonBlock);
        if (handle.IsInvalid)
        {
            var error = Errors.Last("virStreamNew");
            handle.Dispose();
            throw error;
        }
        try
        {
            Errors.Check(NativeMethods.virDomainOpenConsole(domain.Handle, null, handle, NativeMethods.DomainConsoleForce), "virDomainOpenConsole");
            var stream = new ConsoleStream(connection, handle, hub, ended);
            Open[stream._id] = stream;
            if (NativeMethods.virStreamEventAddCallback(handle,
                    NativeMethods.StreamEventReadable | NativeMethods.StreamEventError | NativeMethods.StreamEventHangup,
                    &OnEvent, checked((IntPtr)stream._id), IntPtr.Zero) < 0)
            {
                var error = Errors.Last("virStreamEventAddCallback");
                Open.TryRemove(stream._id, out _);
                _ = NativeMethods.virStreamAbort(handle);
                NativeMethods.virResetLastError();
                throw error;
            }
            return stream;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Sends keystrokes; false when the stream is closed or the guest's side does not take them now.</summary>
    public bool TrySend(ReadOnlySpan<byte> input)
    {
        lock (_sendGate)
        {
            if (IsClosed)
            {
                return false;
            }
            fixed (byte* p = input)
            {
                var offset = 0;
                for (var attempt = 0; offset < input.Length && attempt < 50; attempt++)
                {
                    var n = NativeMethods.virStreamSend(_handle, p + offset, (nuint)(input.Length - offset));
                    if (n == -2)
                    {
                        Thread.Sleep(2); // the stream's buffer is full: a keystroke can wait a moment
                        continue;
                    }
                    if (n < 0)
                    {
                        NativeMethods.virResetLastError();
                        Close();
                        return false;
                    }
                    offset += n;
                }
                return offset == input.Length;
            }
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnEvent(IntPtr stream, int events, IntPtr opaque)
    {
        try
        {
            if (Open.TryGetValue(opaque, out var owner))
            {
                owner.Pump();
            }
        }
#pragma warning disable CA1031 // an exception escaping a native callback kills the process
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>On the event loop: reads everything available, then returns; ends the stream on EOF or error.</summary>
    private void Pump()
    {
        fixed (byte* p = _buffer)
        {
            while (!IsClosed)
            {
                var n = NativeMethods.virStreamRecv(_handle, p, (nuint)_buffer.Length);
                if (n > 0)
                {
                    _hub.Publish(new ReadOnlySpan<byte>(p, n));
                    continue;
                }
                if (n == -2)
                {
                    return;
                }
                NativeMethods.virResetLastError();
                Close();
                return;
            }
        }
    }

    /// <summary>Ends the stream once: no more events, then abort and free off the event loop (abort is an RPC).</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 1)
        {
            return;
        }
        Open.TryRemove(_id, out _);
        if (NativeMethods.virStreamEventRemoveCallback(_handle) < 0)
        {
            NativeMethods.virResetLastError();
        }
        _ = Task.Run(() =>
        {
            lock (_sendGate)
            {
                if (NativeMethods.virStreamAbort(_handle) < 0)
                {
                    NativeMethods.virResetLastError();
                }
                _handle.Dispose();
            }
            _ended();
        });
    }

    public void Dispose() => Close();
}
