using System.Security.Cryptography;
using System.Text;

namespace OpenChami.VirtualBmc.Media.Tests;

internal static class Images
{
    /// <summary>A fake ISO 9660 image: the "CD001" signature at 0x8001, the rest a pattern seeded by <paramref name="seed"/>.</summary>
    public static byte[] Iso(int size = 64 * 1024, byte seed = 1)
    {
        var data = new byte[size];
        for (var i = 0; i < size; i++)
            data[i] = (byte)(i * 31 + seed);
        "CD001"u8.CopyTo(data.AsSpan(0x8001));
        data[0x8000] = 1;
        return data;
    }

    public static byte[] NotIso(int size = 64 * 1024) => Encoding.ASCII.GetBytes(new string('x', size));

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
