using System.Buffers.Binary;
using System.Text;
using OpenChami.VirtualBmc.Slots.Images;

namespace OpenChami.VirtualBmc.Media;

/// <summary>
/// Writes a slot's NoCloud seed as a small ISO 9660 image (ECMA-119) with a Joliet tree, volume label <c>cidata</c>,
/// by which cloud-init's NoCloud datasource finds it (it asks blkid for <c>LABEL=cidata</c> and <c>LABEL=CIDATA</c>). Linux prefers the
/// Joliet tree, so the guest sees <c>meta-data</c>, <c>user-data</c> and <c>network-config</c> exactly; the primary tree
/// carries the same files under ISO level 2 names (<c>META_DATA.;1</c>) for readers without Joliet.
/// <para>
/// Deterministic: every timestamp is 1980-01-01T00:00:00Z (no clock), so one seed always gives the same bytes and a
/// rewrite at each start is a no-op. Layout, one 2048-byte sector each: 0–15 system area, 16 primary volume
/// descriptor, 17 Joliet supplementary descriptor, 18 terminator, 19–22 path tables (L and M, primary then Joliet),
/// 23–24 root directories, then each file's data from a sector boundary (both trees share the file extents), then 150 zero sectors.
/// </para>
/// </summary>
public sealed class Iso9660SeedWriter : ISeedImageWriter
{
    public const int SectorSize = 2048;

    /// <summary>Zero sectors after the last file (mkisofs -pad: 150 sectors, 300 KiB).</summary>
    private const int PaddingSectors = 150;

    /// <summary>
    /// The volume label. The primary descriptor holds d-characters only, so it says <c>CIDATA</c>; Joliet's says
    /// <c>cidata</c>, which blkid (and so cloud-init's <c>LABEL=cidata</c> lookup) reports when a Joliet tree is present.
    /// cloud-init accepts either spelling.
    /// </summary>
    public const string PrimaryVolumeId = "CIDATA", JolietVolumeId = "cidata";

    /// <summary>0640: the service writes, libvirt's group (or its relabelling) lets QEMU read; the seed may hold secrets.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    private const int PrimaryDescriptor = 16, JolietDescriptor = 17, Terminator = 18;
    private const int PrimaryPathL = 19, PrimaryPathM = 20, JolietPathL = 21, JolietPathM = 22;
    private const int PrimaryRoot = 23, JolietRoot = 24, FirstData = 25;
    private const int PathTableSize = 10; // one record: the root (8 bytes + 1-byte identifier + 1 pad)

