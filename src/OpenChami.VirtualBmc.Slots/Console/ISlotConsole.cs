namespace OpenChami.VirtualBmc.Slots.Console;

/// <summary>
/// The serial console of one slot's VM (its ttyS0), as the hypervisor adapter provides it: output fanned out to every
/// attached viewer, input from those allowed to type, and a bounded log of recent lines. One slot's console never
/// carries another's bytes. The adapter reopens the underlying stream after a power cycle or a hypervisor reconnect.
/// </summary>
public interface ISlotConsole
{
    string SlotName { get; }

    /// <summary>Why this slot can have no console at all (e.g. libvirt's test driver); null when it can.</summary>
    string? Unsupported { get; }

    /// <summary>Attaches a viewer that receives the output from now on. Dispose it to detach.</summary>
    ConsoleViewer Attach();

    /// <summary>Sends keystrokes to the guest. False when no console stream is open (the VM is off, or reconnecting).</summary>
    bool TrySend(ReadOnlySpan<byte> input);

    /// <summary>The latest output, line by line.</summary>
    ConsoleLog Log { get; }
}

/// <summary>Finds the console of a slot; null when the slot has none (no VM).</summary>
public interface ISlotConsoles
{
    ISlotConsole? FindConsole(string slotName);
}
