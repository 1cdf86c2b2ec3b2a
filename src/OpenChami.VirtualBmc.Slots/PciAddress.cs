using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace OpenChami.VirtualBmc.Slots;

/// <summary>A PCI function address (domain:bus:device.function), always printed in the kernel's lower-case form.</summary>
public readonly record struct PciAddress(int Domain, int Bus, int Device, int Function) : IComparable<PciAddress>
{
    public static bool TryParse([NotNullWhen(true)] string? text, out PciAddress address)
    {
        address = default;
        // Exactly dddd:bb:dd.f, as sysfs names devices; anything looser would let two spellings name one device.
        if (text is null || text.Length != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.')
        {
            return false;
        }
        if (!int.TryParse(text.AsSpan(0, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var domain)
            || !int.TryParse(text.AsSpan(5, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bus)
            || !int.TryParse(text.AsSpan(8, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var device)
            || !int.TryParse(text.AsSpan(11, 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var function)
            || device > 0x1f || function > 7)
        {
            return false;
        }
        address = new PciAddress(domain, bus, device, function);
        return true;
    }

    public static PciAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not a PCI address (dddd:bb:dd.f)");

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Domain:x4}:{Bus:x2}:{Device:x2}.{Function:x1}");

    public int CompareTo(PciAddress other) =>
        (Domain, Bus, Device, Function).CompareTo((other.Domain, other.Bus, other.Device, other.Function));

    public static bool operator <(PciAddress left, PciAddress right) => left.CompareTo(right) < 0;
    public static bool operator >(PciAddress left, PciAddress right) => left.CompareTo(right) > 0;
    public static bool operator <=(PciAddress left, PciAddress right) => left.CompareTo(right) <= 0;
    public static bool operator >=(PciAddress left, PciAddress right) => left.CompareTo(right) >= 0;
}
