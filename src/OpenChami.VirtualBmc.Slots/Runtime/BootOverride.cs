namespace OpenChami.VirtualBmc.Slots.Runtime;

/// <summary>Redfish <c>BootSourceOverrideTarget</c> values a slot supports.</summary>
public enum BootSource { None, Pxe, Hdd, Cd, UefiHttp }

/// <summary>Redfish <c>BootSourceOverrideEnabled</c>.</summary>
public enum BootOverrideEnabled { Disabled, Once, Continuous }

/// <summary>Redfish <c>BootSourceOverrideMode</c>.</summary>
public enum BootMode { Uefi, Legacy }

/// <summary>A slot's boot override. Disabled (or target None) means the slot's default boot order.</summary>
public sealed record BootOverride(BootSource Target, BootOverrideEnabled Enabled, BootMode Mode)
{
    public static BootOverride Default(BootMode mode) => new(BootSource.None, BootOverrideEnabled.Disabled, mode);

    /// <summary>The boot mode of a slot's firmware: UEFI firmware boots Uefi, SeaBIOS Legacy.</summary>
    public static BootMode ModeOf(Catalog.Firmware firmware) => firmware == Catalog.Firmware.Uefi ? BootMode.Uefi : BootMode.Legacy;

    /// <summary>
    /// The URI the guest's UEFI HTTP boot fetches (Redfish <c>Boot.HttpBootUri</c>); only with target UefiHttp. Kept with
    /// the override, so a Once override's URI goes with it after one boot.
    /// </summary>
    public string? HttpBootUri { get; init; }

    /// <summary>True when the override changes the boot order at all.</summary>
    public bool IsActive => Enabled != BootOverrideEnabled.Disabled && Target != BootSource.None;
}
