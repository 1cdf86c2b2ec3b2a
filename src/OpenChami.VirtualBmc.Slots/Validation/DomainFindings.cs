using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Slots.Validation;

/// <summary>
/// The drift/foreign policy, decided once: a domain that differs from its template, is not ours, or could not be
/// defined is an Error (the slot is not served as usable; a drifted domain stays ours, so a reimage may power it off);
/// a domain not checked because libvirt is away is a Warning (actions wait for the reconnect).
/// </summary>
public static class DomainFindings
{
    public static IReadOnlyList<ValidationFinding> For(SlotReconcileResult result) => result.Outcome switch
    {
        ReconcileOutcome.Drifted => [new(FindingCodes.DomainDrift, FindingSeverity.Error, result.SlotName, null, "the domain the template renders",
            string.Join("; ", result.Drift),
            $"libvirt domain {result.DomainName} differs from the slot's template (left as it is): {string.Join("; ", result.Drift)}; undefine it to let the service define it again, or fix the template")],
        ReconcileOutcome.Foreign => [new(FindingCodes.DomainForeign, FindingSeverity.Error, result.SlotName, null, "no domain, or this slot's", result.Message ?? "",
            $"a libvirt domain named {result.DomainName} exists but is not this service's ({result.Message}); it was not touched: rename or remove it")],
        ReconcileOutcome.Failed => [new(FindingCodes.DomainDefineFailed, FindingSeverity.Error, result.SlotName, null, "the domain defined", result.Message ?? "",
            $"libvirt domain {result.DomainName}: {result.Message}")],
        _ => [],
    };

    public static ValidationFinding Unreachable(string slot, string libvirtUri, string reason) => new(FindingCodes.LibvirtUnreachable, FindingSeverity.Warning,
        slot, null, $"libvirt at {libvirtUri}", reason,
        $"libvirt at {libvirtUri} is not reachable ({reason}); the slot's domain is not checked: reconnecting, actions wait until it is reconciled");
}
