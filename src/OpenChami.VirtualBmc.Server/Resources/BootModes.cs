using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>Redfish's <c>BootSourceOverrideMode</c> values: "UEFI" and "Legacy".</summary>
public static class BootModes
{
    public static string Of(BootMode mode) => mode == BootMode.Uefi ? "UEFI" : "Legacy";

    public static string Of(Firmware firmware) => Of(BootOverride.ModeOf(firmware));
}
