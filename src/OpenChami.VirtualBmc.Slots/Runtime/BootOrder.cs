namespace OpenChami.VirtualBmc.Slots.Runtime;

/// <summary>
/// A slot's persistent boot order: the devices its firmware tries, first to last, at every power-on without an
/// override. libvirt orders device classes (<c>&lt;os&gt;&lt;boot dev&gt;</c>), not single devices, so the orderable
/// entries are the slot's disk, its virtual CD drive and its network (the firmware tries the NICs in PCI order).
/// </summary>
public static class BootOrder
{
    /// <summary>What a slot boots when nobody set an order: its disk, then the network.</summary>
    public static readonly IReadOnlyList<BootSource> Default = [BootSource.Hdd, BootSource.Pxe];

    /// <summary>The devices an order may name, in the order their boot options are listed.</summary>
    public static readonly IReadOnlyList<BootSource> Orderable = [BootSource.Hdd, BootSource.Cd, BootSource.Pxe];

    /// <summary>
    /// The order the next boot uses: an active override's target first (UefiHttp boots from the network, like Pxe),
    /// then the persistent order without it.
    /// </summary>
    public static IReadOnlyList<BootSource> Effective(BootOverride? boot, IReadOnlyList<BootSource> order)
    {
        if (boot is not { IsActive: true })
        {
            return order;
        }
        var first = boot.Target == BootSource.UefiHttp ? BootSource.Pxe : boot.Target;
        return [first, .. order.Where(d => d != first)];
    }

    /// <summary>Why an order cannot be set (null when it can): empty, a device twice, or one that cannot be ordered.</summary>
    public static string? Problem(IReadOnlyList<BootSource> order)
    {
        if (order.Count == 0)
        {
            return "a boot order needs at least one device";
        }
        foreach (var device in order.Where(d => !Orderable.Contains(d)))
        {
            return $"{device} cannot be ordered (orderable: {string.Join(", ", Orderable)})";
        }
        return order.Distinct().Count() == order.Count ? null : "a boot order names each device at most once";
    }

    public static bool AreEqual(IReadOnlyList<BootSource>? a, IReadOnlyList<BootSource>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b));
}

/// <summary>
/// The firmware settings a slot's BIOS settings may change, applied at its next power-on: the firmware's boot menu and
/// how long it waits for a key (libvirt <c>&lt;os&gt;&lt;bootmenu enable timeout&gt;</c>).
/// </summary>
public sealed record FirmwareSettings(bool BootMenu, int BootMenuTimeoutSeconds)
{
    public static readonly FirmwareSettings Default = new(false, 0);

    /// <summary>libvirt takes the timeout in milliseconds, 0–65535.</summary>
    public const int MaxBootMenuTimeoutSeconds = 65;
}

/// <summary>The slot's firmware as a definition of its VM gives it: the settable part and what libvirt chose.</summary>
/// <param name="Loader">The firmware image libvirt resolved (null until it resolved one, e.g. before the first start).</param>
/// <param name="SecureBoot">True when that image is a secure-boot build (libvirt's <c>&lt;loader secure="yes"&gt;</c>).</param>
public sealed record FirmwareView(FirmwareSettings Settings, string? Loader, bool SecureBoot)
{
    /// <summary>What the definition asks firmware autoselection for (secure-boot feature): null when it asks nothing.</summary>
    public bool? SecureBootRequested { get; init; }
}

/// <summary>A UEFI slot's secure boot (<c>Systems/{id}/SecureBoot</c>).</summary>
/// <param name="Enabled">What the VM's next power-on uses (the template's pin, else the operator's choice, else off).</param>
/// <param name="CurrentBoot">Whether the running VM booted with it (false when off).</param>
/// <param name="Pinned">The template pins it; the operator cannot switch it.</param>
public sealed record SecureBootState(bool Enabled, bool CurrentBoot, bool Pinned);

/// <summary>Which definition a firmware read looks at.</summary>
public enum FirmwareDefinition
{
    /// <summary>What the VM runs with now (when off: what its next start uses).</summary>
    Current,

    /// <summary>What its next power-on uses.</summary>
    NextStart,
}
