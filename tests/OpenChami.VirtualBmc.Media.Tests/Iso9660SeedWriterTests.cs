using System.Text;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Media.Tests;

public sealed class Iso9660SeedWriterTests
{
    private static readonly NoCloudSeed Seed = new(
        "instance-id: 5b0e7c0e-2f7a-5a1b-9c1e-0c3a7e2d5b90\nlocal-hostname: slot0\n",
        "#cloud-config\nruncmd:\n- [sh, -c, 'echo seeded > /run/seeded']\n",
        "version: 2\nethernets:\n  mgmt0:\n    match:\n      macaddress: \"02:11:22:33:44:55\"\n    set-name: mgmt0\n    addresses:\n    - 10.100.0.10/16\n");

    private static readonly string[] Names = ["meta-data", "network-config", "user-data"];

    private static Dictionary<string, string> Expected(NoCloudSeed seed) => seed.Files.ToDictionary(f => f.Name, f => f.Content);

    [Fact]
    public void Image_reads_back_through_both_trees_with_cidata_labels()
    {
        var image = Iso9660SeedWriter.Build(Seed);
        var iso = new IsoReader(image);

        Assert.Equal(0, image.Length % 2048);
        Assert.All(image.AsSpan(0, 16 * 2048).ToArray(), b => Assert.Equal(0, b)); // system area
        var descriptors = iso.Descriptors();
        Assert.Equal([1, 2], descriptors.Select(d => (int)d.Type));
        var (primary, joliet) = (descriptors[0], descriptors[1]);
        Assert.Equal("CIDATA", primary.VolumeId);
        Assert.Equal("cidata", joliet.VolumeId);
        Assert.Equal("%/E"u8.ToArray(), joliet.Escape); // Joliet level 3
        foreach (var d in descriptors)
        {
            Assert.Equal(image.Length / 2048, d.VolumeSectors);
            Assert.Equal(2048, d.BlockSize);
            Assert.Equal(10, d.PathTableSize);
            Assert.Equal((d.RootExtent, 1), iso.PathTableRoot(d.PathL, littleEndian: true));
            Assert.Equal((d.RootExtent, 1), iso.PathTableRoot(d.PathM, littleEndian: false));
        }
        Assert.NotEqual(primary.RootExtent, joliet.RootExtent);

        var jolietFiles = iso.Root(joliet);
        Assert.Equal(Names, jolietFiles.Select(f => f.Name)); // exact names, sorted
        Assert.Equal(["META_DATA.;1", "NETWORK_CONFIG.;1", "USER_DATA.;1"], iso.Root(primary).Select(f => f.Name));
        var expected = Expected(Seed);
        foreach (var file in jolietFiles)
        {
            Assert.Equal(0, file.Flags);
            Assert.Equal([80, 1, 1, 0, 0, 0, 0], file.Date); // 1980-01-01 UTC, never the clock
            Assert.Equal(expected[file.Name], Encoding.UTF8.GetString(iso.Content(file)));
        }
        // Both trees share the data; the primary entries point where the Joliet ones do.
        Assert.Equal(jolietFiles.Select(f => (f.Extent, f.Length)), iso.Root(primary).Select(f => (f.Extent, f.Length)));
    }

