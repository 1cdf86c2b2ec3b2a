using OpenChami.VirtualBmc.Slots;

namespace OpenChami.VirtualBmc.Host.Preparation;

/// <summary>What a step does; the order within one device is always override → unbind → bind.</summary>
public enum PreparationStepKind
{
    /// <summary>Write a VF count to a PF's <c>sriov_numvfs</c> (0 first when changing a non-zero count).</summary>
    SetNumVfs,

    /// <summary>Write <c>vfio-pci</c> to a device's <c>driver_override</c>, so only vfio-pci may claim it.</summary>
    SetDriverOverride,

    /// <summary>Write the device's address to <c>&lt;dev&gt;/driver/unbind</c>: release it from its host driver.</summary>
    Unbind,

    /// <summary>Write the device's address to <c>/sys/bus/pci/drivers/vfio-pci/bind</c>.</summary>
    Bind,
}

/// <summary>
/// One sysfs write: <see cref="Path"/> is the kernel path (always starting <c>/sys/</c>, never the configured root:
/// an <see cref="ISysfsWriter"/> maps it), <see cref="Value"/> the exact text written, <see cref="Reason"/> why.
/// </summary>
public sealed record PreparationStep(PreparationStepKind Kind, PciAddress Device, string Path, string Value, string Reason)
{
    public override string ToString() => $"echo {Value} > {Path}    # {Reason}";
}

/// <summary>A device the preparer will not touch, and why (the other devices are still planned).</summary>
public sealed record PreparationProblem(PciAddress? Device, string Slot, string? DeviceName, string Message)
{
    public override string ToString() =>
        $"{(Device is { } d ? d.ToString() : "-")} ({Slot}{(DeviceName is null ? "" : "/" + DeviceName)}): {Message}";
}

/// <summary>
/// A VF a slot uses that does not exist yet: its PF's <c>sriov_numvfs</c> write is in the plan, the VF's binding
/// steps are planned after that write, from a re-read of sysfs (its address is the kernel's to choose).
/// </summary>
public sealed record PendingVf(PciAddress Pf, int Index, string Slot, string DeviceName)
{
    public override string ToString() => $"VF {Index} of {Pf} ({Slot}/{DeviceName}): bound to vfio-pci once created";
}

/// <summary>
/// The writes that make a host fit its slots, in order, plus what was refused and which VFs are still to come.
/// Empty (no steps, no pending VFs) on a prepared host.
/// </summary>
public sealed class PreparationPlan(IReadOnlyList<PreparationStep> steps, IReadOnlyList<PreparationProblem> problems, IReadOnlyList<PendingVf> pendingVfs)
{
    public IReadOnlyList<PreparationStep> Steps { get; } = steps;

    public IReadOnlyList<PreparationProblem> Problems { get; } = problems;

    public IReadOnlyList<PendingVf> PendingVfs { get; } = pendingVfs;

    /// <summary>Nothing to write and nothing waiting: the host is prepared (problems may remain).</summary>
    public bool IsEmpty => Steps.Count == 0 && PendingVfs.Count == 0;

    /// <summary>The plan as text for <c>--dry-run</c>: one line per step, then pending VFs and refusals.</summary>
    public string Describe()
    {
        var lines = new List<string>();
        if (IsEmpty)
        {
            lines.Add("nothing to do: every PF has its VFs and every slot device is on vfio-pci");
        }
        lines.AddRange(Steps.Select(s => s.ToString()));
        lines.AddRange(PendingVfs.Select(p => "then: " + p));
        lines.AddRange(Problems.Select(p => "refused: " + p));
        return string.Join('\n', lines);
    }
}

/// <summary>A sysfs write failed (the device or kernel refused it); names the step.</summary>
public sealed class PreparationException(PreparationStep step, Exception inner)
    : Exception($"writing '{step.Value}' to {step.Path} failed ({step.Reason}): {inner.Message}", inner)
{
    public PreparationStep Step { get; } = step;
}