    private static readonly DateTime Stamp = new(1980, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// Writes the image atomically: a temporary file in the same directory, fsync, mode 0640, rename over
    /// <paramref name="path"/>. A file that already holds exactly these bytes is left alone (same inode, owner and
    /// labels libvirt may have set). The directory itself is not fsync'ed (.NET cannot open one); after a crash the
    /// next start writes the seed again.
    /// </summary>
    public void Write(string path, NoCloudSeed seed)
    {
        var image = Build(seed);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        if (File.Exists(path) && new FileInfo(path).Length == image.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(image))
        {
            return;
        }
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode }))
            {
                stream.Write(image);
                stream.Flush(flushToDisk: true);
            }
            File.SetUnixFileMode(temporary, FileMode); // the create mode went through the umask
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The image bytes of <paramref name="seed"/>.</summary>
    public static byte[] Build(NoCloudSeed seed) =>
        Build(seed.Files.Select(f => (f.Name, Encoding.UTF8.GetBytes(f.Content))).ToList());

    internal static byte[] Build(IReadOnlyList<(string Name, byte[] Data)> files)
    {
        var extents = new int[files.Count];
        var next = FirstData;
        for (var i = 0; i < files.Count; i++)
        {
            // An empty file has no data sector; its extent is never read, 0 keeps it inside the volume.
            extents[i] = files[i].Data.Length == 0 ? 0 : next;
            next += (files[i].Data.Length + SectorSize - 1) / SectorSize;
        }
        // Padding, as mkisofs adds by default: tools that probe labels read a fixed 68 KiB window at the start (busybox
        // findfs/blkid's volume_id gives up on a shorter device and never sees the cidata label), and the kernel's
        // read-ahead on the last sectors of a small CD image is known to fail. The volume includes the padding.
        next += PaddingSectors;
        var image = new byte[next * SectorSize];

        var primary = files.Select((f, i) => (Id: Encoding.ASCII.GetBytes(PrimaryName(f.Name) + ";1"), Extent: extents[i], f.Data.Length)).ToList();
        var joliet = files.Select((f, i) => (Id: Encoding.BigEndianUnicode.GetBytes(f.Name), Extent: extents[i], f.Data.Length)).ToList();
        if (primary.Select(p => Encoding.ASCII.GetString(p.Id)).Distinct().Count() != files.Count)
        {
            throw new ArgumentException("two file names map to the same ISO 9660 name", nameof(files));
        }

        VolumeDescriptor(Sector(image, PrimaryDescriptor), next, PrimaryRoot, PrimaryPathL, PrimaryPathM, jolietTree: false);
        VolumeDescriptor(Sector(image, JolietDescriptor), next, JolietRoot, JolietPathL, JolietPathM, jolietTree: true);
        var terminator = Sector(image, Terminator);
        terminator[0] = 255;
        "CD001"u8.CopyTo(terminator[1..]);
        terminator[6] = 1;

        PathTable(Sector(image, PrimaryPathL), PrimaryRoot, littleEndian: true);
        PathTable(Sector(image, PrimaryPathM), PrimaryRoot, littleEndian: false);
        PathTable(Sector(image, JolietPathL), JolietRoot, littleEndian: true);
        PathTable(Sector(image, JolietPathM), JolietRoot, littleEndian: false);
        RootDirectory(Sector(image, PrimaryRoot), PrimaryRoot, primary);
        RootDirectory(Sector(image, JolietRoot), JolietRoot, joliet);

        for (var i = 0; i < files.Count; i++)
        {
            files[i].Data.CopyTo(image.AsSpan(extents[i] * SectorSize));
        }
        return image;
    }

    /// <summary>ISO 9660 level 2 name: d-characters (A–Z, 0–9, _) only, and a '.' before the (empty) extension.</summary>
    internal static string PrimaryName(string name)
    {
        var upper = new StringBuilder();
        foreach (var c in name.ToUpperInvariant())
        {
            upper.Append(char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) ? c : '_');
        }
        return (upper.Length > 30 ? upper.ToString(0, 30) : upper.ToString()) + ".";
    }

    private static Span<byte> Sector(byte[] image, int sector) => image.AsSpan(sector * SectorSize, SectorSize);

    private static void VolumeDescriptor(Span<byte> d, int volumeSectors, int root, int pathL, int pathM, bool jolietTree)
    {
        d[0] = (byte)(jolietTree ? 2 : 1);
        "CD001"u8.CopyTo(d[1..]);
        d[6] = 1;
        Text(d.Slice(8, 32), "", jolietTree);                 // system identifier
        Text(d.Slice(40, 32), jolietTree ? JolietVolumeId : PrimaryVolumeId, jolietTree); // volume identifier
        Both32(d[80..], volumeSectors);
        if (jolietTree)
        {
            "%/E"u8.CopyTo(d[88..]);                          // escape sequence: Joliet level 3 (UCS-2)
        }
        Both16(d[120..], 1);                                  // volume set size
        Both16(d[124..], 1);                                  // volume sequence number
        Both16(d[128..], SectorSize);                         // logical block size
        Both32(d[132..], PathTableSize);
        BinaryPrimitives.WriteInt32LittleEndian(d[140..], pathL);
        BinaryPrimitives.WriteInt32BigEndian(d[148..], pathM);
        Record(d.Slice(156, 34), root, SectorSize, directory: true, [0]);
        Text(d.Slice(190, 128), "", jolietTree);              // volume set
        Text(d.Slice(318, 128), "", jolietTree);              // publisher
        Text(d.Slice(446, 128), "", jolietTree);              // data preparer
        Text(d.Slice(574, 128), "OPENCHAMI VIRTUAL BMC", jolietTree); // application
        Text(d.Slice(702, 37), "", jolietTree);               // copyright, abstract, bibliographic file ids
        Text(d.Slice(739, 37), "", jolietTree);
        Text(d.Slice(776, 37), "", jolietTree);
        LongDate(d.Slice(813, 17), Stamp);                    // created
        LongDate(d.Slice(830, 17), Stamp);                    // modified
        LongDate(d.Slice(847, 17), null);                     // expires: never
        LongDate(d.Slice(864, 17), null);                     // effective: at once
        d[881] = 1;                                           // file structure version
    }

    /// <summary>The root's "." and ".." and one record per file, sorted by identifier bytes as ECMA-119 9.3 asks.</summary>
    private static void RootDirectory(Span<byte> sector, int self, List<(byte[] Id, int Extent, int Length)> files)
    {
        var at = Record(sector, self, SectorSize, directory: true, [0]);
        at += Record(sector[at..], self, SectorSize, directory: true, [1]);
        foreach (var (id, extent, length) in files.OrderBy(f => f.Id, ByteOrder.Instance))
        {
            if (at + 34 + id.Length > SectorSize)
            {
                throw new ArgumentException("the seed's directory does not fit one sector", nameof(files));
            }
            at += Record(sector[at..], extent, length, directory: false, id);
        }
    }

    /// <summary>A directory record (ECMA-119 9.1); returns its length, padded to even.</summary>
    private static int Record(Span<byte> r, int extent, int length, bool directory, ReadOnlySpan<byte> id)
    {
        var size = 33 + id.Length + (id.Length % 2 == 0 ? 1 : 0);
        r[0] = (byte)size;
        Both32(r[2..], extent);
        Both32(r[10..], length);
        ShortDate(r.Slice(18, 7), Stamp);
        r[25] = (byte)(directory ? 2 : 0);
        Both16(r[28..], 1);                                   // volume sequence number
        r[32] = (byte)id.Length;
        id.CopyTo(r[33..]);
        return size;
    }

    /// <summary>The one path table record, the root (ECMA-119 9.4): directory number 1, its own parent.</summary>
    private static void PathTable(Span<byte> t, int root, bool littleEndian)
    {
        t[0] = 1;                                             // identifier length
        if (littleEndian)
        {
            BinaryPrimitives.WriteInt32LittleEndian(t[2..], root);
            BinaryPrimitives.WriteInt16LittleEndian(t[6..], 1);
        }
        else
        {
            BinaryPrimitives.WriteInt32BigEndian(t[2..], root);
            BinaryPrimitives.WriteInt16BigEndian(t[6..], 1);
        }
        // t[8] = 0: the root's identifier; t[9] = 0: padding to even length
    }

    /// <summary>A text field padded with spaces: a-characters in the primary descriptor, UCS-2 big endian in Joliet's.</summary>
    private static void Text(Span<byte> field, string value, bool ucs2)
    {
        var bytes = ucs2 ? Encoding.BigEndianUnicode.GetBytes(value) : Encoding.ASCII.GetBytes(value);
        bytes.CopyTo(field);
        for (var i = bytes.Length; i < field.Length; i++)
        {
            field[i] = (byte)(ucs2 && i % 2 == 0 ? 0 : ' ');  // UCS-2 space: 00 20
        }
    }

    /// <summary>Volume descriptor date (8.4.26.1): 16 ASCII digits and a GMT offset; all zeros means "not specified".</summary>
    private static void LongDate(Span<byte> field, DateTime? when)
    {
        Encoding.ASCII.GetBytes(when is { } t ? t.ToString("yyyyMMddHHmmss00", System.Globalization.CultureInfo.InvariantCulture) : "0000000000000000").CopyTo(field);
        field[16] = 0;
    }

    /// <summary>Directory record date (9.1.5): years since 1900, month, day, hour, minute, second, GMT offset.</summary>
    private static void ShortDate(Span<byte> field, DateTime t)
    {
        field[0] = (byte)(t.Year - 1900);
        field[1] = (byte)t.Month;
        field[2] = (byte)t.Day;
        field[3] = (byte)t.Hour;
        field[4] = (byte)t.Minute;
        field[5] = (byte)t.Second;
        field[6] = 0;
    }

    /// <summary>Both-byte order fields (7.2.3, 7.3.3): little endian, then the same value big endian.</summary>
    private static void Both16(Span<byte> field, int value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)value);
        BinaryPrimitives.WriteUInt16BigEndian(field[2..], (ushort)value);
    }

    private static void Both32(Span<byte> field, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(field, value);
        BinaryPrimitives.WriteInt32BigEndian(field[4..], value);
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
