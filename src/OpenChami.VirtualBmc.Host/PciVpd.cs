using System.Text;

namespace OpenChami.VirtualBmc.Host;

/// <summary>
/// The serial number in a PCI function's Vital Product Data (the binary <c>vpd</c> file in sysfs). VPD is a run of
/// resource tags; the read-only area (large tag 0x90) holds keywords (two letters, a length byte, the value), "SN"
/// being the serial and "RV" the checksum that closes the area. Whatever is malformed yields no serial, never an error.
/// </summary>
public static class PciVpd
{
    /// <summary>VPD addresses are 15 bits: no device has more, so a read stops here.</summary>
    public const int MaxSize = 0x8000;

    private const byte LargeTag = 0x80;
    private const byte ReadOnlyArea = 0x90;
    private const int EndTagName = 0x0F;

    public static string? ReadSerialNumber(ReadOnlySpan<byte> vpd)
    {
        var offset = 0;
        while (offset < vpd.Length)
        {
            var tag = vpd[offset];
            if ((tag & LargeTag) == 0)
            {
                // Small resource: name in bits 6..3, length in bits 2..0.
                if ((tag >> 3) == EndTagName)
                {
                    return null;
                }
                offset += 1 + (tag & 0x07);
                continue;
            }
            if (offset + 3 > vpd.Length)
            {
                return null;
            }
            var start = offset + 3;
            var length = vpd[offset + 1] | (vpd[offset + 2] << 8);
            if (start + length > vpd.Length)
            {
                return null; // truncated: the area's claimed length runs past what was read
            }
            if (tag == ReadOnlyArea)
            {
                return SerialInReadOnlyArea(vpd, start, start + length);
            }
            offset = start + length;
        }
        return null;
    }

    private static string? SerialInReadOnlyArea(ReadOnlySpan<byte> vpd, int start, int end)
    {
        string? serial = null;
        for (var i = start; i + 3 <= end;)
        {
            var keyword = vpd.Slice(i, 2);
            var value = i + 3;
            var size = vpd[i + 2];
            if (value + size > end)
            {
                return null;
            }
            if (keyword.SequenceEqual("RV"u8))
            {
                // Its first byte makes every byte from the start of the VPD through it sum to zero: a bad sum means
                // the EEPROM is corrupt, and so may be the serial.
                if (size == 0)
                {
                    return null;
                }
                var sum = 0;
                foreach (var b in vpd[..(value + 1)])
                {
                    sum += b;
                }
                return (sum & 0xff) == 0 ? serial : null;
            }
            if (keyword.SequenceEqual("SN"u8))
            {
                serial = Printable(vpd.Slice(value, size));
            }
            i = value + size;
        }
        return serial; // no RV keyword: not conforming, but the serial is what the device says
    }

    /// <summary>The value without padding (spaces, NULs), or null when empty or not printable ASCII.</summary>
    private static string? Printable(ReadOnlySpan<byte> value)
    {
        var trimmed = value.Trim((ReadOnlySpan<byte>)[0x20, 0x00]);
        if (trimmed.IsEmpty || trimmed.ContainsAnyExceptInRange((byte)0x20, (byte)0x7e))
        {
            return null;
        }
        return Encoding.ASCII.GetString(trimmed);
    }
}
