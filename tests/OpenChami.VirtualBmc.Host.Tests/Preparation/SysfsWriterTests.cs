using OpenChami.VirtualBmc.Host.Preparation;
using OpenChami.VirtualBmc.TestSupport;
using OpenChami.VirtualBmc.TestSupport.Sysfs;

namespace OpenChami.VirtualBmc.Host.Tests.Preparation;

public sealed class SysfsWriterTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-sysfswriter");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Writes_replace_an_existing_attribute_under_the_root()
    {
        DenseNodeFixture.Build(temp.Path);
        var writer = new SysfsWriter(temp.Path);

        writer.Write("/sys/bus/pci/devices/0000:9c:00.0/sriov_numvfs", "4");

        Assert.Equal("4", File.ReadAllText(Path.Combine(temp.Path, "sys/bus/pci/devices/0000:9c:00.0/sriov_numvfs")));
    }

    [Fact]
    public void Never_creates_a_file_nor_leaves_sys()
    {
        DenseNodeFixture.Build(temp.Path);
        var writer = new SysfsWriter(temp.Path);

        Assert.Throws<FileNotFoundException>(() => writer.Write("/sys/bus/pci/devices/0000:9c:00.0/no_such_attr", "1"));
        Assert.Throws<ArgumentException>(() => writer.Write("/etc/passwd", "x"));
        Assert.Throws<ArgumentException>(() => writer.Write("/sys/../etc/passwd", "x"));
        Assert.False(File.Exists(Path.Combine(temp.Path, "sys/bus/pci/devices/0000:9c:00.0/no_such_attr")));
    }
}
