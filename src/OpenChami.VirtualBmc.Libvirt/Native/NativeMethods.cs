using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OpenChami.VirtualBmc.Libvirt.Native;

/// <summary>The part of libvirt's C API the product uses. Source-generated marshalling, UTF-8 strings.</summary>
internal static unsafe partial class NativeMethods
{
    private const string Lib = "libvirt.so.0";

    // --- connection ---
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ConnectHandle virConnectOpen(string? name);

    [LibraryImport(Lib)]
    internal static partial int virConnectClose(IntPtr conn);

    [LibraryImport(Lib)]
    internal static partial int virConnectIsAlive(ConnectHandle conn);

    [LibraryImport(Lib)]
    internal static partial int virConnectListAllDomains(ConnectHandle conn, out IntPtr domains, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virGetVersion(out ulong libVer, IntPtr type, IntPtr typeVer);

    // --- domains ---
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainLookupByUUIDString(ConnectHandle conn, string uuid);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainDefineXMLFlags(ConnectHandle conn, string xml, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainUndefineFlags(DomainHandle dom, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainFree(IntPtr dom);

    [LibraryImport(Lib)]
    internal static partial int virDomainRef(IntPtr dom);

    [LibraryImport(Lib)]
    internal static partial int virDomainCreate(DomainHandle dom);

    [LibraryImport(Lib)]
    internal static partial int virDomainCreateWithFlags(DomainHandle dom, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainDestroy(DomainHandle dom);

    [LibraryImport(Lib)]
    internal static partial int virDomainShutdown(DomainHandle dom);

    [LibraryImport(Lib)]
    internal static partial int virDomainReboot(DomainHandle dom, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainReset(DomainHandle dom, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainInjectNMI(DomainHandle dom, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainGetState(DomainHandle dom, out int state, out int reason, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainGetInfo(DomainHandle dom, out VirDomainInfo info);

    /// <summary>Returns a malloc'ed string: free it with <see cref="free"/>.</summary>
    [LibraryImport(Lib)]
    internal static partial IntPtr virDomainGetXMLDesc(DomainHandle dom, uint flags);

    /// <summary>Returns libvirt-owned memory valid as long as the domain object: do not free.</summary>
    [LibraryImport(Lib)]
    internal static partial IntPtr virDomainGetName(IntPtr dom);

    /// <summary>The id of the domain's current run (a new one at every start); uint.MaxValue when it is not running.</summary>
    [LibraryImport(Lib)]
    internal static partial uint virDomainGetID(IntPtr dom);

    [LibraryImport(Lib)]
    internal static partial uint virDomainGetID(DomainHandle dom);

    [LibraryImport(Lib)]
    internal static partial int virDomainGetUUIDString(IntPtr dom, byte* buf);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainSetMetadata(DomainHandle dom, int type, string? metadata, string? key, string? uri, uint flags);

    /// <summary>Returns a malloc'ed string: free it with <see cref="free"/>.</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr virDomainGetMetadata(DomainHandle dom, int type, string? uri, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainUpdateDeviceFlags(DomainHandle dom, string xml, uint flags);

    // --- errors ---
    [LibraryImport(Lib)]
    internal static partial VirError* virSaveLastError();

    [LibraryImport(Lib)]
    internal static partial void virFreeError(VirError* error);

    [LibraryImport(Lib)]
    internal static partial void virResetLastError();

    [LibraryImport(Lib)]
    internal static partial void virSetErrorFunc(IntPtr userData, delegate* unmanaged[Cdecl]<IntPtr, VirError*, void> handler);

    // --- events ---
    [LibraryImport(Lib)]
    internal static partial int virEventRegisterDefaultImpl();

    [LibraryImport(Lib)]
    internal static partial int virEventRunDefaultImpl();

    [LibraryImport(Lib)]
    internal static partial int virEventAddTimeout(int timeoutMs, delegate* unmanaged[Cdecl]<int, IntPtr, void> callback, IntPtr opaque, IntPtr free);

    [LibraryImport(Lib)]
    internal static partial int virEventRemoveTimeout(int timer);

    [LibraryImport(Lib)]
    internal static partial int virConnectDomainEventRegisterAny(ConnectHandle conn, IntPtr dom, int eventId, IntPtr callback, IntPtr opaque, IntPtr free);

    [LibraryImport(Lib)]
    internal static partial int virConnectDomainEventDeregisterAny(ConnectHandle conn, int callbackId);

    // --- libc ---
    [LibraryImport("libc.so.6")]
    internal static partial void free(IntPtr p);

    /// <summary>Copies a malloc'ed C string into a .NET string and frees it.</summary>
    internal static string? TakeString(IntPtr p)
    {
        if (p == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            free(p);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static void SilentErrorHandler(IntPtr userData, VirError* error)
    {
        // libvirt's default handler prints every error on stderr; errors are read from the failing call instead.
    }
}

/// <summary>The leading fields of libvirt's <c>struct _virError</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirError
{
    public int Code;
    public int Domain;
    public IntPtr Message;
    public int Level;
    public IntPtr Conn;
    public IntPtr Dom;
    public IntPtr Str1;
    public IntPtr Str2;
    public IntPtr Str3;
    public int Int1;
    public int Int2;
    public IntPtr Net;
}

/// <summary><c>virDomainInfo</c>: unsigned long is 64-bit on Linux x86-64/arm64.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainInfo
{
    public byte State;
    public nuint MaxMemKiB;
    public nuint MemoryKiB;
    public ushort VirtualCpus;
    public ulong CpuTimeNs;
}
