using Microsoft.Win32.SafeHandles;

namespace OpenChami.VirtualBmc.Console.Native;

/// <summary>An <c>ssh_bind</c>: the server's settings and host key; freed with ssh_bind_free.</summary>
internal sealed class BindHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public BindHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle()
    {
        LibSsh.ssh_bind_free(handle);
        return true;
    }
}

/// <summary>An <c>ssh_session</c>; ssh_free also frees its channels and closes its socket.</summary>
internal sealed class SessionHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SessionHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle()
    {
        LibSsh.ssh_free(handle);
        return true;
    }
}

/// <summary>An <c>ssh_message</c> returned by ssh_message_get; freed with ssh_message_free.</summary>
internal sealed class MessageHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public MessageHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle()
    {
        LibSsh.ssh_message_free(handle);
        return true;
    }
}

/// <summary>An <c>ssh_key</c>; freed with ssh_key_free.</summary>
internal sealed class KeyHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public KeyHandle()
        : base(true)
    {
    }

    protected override bool ReleaseHandle()
    {
        LibSsh.ssh_key_free(handle);
        return true;
    }
}
