namespace OpenChami.VirtualBmc.Slots.Runtime;

/// <summary>What startup reconciliation found for one slot.</summary>
public enum ReconcileOutcome
{
    /// <summary>The VM was missing and has been defined from the template.</summary>
    Defined,
    /// <summary>The VM exists and matches the template.</summary>
    InSync,
    /// <summary>The VM exists but differs from the template; it was left as it is.</summary>
    Drifted,
    /// <summary>A VM with this slot's name or UUID exists but is not ours; it was not touched and the slot is unusable.</summary>
    Foreign,
    /// <summary>Reconciliation failed (see the message).</summary>
    Failed,
    /// <summary>Checked without defining (validate): the VM is not defined yet; the service defines it at start.</summary>
    Missing,
}

/// <summary>One difference between the VM and its template: what it is, what the template wants, what the VM has.</summary>
public sealed record DriftItem(string Aspect, string Expected, string Actual)
{
    public override string ToString() => $"{Aspect}: expected {Expected}, found {Actual}";
}

public sealed record SlotReconcileResult(string SlotName, string DomainName, ReconcileOutcome Outcome, IReadOnlyList<DriftItem> Drift, string? Message);
