using System.Text;
using OpenChami.VirtualBmc.TestSupport.Sysfs;

namespace OpenChami.VirtualBmc.Host.Tests;

/// <summary>The VPD serial parser on well-formed, cut, keyword-less and garbage images.</summary>
public sealed class PciVpdTests
{
    /// <summary>
    /// Written out byte by byte (not by <see cref="VpdImage"/>), so the parser is checked against the format itself:
    /// 0x82 "NIC" · 0x90 [PN "P1", SN "SN123 " padded, RV checksum] · 0x78.
    /// </summary>
    private static byte[] HandWritten()
    {
        byte[] head = [0x82, 3, 0, (byte)'N', (byte)'I', (byte)'C', 0x90, 18, 0];
        byte[] keywords = [(byte)'P', (byte)'N', 2, (byte)'P', (byte)'1', (byte)'S', (byte)'N', 6, .. "SN123 "u8, (byte)'R', (byte)'V', 1];
        var body = head.Concat(keywords).ToList();
        body.Add((byte)((256 - (body.Sum(b => b) % 256)) % 256));
        body.Add(0x78);
        return [.. body];
    }

    [Fact]
    public void Hand_written_vpd_gives_its_serial_without_padding()
    {
        Assert.Equal("SN123", PciVpd.ReadSerialNumber(HandWritten()));
    }

    [Fact]
    public void Fixture_vpd_round_trips()
    {
        Assert.Equal("1654923000001", PciVpd.ReadSerialNumber(VpdImage.WithSerial("1654923000001")));
    }

    [Fact]
    public void Every_truncation_gives_no_serial_or_the_whole_one()
    {
        var vpd = HandWritten();
        for (var length = 0; length < vpd.Length - 1; length++)
        {
            var serial = PciVpd.ReadSerialNumber(vpd.AsSpan(0, length));
            // Cut anywhere inside the read-only area: its length runs past the data, so nothing is trusted.
            Assert.True(serial is null, $"cut at {length}: {serial}");
        }
        // Only the end tag missing: the area is whole and checksummed.
        Assert.Equal("SN123", PciVpd.ReadSerialNumber(vpd.AsSpan(0, vpd.Length - 1)));
    }

    [Fact]
    public void Vpd_without_sn_keyword_has_no_serial()
    {
        Assert.Null(PciVpd.ReadSerialNumber(VpdImage.Build("GPU", ("PN", "900-1"), ("EC", "A1"))));
    }

    [Fact]
    public void Bad_checksum_means_no_serial()
    {
        var vpd = HandWritten();
        vpd[^2] ^= 0x01;

        Assert.Null(PciVpd.ReadSerialNumber(vpd));
    }

    [Fact]
    public void Serial_outside_the_read_only_area_is_ignored()
    {
        // The same keywords in a read-write area (0x91): writable fields are not the card's identity.
        var vpd = HandWritten();
        vpd[6] = 0x91;

        Assert.Null(PciVpd.ReadSerialNumber(vpd));
    }

    [Fact]
    public void Area_without_rv_keeps_the_serial()
    {
        byte[] vpd = [0x90, 7, 0, (byte)'S', (byte)'N', 4, .. "AB12"u8, 0x78];

        Assert.Equal("AB12", PciVpd.ReadSerialNumber(vpd));
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("erased")]
    [InlineData("zeros")]
    [InlineData("random")]
    [InlineData("text")]
    [InlineData("binary serial")]
    public void Garbage_gives_no_serial(string kind)
    {
        var vpd = kind switch
        {
            "empty" => [],
            "erased" => Enumerable.Repeat((byte)0xff, 256).ToArray(),
            "zeros" => new byte[PciVpd.MaxSize],
            "random" => RandomBytes(4096),
            "text" => Encoding.ASCII.GetBytes("SN=1654923000001\n"),
            _ => VpdImage.Build("GPU", ("SN", "\u0001\u0002bad")),
        };

        Assert.Null(PciVpd.ReadSerialNumber(vpd));
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(20261120).NextBytes(bytes);
        return bytes;
    }
}
