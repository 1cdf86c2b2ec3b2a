using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Slots.Validation;

[JsonConverter(typeof(JsonStringEnumConverter<FindingSeverity>))]
public enum FindingSeverity
{
    /// <summary>Worth a look; the slot stays usable.</summary>
    Warning,

    /// <summary>The slot cannot start as configured.</summary>
    Error,
}

/// <summary>
/// One thing wrong with a slot's binding to this host. <see cref="Code"/> is stable (see docs/validation.md);
/// <see cref="Device"/> is the template's device name, null for slot-wide findings.
/// </summary>
public sealed record ValidationFinding(
    string Code,
    FindingSeverity Severity,
    string Slot,
    string? Device,
    string Expected,
    string Found,
    string Message);

/// <summary>A slot's findings; it is usable when none is an error.</summary>
public sealed record SlotValidation(string Slot, IReadOnlyList<ValidationFinding> Findings)
{
    public bool IsUsable => Findings.All(f => f.Severity != FindingSeverity.Error);

    public int Errors => Findings.Count(f => f.Severity == FindingSeverity.Error);

    public int Warnings => Findings.Count(f => f.Severity == FindingSeverity.Warning);
}

/// <summary>The whole host: every slot in configuration order, each with all of its findings.</summary>
public sealed record ValidationReport(IReadOnlyList<SlotValidation> Slots)
{
    /// <summary>All findings, slot by slot, in the order they were found.</summary>
    public IReadOnlyList<ValidationFinding> Findings => [.. Slots.SelectMany(s => s.Findings)];

    public IReadOnlyList<string> UsableSlots => [.. Slots.Where(s => s.IsUsable).Select(s => s.Slot)];

    public IReadOnlyList<string> UnusableSlots => [.. Slots.Where(s => !s.IsUsable).Select(s => s.Slot)];

    public int Errors => Slots.Sum(s => s.Errors);

    public int Warnings => Slots.Sum(s => s.Warnings);

    public bool AllUsable => Slots.All(s => s.IsUsable);

    /// <summary>One line, e.g. "2 of 4 slots usable; 3 errors, 0 warnings".</summary>
    public string Summary => $"{UsableSlots.Count} of {Slots.Count} slots usable; {Errors} error{(Errors == 1 ? "" : "s")}, {Warnings} warning{(Warnings == 1 ? "" : "s")}";

    public SlotValidation? For(string slot) => Slots.FirstOrDefault(s => s.Slot == slot);
}
