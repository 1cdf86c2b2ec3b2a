using System.Buffers.Binary;
using System.Text;

namespace OpenChami.VirtualBmc.Media.Tests;

/// <summary>
/// Reads back what the seed writer makes, straight from ECMA-119 offsets, and checks what a reader relies on as it
/// goes: every both-byte-order field agrees with itself, the path tables point at the root the descriptor names.
/// Deliberately separate from the writer (no shared constants), so a wrong offset there cannot pass here.
/// </summary>
internal sealed class IsoReader(byte[] image)
{
    public sealed record Descriptor(byte Type, string VolumeId, int VolumeSectors, int BlockSize, int RootExtent, int PathTableSize, int PathL, int PathM, byte[] Escape);

    public sealed record Entry(string Name, int Extent, int Length, byte Flags, byte[] Date);

    public IReadOnlyList<Descriptor> Descriptors()
    {
        var list = new List<Descriptor>();
        for (var sector = 16; ; sector++)
        {
            var d = image.AsSpan(sector * 2048, 2048);
            Assert.Equal("CD001", Encoding.ASCII.GetString(d.Slice(1, 5)));
            Assert.Equal(1, d[6]);
            if (d[0] == 255)
            {
                return list;
            }
            var ucs2 = d[0] == 2;
            var volumeId = ucs2 ? Encoding.BigEndianUnicode.GetString(d.Slice(40, 32)) : Encoding.ASCII.GetString(d.Slice(40, 32));
            var root = d.Slice(156, 34);
            Assert.Equal(34, root[0]);
            list.Add(new Descriptor(d[0], volumeId.TrimEnd(' '), Both32(d[80..]), Both16(d[128..]), Both32(root[2..]), Both32(d[132..]),
                BinaryPrimitives.ReadInt32LittleEndian(d[140..]), BinaryPrimitives.ReadInt32BigEndian(d[148..]), d.Slice(88, 3).ToArray()));
        }
    }

    /// <summary>The root directory's entries after "." and "..", as recorded; names decoded for the tree's kind.</summary>
    public IReadOnlyList<Entry> Root(Descriptor descriptor)
    {
        var dir = image.AsSpan(descriptor.RootExtent * 2048, 2048);
        var entries = new List<Entry>();
        for (var at = 0; at < dir.Length && dir[at] != 0; at += dir[at])
        {
            var r = dir.Slice(at, dir[at]);
            Assert.Equal(0, r[0] % 2);
            Assert.Equal(1, Both16(r[28..]));
            var id = r.Slice(33, r[32]);
            Assert.Equal(33 + id.Length + (id.Length % 2 == 0 ? 1 : 0), r[0]);
            if (id.Length == 1 && id[0] <= 1)
            {
                Assert.Equal(descriptor.RootExtent, Both32(r[2..])); // "." and ".." of the root are the root
                continue;
            }
            var name = descriptor.Type == 2 ? Encoding.BigEndianUnicode.GetString(id) : Encoding.ASCII.GetString(id);
            entries.Add(new Entry(name, Both32(r[2..]), Both32(r[10..]), r[25], r.Slice(18, 7).ToArray()));
        }
        return entries;
    }

    /// <summary>The single path table record: identifier length 1, the root's extent, parent 1 (itself).</summary>
    public (int Extent, int Parent) PathTableRoot(int sector, bool littleEndian)
    {
        var t = image.AsSpan(sector * 2048, 10);
        Assert.Equal(1, t[0]);
        Assert.Equal(0, t[8]);
        return littleEndian
            ? (BinaryPrimitives.ReadInt32LittleEndian(t[2..]), BinaryPrimitives.ReadInt16LittleEndian(t[6..]))
            : (BinaryPrimitives.ReadInt32BigEndian(t[2..]), BinaryPrimitives.ReadInt16BigEndian(t[6..]));
    }

    public byte[] Content(Entry entry) => image.AsSpan(entry.Extent * 2048, entry.Length).ToArray();

    private static int Both32(ReadOnlySpan<byte> field)
    {
        var little = BinaryPrimitives.ReadInt32LittleEndian(field);
        Assert.Equal(little, BinaryPrimitives.ReadInt32BigEndian(field[4..]));
        return little;
    }

    private static int Both16(ReadOnlySpan<byte> field)
    {
        var little = BinaryPrimitives.ReadInt16LittleEndian(field);
        Assert.Equal(little, BinaryPrimitives.ReadInt16BigEndian(field[2..]));
        return little;
    }
}
