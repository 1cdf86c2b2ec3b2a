using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using OpenChami.VirtualBmc.Slots.Images;

namespace OpenChami.VirtualBmc.Media.Images;

/// <summary>The fields of a qcow2 header this project reads: enough to describe an overlay or vet a base image.</summary>
public sealed record Qcow2Header(int Version, int ClusterBits, long VirtualSize, string? BackingFile, string? BackingFormat, ulong IncompatibleFeatures,
    long L1TableOffset, int L1Size, long RefcountTableOffset, int RefcountTableClusters, int RefcountOrder, int HeaderLength);

/// <summary>
/// Writes empty qcow2 (version 3) copy-on-write overlays in managed code, so the service needs no qemu-img: a header
/// naming the backing file, a backing-format header extension (QEMU refuses to probe a backing file's format), 64 KiB
/// clusters, an all-zero L1 table (every read falls through to the base image) and a refcount table and block that
/// count exactly the metadata clusters. Layout, one cluster each: 0 header, 1 refcount table, 2 refcount block,
/// 3… L1 table. Written to the target path with mode 0640, flushed; the caller renames it into place.
/// </summary>
public sealed partial class Qcow2Overlay : IOverlayWriter
{
    public const uint Magic = 0x514649fb; // "QFI\xfb"
    public const int ClusterBits = 16;
    public const int ClusterSize = 1 << ClusterBits;
    private const int HeaderLengthV3 = 104;
    private const uint BackingFormatExtension = 0xe2792aca;
    private const int RefcountOrder = 4; // 16-bit refcounts, what qemu-img writes
    private const int MaxBackingFileName = 1023; // QEMU's limit
    private const ulong IncompatibleDataFile = 1UL << 2;

    public static readonly UnixFileMode OverlayMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    public void Create(string path, BaseImage backing) => Write(path, backing.Path, backing.Format, backing.VirtualSize);

