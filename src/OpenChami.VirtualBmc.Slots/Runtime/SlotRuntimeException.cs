namespace OpenChami.VirtualBmc.Slots.Runtime;

/// <summary>How a slot operation failed, in terms the Redfish layer maps to a status code.</summary>
public enum SlotRuntimeErrorKind
{
    /// <summary>The hypervisor or this slot cannot do it at all (HTTP 501 / ActionNotSupported).</summary>
    NotSupported,
    /// <summary>Not possible in the current state, or the VM is not ours (HTTP 409).</summary>
    Conflict,
    /// <summary>The hypervisor is unreachable or did not answer in time (HTTP 503); retrying may help.</summary>
    Unavailable,
    /// <summary>The hypervisor refused or failed (HTTP 500).</summary>
    Failed,
    /// <summary>The slot cannot start: its root disk is missing (state deleted); a reimage gives it one (HTTP 409).</summary>
    NotProvisioned,
}

/// <summary>The one exception type the slot runtime port throws.</summary>
public sealed class SlotRuntimeException : Exception
{
    public SlotRuntimeException(SlotRuntimeErrorKind kind, string message, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    public SlotRuntimeException()
        : this(SlotRuntimeErrorKind.Failed, "slot runtime error")
    {
    }

    public SlotRuntimeException(string message)
        : this(SlotRuntimeErrorKind.Failed, message)
    {
    }

    public SlotRuntimeException(string message, Exception innerException)
        : this(SlotRuntimeErrorKind.Failed, message, innerException)
    {
    }

    public SlotRuntimeErrorKind Kind { get; }
}
