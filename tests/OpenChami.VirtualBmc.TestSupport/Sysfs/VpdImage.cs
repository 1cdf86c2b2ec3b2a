using System.Text;

namespace OpenChami.VirtualBmc.TestSupport.Sysfs;

/// <summary>
/// PCI VPD bytes as an adapter's EEPROM holds them: an identifier string (large tag 0x82), a read-only area (0x90)
/// with the given keywords and a correct RV checksum, and the end tag (0x78).
/// </summary>
public static class VpdImage
{
    public static byte[] Build(string identifier, params (string Keyword, string Value)[] keywords)
    {
        var bytes = new List<byte>();
        AddLarge(bytes, 0x82, Encoding.ASCII.GetBytes(identifier));
        var area = new List<byte>();
        foreach (var (keyword, value) in keywords)
        {
            area.AddRange(Encoding.ASCII.GetBytes(keyword));
            area.Add((byte)value.Length);
            area.AddRange(Encoding.ASCII.GetBytes(value));
        }
        area.AddRange("RV"u8.ToArray());
        area.Add(1);
        area.Add(0); // the checksum, set below
        AddLarge(bytes, 0x90, [.. area]);
        var sum = bytes.Take(bytes.Count - 1).Sum(b => b);
        bytes[^1] = (byte)((256 - (sum % 256)) % 256);
        bytes.Add(0x78);
        return [.. bytes];
    }

    /// <summary>A plausible adapter VPD: name, part number, engineering change level and <paramref name="serial"/>.</summary>
    public static byte[] WithSerial(string serial, string partNumber = "FIXTURE-PART") =>
        Build("Fixture PCIe adapter", ("PN", partNumber), ("EC", "A1"), ("SN", serial));

    private static void AddLarge(List<byte> bytes, byte tag, byte[] data)
    {
        bytes.Add(tag);
        bytes.Add((byte)(data.Length & 0xff));
        bytes.Add((byte)(data.Length >> 8));
        bytes.AddRange(data);
    }
}
