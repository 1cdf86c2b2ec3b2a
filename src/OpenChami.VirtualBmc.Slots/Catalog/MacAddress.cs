using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace OpenChami.VirtualBmc.Slots.Catalog;

/// <summary>A 48-bit MAC address, printed lower-case with colons.</summary>
public readonly record struct MacAddress(ulong Value)
{
    public bool IsMulticast => ((Value >> 40) & 0x01) != 0;
    public bool IsLocallyAdministered => ((Value >> 40) & 0x02) != 0;

    public static bool TryParse([NotNullWhen(true)] string? text, out MacAddress mac)
    {
        mac = default;
        if (text is null || text.Length != 17)
        {
            return false;
        }
        ulong value = 0;
        for (var i = 0; i < 6; i++)
        {
            if (i > 0 && text[(i * 3) - 1] != ':')
            {
                return false;
            }
            if (!byte.TryParse(text.AsSpan(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                return false;
            }
            value = (value << 8) | b;
        }
        mac = new MacAddress(value);
        return true;
    }

    public static MacAddress Parse(string text) =>
        TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address");

    public static MacAddress FromBytes(ReadOnlySpan<byte> six)
    {
        ulong value = 0;
        foreach (var b in six[..6])
        {
            value = (value << 8) | b;
        }
        return new MacAddress(value);
    }

    public override string ToString()
    {
        Span<char> chars = stackalloc char[17];
        for (var i = 0; i < 6; i++)
        {
            var b = (byte)(Value >> (8 * (5 - i)));
            b.TryFormat(chars[(i * 3)..], out _, "x2", CultureInfo.InvariantCulture);
            if (i < 5) chars[(i * 3) + 2] = ':';
        }
        return new string(chars);
    }
}
