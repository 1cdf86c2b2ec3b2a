using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OpenChami.VirtualBmc.Libvirt.Native;

/// <summary>libvirt's streams, as the serial console uses them (non-blocking, driven by the default event loop).</summary>
internal static unsafe partial class NativeMethods
{
    public const uint StreamNonBlock = 1;
    public const uint DomainConsoleForce = 1;
    public const int StreamEventReadable = 1;
    public const int StreamEventError = 4;
    public const int StreamEventHangup = 8;

    [LibraryImport(Lib)]
    internal static partial StreamHandle virStreamNew(ConnectHandle conn, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStreamFree(IntPtr stream);

    [LibraryImport(Lib)]
    internal static partial int virStreamAbort(StreamHandle stream);

    /// <summary>Bytes read; 0 at end of stream; -1 on error; -2 when a non-blocking stream has nothing now.</summary>
    [LibraryImport(Lib)]
    internal static partial int virStreamRecv(StreamHandle stream, byte* data, nuint nbytes);

    [LibraryImport(Lib)]
    internal static partial int virStreamSend(StreamHandle stream, byte* data, nuint nbytes);

    [LibraryImport(Lib)]
    internal static partial int virStreamEventAddCallback(StreamHandle stream, int events, delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr, void> callback, IntPtr opaque, IntPtr free);

    [LibraryImport(Lib)]
    internal static partial int virStreamEventRemoveCallback(StreamHandle stream);

    /// <param name="devName">Null: the domain's first console (its serial port).</param>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainOpenConsole(DomainHandle dom, string? devName, StreamHandle stream, uint flags);
}

/// <summary>A <c>virStreamPtr</c>; released with virStreamFree. Holds a reference on its connection.</summary>
internal sealed class StreamHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StreamHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => NativeMethods.virStreamFree(handle) == 0;
}
