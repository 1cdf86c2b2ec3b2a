using System.Globalization;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.TestSupport.Sysfs;

/// <summary>A PCI function to write: identity, placement, binding and SR-IOV role. Mutable so a test can break one thing.</summary>
public sealed class FunctionSpec(PciAddress address)
{
    public PciAddress Address { get; } = address;
    public int Vendor { get; set; }
    public int Device { get; set; }
    public int Class { get; set; }
    public int? SubsystemVendor { get; set; }
    public int? SubsystemDevice { get; set; }
    /// <summary>The bridge this function sits under; null for a root port (directly under its host bridge).</summary>
    public PciAddress? Parent { get; set; }
    /// <summary>Written to numa_node as is: -1 means unknown.</summary>
    public int Numa { get; set; } = -1;
    public string? Driver { get; set; }
    /// <summary>Written to driver_override; null writes the kernel's "(null)".</summary>
    public string? DriverOverride { get; set; }
    public int? IommuGroup { get; set; }
    public int? SriovTotalVfs { get; set; }
    /// <summary>Written to sriov_numvfs; null writes the number of VFs actually present.</summary>
    public int? SriovNumVfsFile { get; set; }
    /// <summary>For a VF: its PF and index (virtfn&lt;Index&gt; on the PF, physfn here).</summary>
    public PciAddress? PhysFn { get; set; }
    public int VfIndex { get; set; }
    /// <summary>Overrides the physfn link's target (a sibling BDF name, existing or not) to break it on purpose.</summary>
    public string? PhysFnTargetOverride { get; set; }
    public List<NetSpec> Net { get; } = [];
    public List<string> Rdma { get; } = [];
    /// <summary>Written to vpd as is (see <see cref="VpdImage"/>); null writes no vpd file.</summary>
    public byte[]? Vpd { get; set; }
    /// <summary>A vpd this process cannot open (a directory in its place: root can read any file).</summary>
    public bool VpdUnreadable { get; set; }
    /// <summary>Written to label (the firmware's slot designation); null writes none.</summary>
    public string? FirmwareLabel { get; set; }
}

public sealed class NetSpec(string name, string operState = "up", int type = 32)
{
    public string Name { get; } = name;
    public string OperState { get; set; } = operState;
    public int Type { get; } = type;
}

public sealed class NumaNodeSpec(int id, string cpuList, long memTotalKiB)
{
    public int Id { get; } = id;
    public string CpuList { get; set; } = cpuList;
    public long MemTotalKiB { get; set; } = memTotalKiB;
    /// <summary>Page size in KiB → (nr_hugepages, free_hugepages).</summary>
    public Dictionary<long, (long Total, long Free)> Hugepages { get; } = [];
}

/// <summary>
/// Writes a fake sysfs tree the way the kernel lays it out (see docs/…/sysfs-fixture.md): function directories nested
/// below their bridges under sys/devices/pci&lt;dom&gt;:&lt;bus&gt;, and every index (bus/pci/devices, drivers, iommu_groups,
/// class/net, class/infiniband) as RELATIVE symlinks. Build the model fluently, change what a test needs, then
/// <see cref="Write"/>.
/// </summary>
public sealed class SysfsTreeBuilder
{
    private readonly SortedDictionary<PciAddress, FunctionSpec> functions = [];
    private readonly SortedDictionary<string, (int Domain, int Bus, int Device)> slots = new(StringComparer.Ordinal);
    private readonly SortedDictionary<int, NumaNodeSpec> numaNodes = [];

    public bool IommuEnabled { get; private set; } = true;

    public string? CpuOnline { get; set; }

    /// <summary>The host CPU's model name, written as <c>proc/cpuinfo</c> beside <c>sys</c> (null: no cpuinfo).</summary>
    public string? CpuModel { get; set; } = "AMD EPYC 9654 96-Core Processor";

    public IReadOnlyDictionary<PciAddress, FunctionSpec> Functions => functions;

    public IReadOnlyDictionary<int, NumaNodeSpec> NumaNodes => numaNodes;

    public FunctionSpec this[string bdf] => functions[PciAddress.Parse(bdf)];

    public SysfsTreeBuilder Add(FunctionSpec spec)
    {
        functions.Add(spec.Address, spec);
        return this;
    }

    public SysfsTreeBuilder Function(string bdf, Action<FunctionSpec> change)
    {
        change(this[bdf]);
        return this;
    }

    public SysfsTreeBuilder Remove(string bdf)
    {
        functions.Remove(PciAddress.Parse(bdf));
        return this;
    }

