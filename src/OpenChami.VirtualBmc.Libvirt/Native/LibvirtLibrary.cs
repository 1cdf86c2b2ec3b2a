using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OpenChami.VirtualBmc.Libvirt.Native;

/// <summary>
/// Process-wide libvirt setup: silences the default error printer and runs libvirt's default event loop on a
/// dedicated background thread. Must happen before the first virConnectOpen (events and keepalive need it).
/// </summary>
internal static unsafe class LibvirtLibrary
{
    private static readonly Lock Gate = new();
    private static Thread? _loop;

    public static bool EventLoopRunning => _loop is { IsAlive: true };

    public static void EnsureInitialized()
    {
        if (_loop is not null)
        {
            return;
        }
        lock (Gate)
        {
            if (_loop is not null)
            {
                return;
            }
            NativeMethods.virSetErrorFunc(IntPtr.Zero, &NativeMethods.SilentErrorHandler);
            if (NativeMethods.virEventRegisterDefaultImpl() < 0)
            {
                throw Errors.Last("virEventRegisterDefaultImpl");
            }
            // A periodic no-op timer: the loop wakes regularly even when nothing is registered yet.
            if (NativeMethods.virEventAddTimeout(1000, &Tick, IntPtr.Zero, IntPtr.Zero) < 0)
            {
                throw Errors.Last("virEventAddTimeout");
            }
            var thread = new Thread(Run) { IsBackground = true, Name = "libvirt-event-loop" };
            thread.Start();
            _loop = thread;
        }
    }

    private static void Run()
    {
        while (true)
        {
            if (NativeMethods.virEventRunDefaultImpl() < 0)
            {
                NativeMethods.virResetLastError();
                Thread.Sleep(100);
            }
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Tick(int timer, IntPtr opaque)
    {
    }
}

internal static unsafe class Errors
{
    /// <summary>Reads (and clears) this thread's last libvirt error. Call it right after the failing call, on the same thread.</summary>
    public static LibvirtException Last(string operation)
    {
        var error = NativeMethods.virSaveLastError();
        if (error is null)
        {
            return new LibvirtException(operation, 0, 0, "no error information");
        }
        try
        {
            return new LibvirtException(operation, error->Code, error->Domain, Marshal.PtrToStringUTF8(error->Message));
        }
        finally
        {
            NativeMethods.virFreeError(error);
            NativeMethods.virResetLastError();
        }
    }

    public static void Check(int result, string operation)
    {
        if (result < 0)
        {
            throw Last(operation);
        }
    }
}
