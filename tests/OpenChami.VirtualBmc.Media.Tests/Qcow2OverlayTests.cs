using System.Buffers.Binary;
using OpenChami.VirtualBmc.Media.Images;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Media.Tests;

/// <summary>The managed qcow2 writer: parsed back field by field, and checked by qemu-img itself when it is installed.</summary>
public sealed class Qcow2OverlayTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-qcow2");

    public void Dispose() => temp.Dispose();

    private string RawBase(int size)
    {
        var path = Path.Combine(temp.Path, "base.img");
        File.WriteAllBytes(path, DiskImages.Raw(size, 7));
        return path;
    }

    [Theory]
    [InlineData(1024 * 1024L)]
    [InlineData(10L * 1024 * 1024 * 1024)]
    [InlineData(3L * 1024 * 1024 * 1024 * 1024 + 12345)]
    public void Overlay_ParsesBack_WithBackingFileFormatSizeAndConsistentRefcounts(long virtualSize)
    {
        var overlay = Path.Combine(temp.Path, "root.qcow2");
        Qcow2Overlay.Write(overlay, "/var/lib/openchami-vbmc/images/abc.img", DiskImageFormat.Raw, virtualSize);

        var header = Qcow2Overlay.ReadHeader(overlay);
        Assert.Equal(3, header.Version);
        Assert.Equal(16, header.ClusterBits);
        Assert.Equal(virtualSize, header.VirtualSize);
        Assert.Equal("/var/lib/openchami-vbmc/images/abc.img", header.BackingFile);
        Assert.Equal("raw", header.BackingFormat);
        Assert.Equal(0UL, header.IncompatibleFeatures);
        Assert.Equal(4, header.RefcountOrder);
        Assert.Equal(104, header.HeaderLength);

        // Every L2 table maps 512 MiB; the L1 table starts at cluster 3 and is all zero (nothing allocated yet).
        var l1Entries = (int)((virtualSize + (512L << 20) - 1) / (512L << 20));
        Assert.Equal(l1Entries, header.L1Size);
        Assert.Equal(3L * 65536, header.L1TableOffset);
        var bytes = File.ReadAllBytes(overlay);
        var l1Clusters = Math.Max(1, (l1Entries * 8 + 65535) / 65536);
        Assert.Equal((3 + l1Clusters) * 65536L, bytes.LongLength);
        Assert.All(bytes.AsSpan((int)header.L1TableOffset, l1Entries * 8).ToArray(), b => Assert.Equal(0, b));

        // Refcount table → block in cluster 2; each metadata cluster counted once, nothing else.
        Assert.Equal(65536L, header.RefcountTableOffset);
        Assert.Equal(2UL * 65536, BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(65536)));
        for (var cluster = 0; cluster < 3 + l1Clusters + 2; cluster++)
            Assert.Equal(cluster < 3 + l1Clusters ? 1 : 0, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(2 * 65536 + cluster * 2)));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(overlay));
        var info = new Qcow2Overlay().Read(overlay)!;
        Assert.Equal(new OverlayInfo("/var/lib/openchami-vbmc/images/abc.img", DiskImageFormat.Raw, virtualSize), info);
    }

    [Fact]
    public void Overlay_NeverOverwritesAnExistingFile()
    {
        var overlay = temp.Write("root.qcow2", "precious");
        Assert.Throws<IOException>(() => Qcow2Overlay.Write(overlay, "/x/base.img", DiskImageFormat.Raw, 1 << 20));
        Assert.Equal("precious", File.ReadAllText(overlay));
    }

    [Fact]
    public void Read_RefusesWhatIsNotAnOverlay_AndAbsentIsNull()
    {
        var writer = new Qcow2Overlay();
        Assert.Null(writer.Read(Path.Combine(temp.Path, "absent.qcow2")));
        Assert.Throws<InvalidDataException>(() => writer.Read(temp.Write("text.qcow2", "not qcow2 at all, just text that is long enough to have a header.......")));
    }

    [Fact]
    public void BaseImage_WithABackingFileOrDataFile_IsRefused()
    {
        var chained = Path.Combine(temp.Path, "chained.qcow2");
        Qcow2Overlay.Write(chained, "/etc/shadow", DiskImageFormat.Raw, 1 << 20);
        Assert.Contains("backing file", Qcow2Overlay.RefuseAsBase(Qcow2Overlay.ReadHeader(chained)), StringComparison.Ordinal);

        var header = Qcow2Overlay.ReadHeader(chained) with { BackingFile = null, IncompatibleFeatures = 1UL << 2 };
        Assert.Contains("external data file", Qcow2Overlay.RefuseAsBase(header), StringComparison.Ordinal);
        Assert.Null(Qcow2Overlay.RefuseAsBase(header with { IncompatibleFeatures = 0 }));
    }

    [Fact]
    public void Replace_RenamesAtomically_AndRemoveReportsWhatItDeleted()
    {
        var writer = new Qcow2Overlay();
        var target = temp.Write("root.qcow2", "old");
        var staged = temp.Write("root.qcow2.new", "new");
        writer.Replace(staged, target);
        Assert.Equal("new", File.ReadAllText(target));
        Assert.False(File.Exists(staged));
        Assert.True(writer.Remove(target));
        Assert.False(writer.Remove(target));
    }

    [SkippableFact]
    public void QemuImg_ChecksTheOverlay_AndReadsBackingFormatAndSize()
    {
        Skip.If(DiskImages.QemuImg is null, "qemu-img is not installed (package qemu-utils; tests/qemu/install-deps.sh installs it): the overlay was only parsed back by our reader");
        var basePath = RawBase(3 * 1024 * 1024);
        var overlay = Path.Combine(temp.Path, "root.qcow2");
        new Qcow2Overlay().Create(overlay, new BaseImage(basePath, DiskImageFormat.Raw, 3 * 1024 * 1024, DiskImages.Sha256(basePath)));

        var (code, output, error) = DiskImages.RunQemuImg("check", "--output=json", overlay);
        Assert.True(code == 0, $"qemu-img check: {code}\n{output}\n{error}");
        var info = DiskImages.QemuImgInfo(overlay);
        Assert.Equal("qcow2", info.GetProperty("format").GetString());
        Assert.Equal(3 * 1024 * 1024, info.GetProperty("virtual-size").GetInt64());
        Assert.Equal(basePath, info.GetProperty("backing-filename").GetString());
        Assert.Equal("raw", info.GetProperty("backing-filename-format").GetString());
        Assert.Equal(65536, info.GetProperty("cluster-size").GetInt32());
        Assert.Equal("1.1", info.GetProperty("format-specific").GetProperty("data").GetProperty("compat").GetString());

        // Reads fall through to the base; a write lands in the overlay only.
        var (convert, _, convertError) = DiskImages.RunQemuImg("convert", "-O", "raw", overlay, Path.Combine(temp.Path, "flat.img"));
        Assert.True(convert == 0, convertError);
        Assert.Equal(File.ReadAllBytes(basePath), File.ReadAllBytes(Path.Combine(temp.Path, "flat.img")));
    }

    [SkippableFact]
    public void QemuImg_AcceptsAnOverlayOnAQcow2Base_AndOurReaderReadsQemusHeaders()
    {
        Skip.If(DiskImages.QemuImg is null, "qemu-img is not installed (package qemu-utils): nothing to compare with");
        var basePath = Path.Combine(temp.Path, "base.qcow2");
        Assert.Equal(0, DiskImages.RunQemuImg("create", "-f", "qcow2", basePath, "5G").Code);
        var header = Qcow2Overlay.ReadHeader(basePath);
        Assert.Equal(5L << 30, header.VirtualSize);
        Assert.Null(Qcow2Overlay.RefuseAsBase(header));

        var overlay = Path.Combine(temp.Path, "root.qcow2");
        new Qcow2Overlay().Create(overlay, new BaseImage(basePath, DiskImageFormat.Qcow2, header.VirtualSize, "x"));
        Assert.Equal(0, DiskImages.RunQemuImg("check", overlay).Code);
        var info = DiskImages.QemuImgInfo(overlay);
        Assert.Equal("qcow2", info.GetProperty("backing-filename-format").GetString());
        Assert.Equal(5L << 30, info.GetProperty("virtual-size").GetInt64());

        // qemu-img's own overlay parses with our reader.
        var theirs = Path.Combine(temp.Path, "theirs.qcow2");
        Assert.Equal(0, DiskImages.RunQemuImg("create", "-f", "qcow2", "-b", basePath, "-F", "qcow2", theirs).Code);
        Assert.Equal(new OverlayInfo(basePath, DiskImageFormat.Qcow2, 5L << 30), new Qcow2Overlay().Read(theirs));
    }
}