    public SysfsTreeBuilder Bind(string bdf, string? driver) => Function(bdf, f =>
    {
        f.Driver = driver;
        f.DriverOverride = driver == "vfio-pci" ? "vfio-pci" : null;
        if (driver != "mlx5_core")
        {
            // Only a kernel network driver creates netdevs and RDMA devices.
            f.Net.Clear();
            f.Rdma.Clear();
        }
    });

    public SysfsTreeBuilder Unbind(string bdf) => Bind(bdf, null);

    /// <summary>Gives the function a VPD carrying <paramref name="serial"/>; null removes its VPD.</summary>
    public SysfsTreeBuilder Serial(string bdf, string? serial) => Function(bdf, f => f.Vpd = serial is null ? null : VpdImage.WithSerial(serial));

    public SysfsTreeBuilder Numa(string bdf, int node) => Function(bdf, f => f.Numa = node);

    public SysfsTreeBuilder IommuGroup(string bdf, int? group) => Function(bdf, f => f.IommuGroup = group);

    public SysfsTreeBuilder IommuOff()
    {
        IommuEnabled = false;
        return this;
    }

    public SysfsTreeBuilder OperState(string ifName, string state)
    {
        functions.Values.SelectMany(f => f.Net).Single(n => n.Name == ifName).OperState = state;
        return this;
    }

    public SysfsTreeBuilder Slot(string label, string bdf)
    {
        var a = PciAddress.Parse(bdf);
        slots[label] = (a.Domain, a.Bus, a.Device);
        return this;
    }

    public SysfsTreeBuilder Node(int id, string cpuList, long memTotalKiB, Action<NumaNodeSpec>? change = null)
    {
        var node = new NumaNodeSpec(id, cpuList, memTotalKiB);
        change?.Invoke(node);
        numaNodes[id] = node;
        return this;
    }

    public SysfsTreeBuilder Hugepages(int node, long pageSizeKiB, long total, long free)
    {
        numaNodes[node].Hugepages[pageSizeKiB] = (total, free);
        return this;
    }

    public SysfsTreeBuilder RemoveNode(int id)
    {
        numaNodes.Remove(id);
        return this;
    }

    /// <summary>Writes the tree under <paramref name="root"/> (creating <c>root/sys</c>) and returns <paramref name="root"/>.</summary>
    public string Write(string root) => new Writer(this, root).Run();

    private sealed class Writer(SysfsTreeBuilder model, string root)
    {
        private readonly string sys = Path.Combine(root, "sys");
        private readonly Dictionary<PciAddress, string> dirs = [];
        private readonly HashSet<string> created = new(StringComparer.Ordinal);

        public string Run()
        {
            Directory.CreateDirectory(Path.Combine(sys, "bus", "pci", "devices"));
            Directory.CreateDirectory(Path.Combine(sys, "kernel", "iommu_groups"));
            Directory.CreateDirectory(Path.Combine(sys, "class", "net"));
            foreach (var f in model.functions.Values)
            {
                WriteFunction(f);
            }
            foreach (var f in model.functions.Values)
            {
                WriteSriovLinks(f);
            }
            foreach (var (label, (domain, bus, device)) in model.slots)
            {
                WriteFile(Path.Combine(sys, "bus", "pci", "slots", label, "address"),
                    string.Create(CultureInfo.InvariantCulture, $"{domain:x4}:{bus:x2}:{device:x2}"));
            }
            WriteNuma();
            if (model.CpuModel is { } cpuModel)
            {
                WriteFile(Path.Combine(root, "proc", "cpuinfo"), $"processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: {cpuModel}\nflags\t\t: fpu lm\n");
            }
            return root;
        }

        private string DirOf(FunctionSpec f)
        {
            if (dirs.TryGetValue(f.Address, out var known))
            {
                return known;
            }
            var parentDir = f.Parent is { } p
                ? DirOf(model.functions[p])
                : Path.Combine(sys, "devices", string.Create(CultureInfo.InvariantCulture, $"pci{f.Address.Domain:x4}:{f.Address.Bus:x2}"));
            return dirs[f.Address] = Path.Combine(parentDir, f.Address.ToString());
        }