    [Fact]
    public void Files_longer_than_a_sector_span_whole_sectors_and_an_empty_file_takes_none()
    {
        var big = "#cloud-config\nwrite_files:\n" + string.Concat(Enumerable.Range(0, 400).Select(i => $"- path: /tmp/f{i}\n"));
        Assert.True(Encoding.UTF8.GetByteCount(big) > 2 * 2048);
        var seed = new NoCloudSeed("instance-id: i-1\n", big, null);
        var plain = new NoCloudSeed("instance-id: i-1\n", "", null);

        var iso = new IsoReader(Iso9660SeedWriter.Build(seed));
        var files = iso.Root(iso.Descriptors()[1]).ToDictionary(f => f.Name);
        var emptyImage = Iso9660SeedWriter.Build(plain);
        var empty = new IsoReader(emptyImage);

        Assert.Equal(["meta-data", "user-data"], files.Keys);
        Assert.Equal(big, Encoding.UTF8.GetString(iso.Content(files["user-data"])));
        Assert.Equal(files["meta-data"].Extent + 1, files["user-data"].Extent);
        // The volume ends 150 zero sectors (mkisofs's padding) after the last file.
        var end = files["user-data"].Extent + ((Encoding.UTF8.GetByteCount(big) + 2047) / 2048);
        Assert.Equal(end + 150, iso.Descriptors()[0].VolumeSectors);
        var emptyFile = Assert.Single(empty.Root(empty.Descriptors()[1]), f => f.Name == "user-data");
        Assert.Equal(0, emptyFile.Length);
        Assert.Equal(26 + 150, emptyImage.Length / 2048); // 25 sectors of structure + meta-data's one + padding
        Assert.All(emptyImage[(26 * 2048)..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Same_seed_gives_the_same_bytes_and_any_change_other_bytes()
    {
        var image = Iso9660SeedWriter.Build(Seed);

        Assert.Equal(image, Iso9660SeedWriter.Build(Seed with { }));
        Assert.NotEqual(image, Iso9660SeedWriter.Build(Seed with { MetaData = Seed.MetaData.Replace("slot0", "slot1", StringComparison.Ordinal) }));
        Assert.NotEqual(image.Length, Iso9660SeedWriter.Build(Seed with { NetworkConfig = null }).Length);
    }

    [Fact]
    public void Write_replaces_atomically_with_mode_0640_and_leaves_an_identical_file_alone()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "slots", "slot0", "seed.iso"); // the slot directory does not exist yet
        var writer = new Iso9660SeedWriter();

        writer.Write(path, Seed);
        Assert.Equal(Iso9660SeedWriter.Build(Seed), File.ReadAllBytes(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));

        var old = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, old);
        writer.Write(path, Seed);
        Assert.Equal(old, File.GetLastWriteTimeUtc(path)); // nothing rewritten

        File.SetUnixFileMode(path, UnixFileMode.UserRead); // even over a read-only file: rename replaces it
        var changed = Seed with { UserData = "" };
        writer.Write(path, changed);
        Assert.NotEqual(old, File.GetLastWriteTimeUtc(path));
        Assert.Equal(Iso9660SeedWriter.Build(changed), File.ReadAllBytes(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        Assert.Equal(["seed.iso"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName)); // no temporary left
    }

    [SkippableFact]
    public void Xorriso_reads_the_Joliet_tree_and_extracts_the_same_bytes()
    {
        Skip.IfNot(ExternalTool.Exists("xorriso"), "xorriso is not installed (Debian package xorriso; `make deps` installs it)");
        using var dir = new TempDirectory();
        var iso = Path.Combine(dir.Path, "seed.iso");
        new Iso9660SeedWriter().Write(iso, Seed);
        var extracted = Path.Combine(dir.Path, "out");

        var toc = ExternalTool.Run("xorriso", "-indev", iso, "-toc", "-pvd_info");
        var extract = ExternalTool.Run("xorriso", "-osirrox", "on", "-indev", iso, "-extract", "/", extracted);
        if (Directory.Exists(extracted))
        {
            File.SetUnixFileMode(extracted, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // the ISO's root is r-x
        }

        Assert.True(toc.Code == 0, toc.Err);
        Assert.Matches(@"ISO loaded\s*:\s*Joliet", toc.Err + toc.Out);
        Assert.Matches(@"PVD address\s*:\s*16s", toc.Err + toc.Out);
        Assert.Matches(@"Volume Id\s*:\s*CIDATA\n", toc.Err + toc.Out); // the primary descriptor's; blkid reports Joliet's
        Assert.Matches(@"Creation Time\s*:\s*1980010100000000", toc.Err + toc.Out);
        Assert.True(extract.Code == 0, extract.Err);
        Assert.Equal(Names, Directory.GetFiles(extracted).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (name, content) in Seed.Files)
        {
            Assert.Equal(Encoding.UTF8.GetBytes(content), File.ReadAllBytes(Path.Combine(extracted, name)));
        }
    }

    [SkippableFact]
    public void Blkid_sees_an_iso9660_filesystem_labelled_cidata()
    {
        Skip.IfNot(ExternalTool.Exists("blkid"), "blkid is not installed (Debian package util-linux)");
        using var dir = new TempDirectory();
        var iso = Path.Combine(dir.Path, "seed.iso");
        new Iso9660SeedWriter().Write(iso, Seed);

        var probe = ExternalTool.Run("blkid", "-p", "-o", "export", iso);

        Assert.True(probe.Code == 0, probe.Err);
        var tags = probe.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal("cidata", tags["LABEL"]); // what cloud-init's LABEL=cidata lookup matches
        Assert.Equal("iso9660", tags["TYPE"]);
    }

    [SkippableFact]
    public void Linux_mounts_it_and_shows_the_files_under_their_Joliet_names()
    {
        Skip.IfNot(ExternalTool.Run("id", "-u").Out.Trim() == "0", "mounting a loop device needs root");
        Skip.IfNot(ExternalTool.Exists("mount"), "mount is not installed");
        using var dir = new TempDirectory();
        var iso = Path.Combine(dir.Path, "seed.iso");
        new Iso9660SeedWriter().Write(iso, Seed);
        var target = Directory.CreateDirectory(Path.Combine(dir.Path, "mnt")).FullName;

        var mount = ExternalTool.Run("mount", "-o", "loop,ro", "-t", "iso9660", iso, target);
        // Only a kernel or container that cannot mount at all is a reason to skip; any other failure is the image's.
        Skip.If(mount.Code != 0 && (mount.Err.Contains("unknown filesystem type", StringComparison.Ordinal) || mount.Err.Contains("loop device", StringComparison.Ordinal)),
            $"this kernel or container cannot loop-mount iso9660: {mount.Err.Trim()}");
        Assert.True(mount.Code == 0, mount.Err);
        try
        {
            Assert.Equal(Names, Directory.GetFiles(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            foreach (var (name, content) in Seed.Files)
            {
                Assert.Equal(content, File.ReadAllText(Path.Combine(target, name)));
            }
        }
        finally
        {
            ExternalTool.Run("umount", target);
        }
    }
}