    /// <summary>Writes an overlay of <paramref name="virtualSize"/> bytes on <paramref name="backingFile"/> (absolute).</summary>
    public static void Write(string path, string backingFile, DiskImageFormat backingFormat, long virtualSize)
    {
        if (!Path.IsPathFullyQualified(backingFile))
            throw new ArgumentException($"backing file '{backingFile}' is not an absolute path", nameof(backingFile));
        var name = Encoding.UTF8.GetBytes(backingFile);
        if (name.Length > MaxBackingFileName)
            throw new ArgumentException($"backing file name longer than {MaxBackingFileName} bytes", nameof(backingFile));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(virtualSize);

        // One L2 table maps ClusterSize/8 clusters; the L1 table has one entry per L2 table.
        var l2Coverage = (long)ClusterSize / 8 * ClusterSize;
        var l1Entries = checked((int)((virtualSize + l2Coverage - 1) / l2Coverage));
        var l1Clusters = Math.Max(1, (l1Entries * 8 + ClusterSize - 1) / ClusterSize);
        var totalClusters = 3 + l1Clusters;
        // One refcount block of 16-bit entries covers ClusterSize/2 clusters: plenty for the metadata (≤ 16 TiB guests).
        if (totalClusters > ClusterSize / 2)
            throw new ArgumentOutOfRangeException(nameof(virtualSize), "virtual size too large for a single refcount block");

        var image = new byte[(long)totalClusters * ClusterSize];
        var header = image.AsSpan(0, ClusterSize);
        BinaryPrimitives.WriteUInt32BigEndian(header[0..], Magic);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], 3);
        // Backing format extension right after the fixed header, then the end marker, then the file name.
        var format = Encoding.ASCII.GetBytes(backingFormat == DiskImageFormat.Qcow2 ? "qcow2" : "raw");
        var extension = HeaderLengthV3;
        BinaryPrimitives.WriteUInt32BigEndian(header[extension..], BackingFormatExtension);
        BinaryPrimitives.WriteUInt32BigEndian(header[(extension + 4)..], (uint)format.Length);
        format.CopyTo(header[(extension + 8)..]);
        var end = extension + 8 + Align8(format.Length);
        // End-of-extensions marker: type 0, length 0 (already zero).
        var nameOffset = end + 8;
        name.CopyTo(header[nameOffset..]);
        BinaryPrimitives.WriteUInt64BigEndian(header[8..], (ulong)nameOffset);
        BinaryPrimitives.WriteUInt32BigEndian(header[16..], (uint)name.Length);
        BinaryPrimitives.WriteUInt32BigEndian(header[20..], ClusterBits);
        BinaryPrimitives.WriteUInt64BigEndian(header[24..], (ulong)virtualSize);
        // 32: crypt method 0 (none).
        BinaryPrimitives.WriteUInt32BigEndian(header[36..], (uint)l1Entries);
        BinaryPrimitives.WriteUInt64BigEndian(header[40..], 3UL * ClusterSize);
        BinaryPrimitives.WriteUInt64BigEndian(header[48..], 1UL * ClusterSize);
        BinaryPrimitives.WriteUInt32BigEndian(header[56..], 1);
        // 60: no snapshots; 64: snapshots offset 0; 72/80/88: no incompatible, compatible or autoclear features.
        BinaryPrimitives.WriteUInt32BigEndian(header[96..], RefcountOrder);
        BinaryPrimitives.WriteUInt32BigEndian(header[100..], HeaderLengthV3);

        // Refcount table: its one entry points at the refcount block in cluster 2.
        BinaryPrimitives.WriteUInt64BigEndian(image.AsSpan(ClusterSize), 2UL * ClusterSize);
        // Refcount block: each metadata cluster is used once.
        var block = image.AsSpan(2 * ClusterSize, ClusterSize);
        for (var cluster = 0; cluster < totalClusters; cluster++)
            BinaryPrimitives.WriteUInt16BigEndian(block[(cluster * 2)..], 1);

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = OverlayMode };
        using var file = new FileStream(path, options);
        file.Write(image);
        file.Flush(flushToDisk: true);
    }

    public OverlayInfo? Read(string path)
    {
        if (!File.Exists(path))
            return null;
        var header = ReadHeader(path);
        if (header.BackingFile is null)
            throw new InvalidDataException($"{path} is a qcow2 image without a backing file, not an overlay");
        DiskImageFormat? format = header.BackingFormat switch
        {
            "raw" => DiskImageFormat.Raw,
            "qcow2" => DiskImageFormat.Qcow2,
            _ => null,
        };
        return new OverlayInfo(header.BackingFile, format, header.VirtualSize);
    }

    /// <summary>Parses a qcow2 header (versions 2 and 3). Throws <see cref="InvalidDataException"/> when the file is not qcow2.</summary>
    public static Qcow2Header ReadHeader(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[ClusterSize];
        var length = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return ParseHeader(buffer.AsSpan(0, length), path);
    }

    public static Qcow2Header ParseHeader(ReadOnlySpan<byte> data, string what)
    {
        if (data.Length < 72 || BinaryPrimitives.ReadUInt32BigEndian(data) != Magic)
            throw new InvalidDataException($"{what} is not a qcow2 image (no QFI\\xfb magic)");
        var version = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        if (version is not (2 or 3))
            throw new InvalidDataException($"{what}: qcow2 version {version} is not supported");
        var backingOffset = BinaryPrimitives.ReadUInt64BigEndian(data[8..]);
        var backingSize = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        var clusterBits = (int)BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        var size = (long)BinaryPrimitives.ReadUInt64BigEndian(data[24..]);
        var l1Size = (int)BinaryPrimitives.ReadUInt32BigEndian(data[36..]);
        var l1Offset = (long)BinaryPrimitives.ReadUInt64BigEndian(data[40..]);
        var refcountOffset = (long)BinaryPrimitives.ReadUInt64BigEndian(data[48..]);
        var refcountClusters = (int)BinaryPrimitives.ReadUInt32BigEndian(data[56..]);
        ulong incompatible = 0;
        var refcountOrder = 4;
        var headerLength = 72;
        if (version == 3)
        {
            if (data.Length < HeaderLengthV3)
                throw new InvalidDataException($"{what}: truncated qcow2 v3 header");
            incompatible = BinaryPrimitives.ReadUInt64BigEndian(data[72..]);
            refcountOrder = (int)BinaryPrimitives.ReadUInt32BigEndian(data[96..]);
            headerLength = (int)BinaryPrimitives.ReadUInt32BigEndian(data[100..]);
        }
        string? backing = null;
        if (backingOffset != 0)
        {
            if (backingSize > MaxBackingFileName || backingOffset + backingSize > (ulong)data.Length)
                throw new InvalidDataException($"{what}: backing file name outside the first cluster");
            backing = Encoding.UTF8.GetString(data.Slice((int)backingOffset, (int)backingSize));
        }
        string? backingFormat = null;
        // Header extensions follow the header (v3: at header_length; v2: at 72) up to the end marker.
        var offset = headerLength;
        while (offset + 8 <= data.Length)
        {
            var type = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
            var extLength = (int)BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 4)..]);
            if (type == 0 || extLength < 0 || offset + 8 + extLength > data.Length)
                break;
            if (type == BackingFormatExtension)
                backingFormat = Encoding.ASCII.GetString(data.Slice(offset + 8, extLength));
            offset += 8 + Align8(extLength);
        }
        return new Qcow2Header(version, clusterBits, size, backing, backingFormat, incompatible, l1Offset, l1Size, refcountOffset, refcountClusters, refcountOrder, headerLength);
    }

    /// <summary>
    /// A qcow2 base image must stand alone: a backing file or an external data file in a downloaded header would make
    /// QEMU open whatever host path the image's author wrote.
    /// </summary>
    public static string? RefuseAsBase(Qcow2Header header) =>
        header.BackingFile is not null ? $"it has a backing file of its own ({header.BackingFile}); a base image must stand alone"
        : (header.IncompatibleFeatures & IncompatibleDataFile) != 0 ? "it uses an external data file; a base image must stand alone"
        : null;

    public void Replace(string staged, string target)
    {
        File.Move(staged, target, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(target)!);
    }

    public bool Remove(string path)
    {
        if (!File.Exists(path))
            return false;
        File.Delete(path);
        SyncDirectory(Path.GetDirectoryName(path)!);
        return true;
    }

    private static int Align8(int n) => (n + 7) & ~7;

    /// <summary>fsync on the directory: makes a rename or unlink in it durable (.NET opens no directory handles).</summary>
    public static void SyncDirectory(string directory)
    {
        var fd = Native.Open(directory, Native.ReadOnly | Native.Directory | Native.CloseOnExec);
        if (fd < 0)
            throw new IOException($"cannot open directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Native.Fsync(fd) != 0)
                throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }

    private static partial class Native
    {
        public const int ReadOnly = 0;
        public const int Directory = 0x10000; // O_DIRECTORY (Linux)
        public const int CloseOnExec = 0x80000; // O_CLOEXEC (Linux)

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static partial int Fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);
    }
}
