using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Slots.Tests.Configuration;

public sealed class ExampleConfigTests
{
    [Fact]
    public void SeedNodeType_LoadsExactlyAsWritten()
    {
        var result = ConfigurationLoader.LoadNodeType(Path.Combine(RepoPaths.Examples, "seed", "dense-gpu-hsn-node.yaml"));

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var nodeType = result.Value!;
        Assert.Equal("dense-gpu-hsn-node", nodeType.Name);
        var slot = Assert.Single(nodeType.Slots);
        Assert.Equal(("slot0", "gpu-dev-small", "ubuntu-hpc-base"), (slot.Name, slot.Profile, slot.Image));
        Assert.Equal((32, NumaPolicy.Strict, (int?)null), (slot.Cpu.Cores, slot.Cpu.NumaPolicy, slot.Cpu.NumaNode));
        Assert.Equal((256, true, HugepageSize.OneGiB), (slot.Memory.SizeGiB, slot.Memory.Hugepages, slot.Memory.EffectivePageSize));
        Assert.Collection(slot.Devices,
            gpu =>
            {
                Assert.Equal(("gpu0", DeviceKind.Gpu, (NicMode?)null), (gpu.Name, gpu.Kind, gpu.Mode));
                Assert.Equal(PciAddress.Parse("0000:81:00.0"), gpu.Selector.PciAddress);
                Assert.Equal("GPU0", gpu.Selector.PhysicalLabel);
                Assert.Equal(13, gpu.Where.Line);
            },
            hsn =>
            {
                Assert.Equal(("hsn0", DeviceKind.Nic, (NicMode?)NicMode.SriovVf), (hsn.Name, hsn.Kind, hsn.Mode));
                Assert.Equal(("mlx5_0", (int?)0), (hsn.Selector.Pf, hsn.Selector.VfIndex));
            },
            data =>
            {
                Assert.Equal(("data0", DeviceKind.Nic, (NicMode?)NicMode.SriovVf), (data.Name, data.Kind, data.Mode));
                Assert.Equal(("ens7f0", (int?)0), (data.Selector.Pf, data.Selector.VfIndex));
            });
    }

    [Fact]
    public void DemoHost_LoadsWithFourSlotsAndResolvedPaths()
    {
        var hostFile = Path.Combine(RepoPaths.Examples, "demo", "host.yaml");
        var result = ConfigurationLoader.Load(hostFile);

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var site = result.Value!;
        Assert.Equal(["slot0", "slot1", "slot2", "slot3"], site.Slots.Select(s => s.Name));
        Assert.Equal(Path.Combine(RepoPaths.Root, ".demo", "sysfs"), site.Host.SysfsRoot);
        Assert.Equal("test:///default", site.Host.LibvirtUri);
        Assert.Equal(["127.0.0.10:8443", "127.0.0.11:8443", "127.0.0.12:8443", "127.0.0.13:8443"], site.Slots.Select(s => s.Bmc.ToString()));
        Assert.All(site.Slots, s => Assert.Equal(["mgmt0"], s.Template.Networks.Select(n => n.Name)));
        Assert.True(site.Slots.Count(s => s.Template.Devices.Count >= 3) == 4, "every demo slot binds GPUs and an HSN VF");
        Assert.Null(site.NodeType.FindSlot("slot3")!.Image);
        Assert.Equal("ubuntu-hpc-base", site.FindSlot("slot3")!.Image); // the host file's override
    }

    [Fact]
    public void DemoAccounts_Load()
    {
        var result = ConfigurationLoader.LoadAccounts(Path.Combine(RepoPaths.Examples, "demo", "accounts.yaml"));

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var admin = Assert.Single(result.Value!);
        Assert.Equal(("admin", AccountRole.Administrator, true), (admin.UserName, admin.Role, admin.Enabled));
    }