        private void WriteFunction(FunctionSpec f)
        {
            var d = DirOf(f);
            var bdf = f.Address.ToString();
            var subVendor = f.SubsystemVendor ?? f.Vendor;
            var subDevice = f.SubsystemDevice ?? f.Device;
            var cpus = model.numaNodes.TryGetValue(f.Numa, out var node) ? node.CpuList : model.CpuOnline ?? "0";
            WriteFile(Path.Combine(d, "vendor"), Hex4(f.Vendor));
            WriteFile(Path.Combine(d, "device"), Hex4(f.Device));
            WriteFile(Path.Combine(d, "subsystem_vendor"), Hex4(subVendor));
            WriteFile(Path.Combine(d, "subsystem_device"), Hex4(subDevice));
            WriteFile(Path.Combine(d, "class"), string.Create(CultureInfo.InvariantCulture, $"0x{f.Class:x6}"));
            WriteFile(Path.Combine(d, "revision"), "0xa1");
            WriteFile(Path.Combine(d, "numa_node"), f.Numa.ToString(CultureInfo.InvariantCulture));
            WriteFile(Path.Combine(d, "local_cpulist"), cpus);
            WriteFile(Path.Combine(d, "driver_override"), f.DriverOverride ?? "(null)");
            WriteFile(Path.Combine(d, "enable"), "1");
            WriteFile(Path.Combine(d, "current_link_speed"), "32.0 GT/s PCIe");
            WriteFile(Path.Combine(d, "max_link_speed"), "32.0 GT/s PCIe");
            WriteFile(Path.Combine(d, "current_link_width"), "16");
            WriteFile(Path.Combine(d, "max_link_width"), "16");
            WriteFile(Path.Combine(d, "modalias"), string.Create(CultureInfo.InvariantCulture,
                $"pci:v0000{f.Vendor:X4}d0000{f.Device:X4}sv0000{subVendor:X4}sd0000{subDevice:X4}bc{f.Class >> 16:X2}sc{(f.Class >> 8) & 0xff:X2}i{f.Class & 0xff:X2}"));
            var uevent = (f.Driver is null ? "" : $"DRIVER={f.Driver}\n")
                + string.Create(CultureInfo.InvariantCulture, $"PCI_CLASS={f.Class:X}\nPCI_ID={f.Vendor:X4}:{f.Device:X4}\nPCI_SUBSYS_ID={subVendor:X4}:{subDevice:X4}\nPCI_SLOT_NAME={bdf}");
            WriteFile(Path.Combine(d, "uevent"), uevent);
            Link(Path.Combine(d, "subsystem"), Path.Combine(sys, "bus", "pci"));
            Link(Path.Combine(sys, "bus", "pci", "devices", bdf), d);
            if (f.VpdUnreadable)
            {
                EnsureDirectory(Path.Combine(d, "vpd"));
            }
            else if (f.Vpd is { } vpd)
            {
                File.WriteAllBytes(Path.Combine(d, "vpd"), vpd);
            }
            if (f.FirmwareLabel is { } label)
            {
                WriteFile(Path.Combine(d, "label"), label);
            }

            if (f.Driver is { } driver)
            {
                var driverDir = Path.Combine(sys, "bus", "pci", "drivers", driver);
                foreach (var file in new[] { "bind", "unbind", "new_id", "remove_id", "uevent" })
                {
                    WriteFile(Path.Combine(driverDir, file), "", newline: false);
                }
                Link(Path.Combine(d, "driver"), driverDir);
                Link(Path.Combine(driverDir, bdf), d);
            }
            if (model.IommuEnabled && f.IommuGroup is { } group)
            {
                var groupDir = Path.Combine(sys, "kernel", "iommu_groups", group.ToString(CultureInfo.InvariantCulture));
                WriteFile(Path.Combine(groupDir, "type"), "DMA-FQ");
                WriteFile(Path.Combine(groupDir, "reserved_regions"), "0x00000000fee00000 0x00000000feefffff msi");
                Link(Path.Combine(d, "iommu_group"), groupDir);
                Link(Path.Combine(groupDir, "devices", bdf), d);
            }
            if (f.SriovTotalVfs is { } total)
            {
                var present = model.functions.Values.Count(v => v.PhysFn == f.Address);
                WriteFile(Path.Combine(d, "sriov_totalvfs"), total.ToString(CultureInfo.InvariantCulture));
                WriteFile(Path.Combine(d, "sriov_numvfs"), (f.SriovNumVfsFile ?? present).ToString(CultureInfo.InvariantCulture));
                WriteFile(Path.Combine(d, "sriov_offset"), "1");
                WriteFile(Path.Combine(d, "sriov_stride"), "1");
                WriteFile(Path.Combine(d, "sriov_vf_device"), "101e");
                WriteFile(Path.Combine(d, "sriov_drivers_autoprobe"), "1");
                WriteFile(Path.Combine(d, "sriov_vf_total_msix"), "0");
            }
            foreach (var net in f.Net)
            {
                var n = Path.Combine(d, "net", net.Name);
                WriteFile(Path.Combine(n, "address"), "00:00:10:49:fe:80:00:00:00:00:00:00:b8:3f:d2:03:00:00:00:00");
                WriteFile(Path.Combine(n, "ifindex"), "4");
                WriteFile(Path.Combine(n, "operstate"), net.OperState);
                WriteFile(Path.Combine(n, "mtu"), "4092");
                WriteFile(Path.Combine(n, "type"), net.Type.ToString(CultureInfo.InvariantCulture));
                Link(Path.Combine(n, "device"), d);
                Link(Path.Combine(n, "subsystem"), Path.Combine(sys, "class", "net"));
                Link(Path.Combine(sys, "class", "net", net.Name), n);
            }
            foreach (var ib in f.Rdma)
            {
                var i = Path.Combine(d, "infiniband", ib);
                WriteFile(Path.Combine(i, "node_guid"), "b83f:d203:0000:0000");
                WriteFile(Path.Combine(i, "fw_ver"), "28.39.1002");
                WriteFile(Path.Combine(i, "hca_type"), "MT4129");
                WriteFile(Path.Combine(i, "ports", "1", "state"), "4: ACTIVE");
                WriteFile(Path.Combine(i, "ports", "1", "phys_state"), "5: LinkUp");
                WriteFile(Path.Combine(i, "ports", "1", "rate"), "400 Gb/sec (4X NDR)");
                WriteFile(Path.Combine(i, "ports", "1", "link_layer"), "InfiniBand");
                Link(Path.Combine(i, "device"), d);
                Link(Path.Combine(sys, "class", "infiniband", ib), i);
            }
        }

