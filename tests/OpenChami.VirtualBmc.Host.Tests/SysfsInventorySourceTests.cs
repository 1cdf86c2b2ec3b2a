using OpenChami.VirtualBmc.Host;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Inventory;
using OpenChami.VirtualBmc.TestSupport;
using OpenChami.VirtualBmc.TestSupport.Sysfs;

namespace OpenChami.VirtualBmc.Host.Tests;

/// <summary>The reader against generated trees: every link kind, and what sysfs leaves out (no IOMMU, numa -1, unbound).</summary>
public sealed class SysfsInventorySourceTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-sysfs");

    public void Dispose() => temp.Dispose();

    private HostInventory Read(SysfsTreeBuilder builder) => new SysfsInventorySource(builder.Write(temp.Path)).Read();

    private static PciFunction Fn(HostInventory inventory, string bdf) =>
        inventory.FindByAddress(PciAddress.Parse(bdf)) ?? throw new Xunit.Sdk.XunitException($"{bdf} not read");

    [Fact]
    public void Dense_tree_has_every_link_resolving_and_relative()
    {
        DenseNodeFixture.Build(temp.Path);
        var links = 0;
        var pending = new Stack<string>([temp.Path]);
        while (pending.Count > 0)
        {
            foreach (var path in Directory.EnumerateFileSystemEntries(pending.Pop()))
            {
                var info = new FileInfo(path);
                if (info.LinkTarget is { } target)
                {
                    links++;
                    Assert.False(Path.IsPathRooted(target), $"{path} -> {target} is absolute");
                    Assert.True(Directory.Exists(path) || File.Exists(path), $"{path} -> {target} dangles");
                }
                else if (Directory.Exists(path))
                {
                    pending.Push(path); // real directories only: sysfs links make cycles
                }
            }
        }
        // 4 trees × (root + up + 3 down + 2 GPUs + PF) + 14 VFs = 46 functions, each with ≥ 3 links.
        Assert.True(links > 46 * 3, $"only {links} links");
    }

    [Fact]
    public void Dense_tree_reads_functions_classes_and_hierarchy()
    {
        var inv = Read(DenseNodeFixture.Create());

        Assert.Equal(46, inv.Functions.Count);
        var gpu0 = Fn(inv, "0000:18:00.0");
        Assert.Equal((0x10de, 0x2330, 0x030200, 0x10de, 0x16c1), (gpu0.VendorId, gpu0.DeviceId, gpu0.ClassCode, gpu0.SubsystemVendorId, gpu0.SubsystemDeviceId));
        Assert.True(gpu0.IsDisplay);
        Assert.False(gpu0.IsBridge);
        Assert.Equal(PciAddress.Parse("0000:17:00.0"), gpu0.ParentBridge);
        Assert.Equal(0, gpu0.NumaNode);
        Assert.Equal(13, gpu0.IommuGroup);
        Assert.Equal("vfio-pci", gpu0.Driver);
        Assert.Equal("vfio-pci", gpu0.DriverOverride);
        Assert.Equal("SXM1", gpu0.SlotName);

        var rootPort = Fn(inv, "0000:15:01.0");
        Assert.True(rootPort.IsBridge);
        Assert.Null(rootPort.ParentBridge);
        Assert.Equal("pcieport", rootPort.Driver);
        Assert.Equal(PciAddress.Parse("0000:b8:00.0"), Fn(inv, "0000:b9:00.0").ParentBridge);
        Assert.Equal(1, Fn(inv, "0000:bb:00.0").NumaNode);
    }

    [Fact]
    public void Drivers_unbound_and_null_override_are_read_as_absent()
    {
        var inv = Read(DenseNodeFixture.Create());

        Assert.Equal("nvidia", Fn(inv, "0000:9a:00.0").Driver);
        Assert.Null(Fn(inv, "0000:9a:00.0").DriverOverride); // file says "(null)"
        Assert.Null(Fn(inv, "0000:bb:00.0").Driver);           // GPU7: no driver link
        Assert.Equal("mlx5_core", Fn(inv, "0000:1a:00.0").Driver);
    }

    [Fact]
    public void Iommu_groups_are_read_from_both_sides()
    {
        var inv = Read(DenseNodeFixture.Create());

        Assert.True(inv.IommuEnabled);
        var shared = inv.FindIommuGroup(42)!;
        Assert.Equal([PciAddress.Parse("0000:b9:00.0"), PciAddress.Parse("0000:ba:00.0")], shared.Members);
        Assert.Equal(42, Fn(inv, "0000:ba:00.0").IommuGroup);
        Assert.Equal(shared.Members, Fn(inv, "0000:ba:00.0").IommuGroupMembers);
        Assert.Equal([PciAddress.Parse("0000:18:00.0")], Fn(inv, "0000:18:00.0").IommuGroupMembers);
        Assert.Equal(53, Fn(inv, "0000:bc:00.7").IommuGroup);
        Assert.Equal(54, Fn(inv, "0000:bc:01.0").IommuGroup);
        Assert.All(inv.IommuGroups, g => Assert.All(g.Members, m => Assert.Equal(g.Number, Fn(inv, m.ToString()).IommuGroup)));
    }

    [Fact]
    public void Sriov_pf_and_vf_links_agree_in_both_directions()
    {
        var inv = Read(DenseNodeFixture.Create());

        var pfA = Fn(inv, "0000:1a:00.0");
        Assert.Equal(16, pfA.Sriov!.TotalVfs);
        Assert.Equal(4, pfA.Sriov.NumVfs);
        Assert.Equal(["0000:1a:00.1", "0000:1a:00.2", "0000:1a:00.3", "0000:1a:00.4"], pfA.Sriov.Vfs.Select(v => v.Address.ToString()));
        Assert.All(pfA.Sriov.Vfs, v => Assert.True(v.PointsBack));

        var pfD = Fn(inv, "0000:bc:00.0");
        Assert.Equal(8, pfD.Sriov!.NumVfs);
        Assert.Equal(PciAddress.Parse("0000:bc:01.0"), pfD.Sriov.FindVf(7)!.Address); // ARI: function 8 is 01.0

        var pfC = Fn(inv, "0000:9c:00.0");
        Assert.Equal((16, 0), (pfC.Sriov!.TotalVfs, pfC.Sriov.NumVfs));
        Assert.Empty(pfC.Sriov.Vfs);

        var vf = Fn(inv, "0000:1a:00.3");
        Assert.Equal(new VirtualFunctionInfo(pfA.Address, 2, true), vf.VirtualFunction);
        Assert.Null(Fn(inv, "0000:18:00.0").Sriov);
        Assert.Null(pfA.VirtualFunction);
    }

    [Fact]
    public void Dangling_physfn_is_reported_not_thrown()
    {
        var inv = Read(DenseNodeFixture.Create().Function("0000:1a:00.1", f => f.PhysFnTargetOverride = "0000:1a:01.7"));

        var vf = Fn(inv, "0000:1a:00.1");
        Assert.NotNull(vf.VirtualFunction);
        Assert.Null(vf.VirtualFunction.PhysFn);
        Assert.False(vf.VirtualFunction.IsConsistent);
        var link = Fn(inv, "0000:1a:00.0").Sriov!.FindVf(0)!;
        Assert.Equal(vf.Address, link.Address);
        Assert.False(link.PointsBack);
    }

    [Fact]
    public void Mismatched_physfn_is_reported_on_both_sides()
    {
        // 1a:00.2 claims 1a:00.1 as its PF: a sibling that exists but lists no such VF.
        var inv = Read(DenseNodeFixture.Create().Function("0000:1a:00.2", f => f.PhysFnTargetOverride = "0000:1a:00.1"));

        var vf = Fn(inv, "0000:1a:00.2");
        Assert.Equal(PciAddress.Parse("0000:1a:00.1"), vf.VirtualFunction!.PhysFn);
        Assert.False(vf.VirtualFunction.ListedByPf);
        Assert.False(Fn(inv, "0000:1a:00.0").Sriov!.FindVf(1)!.PointsBack);
        Assert.True(Fn(inv, "0000:1a:00.0").Sriov!.FindVf(0)!.PointsBack);
    }

    [Fact]
    public void Netdevs_and_rdma_devices_belong_to_their_function()
    {
        var inv = Read(DenseNodeFixture.Create().OperState("ibp60s0", "down"));

        Assert.Equal([new NetDevice("ibp26s0", "up")], Fn(inv, "0000:1a:00.0").NetDevices);
        Assert.Equal(["mlx5_0"], Fn(inv, "0000:1a:00.0").RdmaDevices);
        Assert.Equal(["mlx5_3"], Fn(inv, "0000:bc:00.0").RdmaDevices);
        Assert.Equal(PciAddress.Parse("0000:3c:00.0"), inv.FindByNetDev("ibp60s0")!.Address);
        Assert.False(inv.FindByNetDev("ibp60s0")!.NetDevices.Single().IsUp);
        Assert.Equal(PciAddress.Parse("0000:1a:00.3"), inv.FindByNetDev("ibp26s0v2")!.Address);
        Assert.Equal(PciAddress.Parse("0000:9c:00.0"), inv.FindByRdma("mlx5_2")!.Address);
        Assert.Equal(["mlx5_4", "mlx5_5", "mlx5_6", "mlx5_7", "mlx5_8"],
            inv.Functions.Where(f => f.IsVirtualFunction).SelectMany(f => f.RdmaDevices));
        Assert.Empty(Fn(inv, "0000:1a:00.1").NetDevices); // vfio-pci VF: no netdev
        Assert.Null(inv.FindByNetDev("eth9"));
    }

    [Fact]
    public void Netdev_below_a_virtio_child_belongs_to_the_pci_function()
    {
        var root = new SysfsTreeBuilder()
            .Add(new FunctionSpec(PciAddress.Parse("0000:00:03.0")) { Vendor = 0x1af4, Device = 0x1041, Class = 0x020000, Driver = "virtio-pci" })
            .Write(temp.Path);
        // virtio puts the netdev one level down: <bdf>/virtio2/net/eth0.
        var bdfDir = Path.Combine(root, "sys", "devices", "pci0000:00", "0000:00:03.0");
        var eth0 = Path.Combine(bdfDir, "virtio2", "net", "eth0");
        Directory.CreateDirectory(eth0);
        File.WriteAllText(Path.Combine(eth0, "operstate"), "up\n");
        Directory.CreateSymbolicLink(Path.Combine(root, "sys", "class", "net", "eth0"), Path.GetRelativePath(Path.Combine(root, "sys", "class", "net"), eth0));
        Directory.CreateSymbolicLink(Path.Combine(root, "sys", "class", "net", "lo"), "../../devices/virtual/net/lo");
        Directory.CreateDirectory(Path.Combine(root, "sys", "devices", "virtual", "net", "lo"));

        var inv = new SysfsInventorySource(root).Read();

        Assert.Equal([new NetDevice("eth0", "up")], inv.FindByAddress(PciAddress.Parse("0000:00:03.0"))!.NetDevices);
        Assert.Null(inv.FindByNetDev("lo"));
    }

    [Fact]
    public void Iommu_off_gives_no_groups_and_no_group_numbers()
    {
        var inv = Read(DenseNodeFixture.Create().IommuOff());

        Assert.False(inv.IommuEnabled);
        Assert.Empty(inv.IommuGroups);
        Assert.All(inv.Functions, f => Assert.Null(f.IommuGroup));
        Assert.All(inv.Functions, f => Assert.Empty(f.IommuGroupMembers));
        Assert.Equal(46, inv.Functions.Count);
    }

    [Fact]
    public void Numa_minus_one_is_unknown_not_node_zero()
    {
        var inv = Read(DenseNodeFixture.Create().Numa("0000:18:00.0", -1));

        Assert.Null(Fn(inv, "0000:18:00.0").NumaNode);
        Assert.Equal(0, Fn(inv, "0000:19:00.0").NumaNode);
    }

    [Fact]
    public void Numa_nodes_cpus_memory_and_hugepages()
    {
        var inv = Read(DenseNodeFixture.Create().Hugepages(1, 1048576, 448, 100));

        Assert.Equal([0, 1], inv.NumaNodes.Select(n => n.Id));
        Assert.Equal(128, inv.CpuCount);
        var node0 = inv.FindNumaNode(0)!;
        Assert.Equal(64, node0.Cpus.Count);
        Assert.Contains(64, node0.Cpus);
        Assert.DoesNotContain(32, node0.Cpus);
        Assert.Equal(DenseNodeFixture.MemTotalKiBPerNode, node0.MemTotalKiB);
        Assert.Equal(new HugepagePool(1048576, 448, 448), node0.Pool(1048576));
        Assert.Equal(new HugepagePool(2048, 1024, 1024), node0.Pool(2048));
        Assert.Equal(100, inv.FindNumaNode(1)!.Pool(1048576)!.Free);
    }

    [Fact]
    public void Pci_slot_labels_name_function_zero_of_the_slot()
    {
        var inv = Read(DenseNodeFixture.Create());

        Assert.Equal(PciAddress.Parse("0000:ba:00.0"), inv.FindBySlotLabel("SXM7")!.Address);
        Assert.Equal(PciAddress.Parse("0000:bc:00.0"), inv.FindBySlotLabel("PCIE4")!.Address); // not its VFs on 00.1+
        Assert.Null(inv.FindBySlotLabel("SXM9"));
    }

    [Fact]
    public void Vpd_serials_and_firmware_labels_are_read_where_present()
    {
        var inv = Read(DenseNodeFixture.Create()
            .Function("0000:19:00.0", f => f.FirmwareLabel = "GPU SXM 2")
            .Function("0000:3a:00.0", f => f.VpdUnreadable = true)
            .Function("0000:3b:00.0", f => f.Vpd = [0xff, 0xff, 0xff, 0xff])
            .Serial("0000:9a:00.0", null)
            .Serial("0000:1a:00.1", "VF-SERIAL")
            .Serial("0000:17:00.0", "BRIDGE-SERIAL"));

        PciFunction f(string bdf) => Fn(inv, bdf);
        Assert.Equal(("1654923000001", false, (string?)null), (f("0000:18:00.0").SerialNumber, f("0000:18:00.0").VpdUnreadable, f("0000:18:00.0").FirmwareLabel));
        Assert.Equal(("1654923000002", "GPU SXM 2"), (f("0000:19:00.0").SerialNumber, f("0000:19:00.0").FirmwareLabel));
        Assert.Equal(DenseNodeFixture.PfSerial(0), f("0000:1a:00.0").SerialNumber);
        Assert.Equal(((string?)null, true), (f("0000:3a:00.0").SerialNumber, f("0000:3a:00.0").VpdUnreadable));
        Assert.Equal(((string?)null, false), (f("0000:3b:00.0").SerialNumber, f("0000:3b:00.0").VpdUnreadable)); // garbage
        Assert.Equal(((string?)null, false), (f("0000:9a:00.0").SerialNumber, f("0000:9a:00.0").VpdUnreadable)); // no vpd file
        // VFs and bridges are not read: a VF's vpd is its PF's, a switch port has none worth the config-space reads.
        Assert.Null(f("0000:1a:00.1").SerialNumber);
        Assert.Null(f("0000:17:00.0").SerialNumber);
    }

    [Fact]
    public void Attributes_are_read_whole_and_trimmed_at_every_length()
    {
        // Attributes are read through a one-page buffer; a file that fills it is read the ordinary way.
        var page = new string('x', 4096);
        var longer = "Slot " + new string('é', 3000); // 6,005 bytes of UTF-8
        var inv = Read(DenseNodeFixture.Create()
            .Function("0000:18:00.0", f => f.FirmwareLabel = " \tGPU SXM 1 \n")
            .Function("0000:19:00.0", f => f.FirmwareLabel = page[..4094] + "y") // a page with its newline
            .Function("0000:3a:00.0", f => f.FirmwareLabel = page[..4095] + "z") // a page and a byte: fills the buffer
            .Function("0000:3b:00.0", f => f.FirmwareLabel = longer));

        Assert.Equal("GPU SXM 1", Fn(inv, "0000:18:00.0").FirmwareLabel);
        Assert.Equal(page[..4094] + "y", Fn(inv, "0000:19:00.0").FirmwareLabel);
        Assert.Equal(page[..4095] + "z", Fn(inv, "0000:3a:00.0").FirmwareLabel);
        Assert.Equal(longer, Fn(inv, "0000:3b:00.0").FirmwareLabel);
    }

    [Fact]
    public void Empty_root_reads_as_an_empty_host()
    {
        var inv = new SysfsInventorySource(temp.Path).Read();

        Assert.Empty(inv.Functions);
        Assert.False(inv.IommuEnabled);
        Assert.Empty(inv.NumaNodes);
    }

    [Fact]
    public void Real_sys_of_this_machine_reads_without_throwing()
    {
        var inv = new SysfsInventorySource("/").Read();

        Assert.NotEmpty(inv.Functions);
    }

    [Fact]
    public void Cpu_model_is_the_first_model_name_of_proc_cpuinfo_and_null_without_it()
    {
        Assert.Equal("AMD EPYC 9654 96-Core Processor", Read(DenseNodeFixture.Create()).CpuModel);
        var none = DenseNodeFixture.Create();
        none.CpuModel = null;
        using var other = new TempDirectory("vbmc-sysfs");
        Assert.Null(new SysfsInventorySource(none.Write(other.Path)).Read().CpuModel);
    }
}