    [Fact]
    public void DemoCatalog_Loads_AndPinsTheGeneratedBaseImage()
    {
        var result = ImageCatalogReader.LoadFile(Path.Combine(RepoPaths.Examples, "demo", "images.yaml"));

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var entry = Assert.Single(result.Value!);
        Assert.Equal(DiskImages.DemoImageName, entry.Name);
        Assert.Equal(new Uri(Path.Combine(RepoPaths.Root, ".demo", "images", "ubuntu-hpc-base.img")), entry.Source);
        Assert.Equal(OpenChami.VirtualBmc.Slots.Images.DiskImageFormat.Raw, entry.Format);
        // make demo generates the image; the catalog's checksum must be the generator's.
        Assert.Equal(DiskImages.Sha256(DiskImages.DemoBaseImage()), entry.Sha256);
        Assert.Equal(DiskImages.DemoBaseImageSha256, entry.Sha256);
        // Every demo slot with an image names this one (slot3 through its host entry).
        var site = ConfigurationLoader.Load(Path.Combine(RepoPaths.Examples, "demo", "host.yaml")).GetOrThrow();
        Assert.Equal(["slot0", "slot1", "slot2", "slot3"], site.Slots.Where(s => s.Image == entry.Name).Select(s => s.Name));
        Assert.EndsWith("host.yaml", site.FindSlot("slot3")!.ImageWhere!.File, StringComparison.Ordinal);
        Assert.EndsWith("dense-gpu-hsn-node.yaml", site.FindSlot("slot0")!.ImageWhere!.File, StringComparison.Ordinal);
    }

    [Fact]
    public void SerialLogDirectory_IsOffByDefault_AndResolvedAgainstTheHostFile()
    {
        using var dir = new TempDirectory();
        dir.Write("node.yaml", BrokenConfigTests.ValidNodeType);
        var plain = ConfigurationLoader.Load(dir.Write("host.yaml", BrokenConfigTests.ValidHost)).GetOrThrow();
        Assert.Null(plain.Host.SerialLogDirectory);

        var logged = ConfigurationLoader.Load(dir.Write("host.yaml", BrokenConfigTests.ValidHost.Replace(
            "  uri: test:///default", "  uri: test:///default\n  serialLogDirectory: logs/console", StringComparison.Ordinal))).GetOrThrow();
        Assert.Equal(Path.Combine(dir.Path, "logs", "console"), logged.Host.SerialLogDirectory);

        var absolute = ConfigurationLoader.Load(dir.Write("host.yaml", BrokenConfigTests.ValidHost.Replace(
            "  uri: test:///default", "  uri: test:///default\n  serialLogDirectory: /var/log/openchami-vbmc/console", StringComparison.Ordinal))).GetOrThrow();
        Assert.Equal("/var/log/openchami-vbmc/console", absolute.Host.SerialLogDirectory);

        var empty = ConfigurationLoader.Load(dir.Write("host.yaml", BrokenConfigTests.ValidHost.Replace(
            "  uri: test:///default", "  uri: test:///default\n  serialLogDirectory: \"\"", StringComparison.Ordinal)));
        Assert.Contains(empty.Problems, p => p.Code == ProblemCodes.InvalidValue && p.Message.Contains("serialLogDirectory", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("node-type.schema.json")]
    [InlineData("host.schema.json")]
    [InlineData("accounts.schema.json")]
    [InlineData("image-catalog.schema.json")]
    [InlineData("inventory-export.schema.json")]
    public void SchemaInRepo_IsTheOneTheServiceEmbeds(string name)
    {
        // Editors and tools read schemas/ directly; the service must check against the same text.
        var onDisk = File.ReadAllText(Path.Combine(RepoPaths.Schemas, name));
        var embedded = typeof(ConfigurationLoader).Assembly.GetManifestResourceStream("schemas/" + name);
        Assert.NotNull(embedded);
        using var reader = new StreamReader(embedded);
        Assert.Equal(onDisk, reader.ReadToEnd());
    }
}