        private void WriteSriovLinks(FunctionSpec vf)
        {
            if (vf.PhysFn is not { } pf)
            {
                return;
            }
            var d = dirs[vf.Address];
            var physfn = Path.Combine(d, "physfn");
            if (vf.PhysFnTargetOverride is { } name)
            {
                // Siblings share a directory, so the kernel's own form is "../<bdf>": broken on purpose here.
                Directory.CreateSymbolicLink(physfn, "../" + name);
            }
            else if (dirs.TryGetValue(pf, out var pfDir))
            {
                Link(physfn, pfDir);
            }
            if (dirs.TryGetValue(pf, out var parentDir))
            {
                Link(Path.Combine(parentDir, string.Create(CultureInfo.InvariantCulture, $"virtfn{vf.VfIndex}")), d);
            }
        }

        private void WriteNuma()
        {
            var nodeDir = Path.Combine(sys, "devices", "system", "node");
            var ids = model.numaNodes.Keys.ToList();
            var cpuOnline = model.CpuOnline ?? CpuList.Format(model.numaNodes.Values.SelectMany(n => CpuList.Parse(n.CpuList)));
            WriteFile(Path.Combine(sys, "devices", "system", "cpu", "online"), cpuOnline.Length == 0 ? "0" : cpuOnline);
            if (ids.Count == 0)
            {
                return;
            }
            WriteFile(Path.Combine(nodeDir, "online"), CpuList.Format(ids));
            WriteFile(Path.Combine(nodeDir, "possible"), CpuList.Format(ids));
            foreach (var node in model.numaNodes.Values)
            {
                var d = Path.Combine(nodeDir, string.Create(CultureInfo.InvariantCulture, $"node{node.Id}"));
                WriteFile(Path.Combine(d, "cpulist"), node.CpuList);
                WriteFile(Path.Combine(d, "meminfo"), string.Create(CultureInfo.InvariantCulture,
                    $"Node {node.Id} MemTotal:       {node.MemTotalKiB} kB\nNode {node.Id} MemFree:        {node.MemTotalKiB / 2} kB\nNode {node.Id} MemUsed:        {node.MemTotalKiB / 2} kB"));
                foreach (var (size, (total, free)) in node.Hugepages)
                {
                    var h = Path.Combine(d, "hugepages", string.Create(CultureInfo.InvariantCulture, $"hugepages-{size}kB"));
                    WriteFile(Path.Combine(h, "nr_hugepages"), total.ToString(CultureInfo.InvariantCulture));
                    WriteFile(Path.Combine(h, "free_hugepages"), free.ToString(CultureInfo.InvariantCulture));
                    WriteFile(Path.Combine(h, "surplus_hugepages"), "0");
                }
            }
        }

        private static string Hex4(int value) => string.Create(CultureInfo.InvariantCulture, $"0x{value:x4}");

        private void EnsureDirectory(string dir)
        {
            if (created.Add(dir))
            {
                Directory.CreateDirectory(dir);
            }
        }

        private void WriteFile(string path, string content, bool newline = true)
        {
            EnsureDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, newline ? content + "\n" : content);
        }

        /// <summary>A relative symlink, as the kernel makes them (so the tree can be moved as a whole).</summary>
        private void Link(string link, string target)
        {
            var parent = Path.GetDirectoryName(link)!;
            EnsureDirectory(parent);
            Directory.CreateSymbolicLink(link, Path.GetRelativePath(parent, target));
        }
    }
}
