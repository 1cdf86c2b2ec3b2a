using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Slots.State;

/// <summary>Which check a finding came from; each source's findings are replaced whole when that check runs again.</summary>
public enum FindingSource
{
    /// <summary>Host validation of the slot's device bindings (sysfs).</summary>
    Binding,
    /// <summary>The slot's root disk and seed (made at start, reimage, delete-state).</summary>
    Disk,
    /// <summary>The slot's libvirt domain (every reconcile, and a lost connection).</summary>
    Domain,
}

/// <summary>What is known of the slot's libvirt domain.</summary>
public enum DomainStatus
{
    /// <summary>Not reconciled since start or since the connection was lost: actions wait (503), reads answer from what is known.</summary>
    Unknown,
    /// <summary>Reconciled and ours (defined, in sync, or drifted): the service may act on it.</summary>
    Ours,
    /// <summary>Reconciled and not ours (a foreign domain, or defining failed): never touched.</summary>
    NotOurs,
    /// <summary>The slot gets no domain (it failed host validation).</summary>
    None,
}

/// <summary>An immutable picture of one slot's state; a new one replaces it on every change.</summary>
public sealed record SlotStateSnapshot(
    int Version,
    IReadOnlyList<ValidationFinding> BindingFindings,
    IReadOnlyList<ValidationFinding> DiskFindings,
    IReadOnlyList<ValidationFinding> DomainFindings,
    DomainStatus Domain,
    DateTimeOffset? LastReconcile)
{
    /// <summary>Every finding: bindings, then disk, then domain.</summary>
    public IReadOnlyList<ValidationFinding> Findings { get; } = [.. BindingFindings, .. DiskFindings, .. DomainFindings];

    public bool HasErrors => Findings.Any(f => f.Severity == FindingSeverity.Error);

    /// <summary>Its domain is reconciled and ours, and no check found an error: power, boot and media actions run.</summary>
    public bool Usable => Domain == DomainStatus.Ours && !HasErrors;

    /// <summary>The service may call libvirt on the domain (a drifted domain is ours: a reimage may power it off).</summary>
    public bool DomainActionable => Domain == DomainStatus.Ours;
}

/// <summary>
/// The one owner of a slot's state: its findings (binding validation, disk results, every reconcile result), whether
/// it is usable, a version bumped on every change (cached representations compare it), and the last reconcile.
/// The drift/foreign policy is decided here (<see cref="Validation.DomainFindings.For"/>); the libvirt adapter reports to it and
/// asks it before acting, and the Redfish layer reads its snapshot. Thread-safe: writers swap an immutable snapshot.
/// </summary>
public sealed class SlotState(string name)
{
    private readonly Lock _gate = new();
    private SlotStateSnapshot _current = new(0, [], [], [], DomainStatus.Unknown, null);

    public string Name { get; } = name;

    public SlotStateSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Raised after every change, outside the lock, with the snapshot before and after (the BMC event log's findings).</summary>
    public event Action<SlotStateSnapshot, SlotStateSnapshot>? Changed;

    /// <summary>The cache file in the CD drive and the URL it came from (null when none was inserted since start).</summary>
    public (string LocalPath, string Url)? MediaSource { get; set; }

    /// <summary>Replaces the findings of one source (a check ran again).</summary>
    public void Replace(FindingSource source, IEnumerable<ValidationFinding> findings)
    {
        var list = findings.ToList();
        Update(s => source switch
        {
            FindingSource.Binding => s with { BindingFindings = list },
            FindingSource.Disk => s with { DiskFindings = list },
            _ => s with { DomainFindings = list },
        });
    }

    /// <summary>The slot failed host validation: it gets no domain.</summary>
    public void NoDomain() => Update(s => s with { Domain = DomainStatus.None, DomainFindings = [] });

    /// <summary>A reconcile result (at start and after every reconnect): the domain's findings and status follow it.</summary>
    public void Reconciled(SlotReconcileResult result, DateTimeOffset at) => Update(s => s with
    {
        Domain = result.Outcome is ReconcileOutcome.Defined or ReconcileOutcome.InSync or ReconcileOutcome.Drifted or ReconcileOutcome.Missing
            ? DomainStatus.Ours
            : DomainStatus.NotOurs,
        DomainFindings = Validation.DomainFindings.For(result),
        LastReconcile = at,
    });

    /// <summary>libvirt was not reached, or the connection was lost: unknown until the next reconcile.</summary>
    public void DomainUnknown(string libvirtUri, string reason)
    {
        if (Current.Domain == DomainStatus.None)
        {
            return;
        }
        Update(s => s with { Domain = DomainStatus.Unknown, DomainFindings = [Validation.DomainFindings.Unreachable(Name, libvirtUri, reason)] });
    }

    private void Update(Func<SlotStateSnapshot, SlotStateSnapshot> change)
    {
        SlotStateSnapshot before, after;
        lock (_gate)
        {
            before = _current;
            var next = change(before);
            after = new SlotStateSnapshot(before.Version + 1, next.BindingFindings, next.DiskFindings, next.DomainFindings, next.Domain, next.LastReconcile);
            Volatile.Write(ref _current, after);
        }
        Changed?.Invoke(before, after);
    }
}
