using Microsoft.Win32.SafeHandles;

namespace OpenChami.VirtualBmc.Libvirt.Native;

/// <summary>A <c>virConnectPtr</c>; released with virConnectClose (which returns the remaining reference count).</summary>
internal sealed class ConnectHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public ConnectHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle() => NativeMethods.virConnectClose(handle) >= 0;
}

/// <summary>A <c>virDomainPtr</c>; released with virDomainFree. Holds a reference on its connection.</summary>
internal sealed class DomainHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public DomainHandle()
        : base(true)
    {
    }

    internal DomainHandle(IntPtr existing)
        : base(true) => SetHandle(existing);

    protected override bool ReleaseHandle() => NativeMethods.virDomainFree(handle) == 0;
}
