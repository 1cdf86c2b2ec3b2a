using System.Globalization;
using OpenChami.VirtualBmc.Slots;

namespace OpenChami.VirtualBmc.TestSupport.Sysfs;

/// <summary>
/// The dense 2-socket node of the sysfs fixture design: four PCIe trees (A, B on NUMA 0; C, D on NUMA 1), each a root
/// port → switch → three downstream ports → {GPU, GPU, ConnectX-7 PF}; 8 H100 and 4 PFs (mlx5_0..mlx5_3) with
/// 4 / 2 / 0 / 8 VFs. Drivers give every case: GPU0–3 vfio-pci, GPU4–5 nvidia, GPU6 vfio-pci sharing group 42 with
/// its downstream port, GPU7 unbound; VFs vfio-pci, mlx5_core or unbound as the design lists. Every GPU and PF has a
/// VPD serial (<see cref="GpuSerial"/>, <see cref="PfSerial"/>), as examples/demo/inventory-export.json lists them.
/// </summary>
public static class DenseNodeFixture
{
    public const int VendorIntel = 0x8086, VendorPlx = 0x1000, VendorNvidia = 0x10de, VendorMellanox = 0x15b3;
    public const int ClassBridge = 0x060400, ClassGpu3D = 0x030200, ClassInfiniBand = 0x020700;

    /// <summary>1 GiB pages free per node: enough for every demo slot (2 × 128 GiB on node 0, 2 × 192 GiB on node 1).</summary>
    public const long FreeGiantPagesPerNode = 448;

    public const long MemTotalKiBPerNode = 512L * 1024 * 1024;

    public const string Node0Cpus = "0-31,64-95", Node1Cpus = "32-63,96-127";

    /// <summary>GPU label → address, in the order of the design table.</summary>
    public static readonly IReadOnlyList<(string Label, string Address)> Gpus =
    [
        ("GPU0", "0000:18:00.0"), ("GPU1", "0000:19:00.0"), ("GPU2", "0000:3a:00.0"), ("GPU3", "0000:3b:00.0"),
        ("GPU4", "0000:9a:00.0"), ("GPU5", "0000:9b:00.0"), ("GPU6", "0000:ba:00.0"), ("GPU7", "0000:bb:00.0"),
    ];

    /// <summary>The VPD serial of GPU <paramref name="gpu"/> (0–7).</summary>
    public static string GpuSerial(int gpu) => string.Create(CultureInfo.InvariantCulture, $"165492300{gpu + 1:D4}");

    /// <summary>The VPD serial of the ConnectX PF of PCIe tree <paramref name="tree"/> (0–3: mlx5_0..mlx5_3).</summary>
    public static string PfSerial(int tree) => string.Create(CultureInfo.InvariantCulture, $"MT2346X{tree + 1:D5}");

    /// <summary>Writes the dense node under <paramref name="root"/> and returns <paramref name="root"/>.</summary>
    public static string Build(string root) => Create().Write(root);

    /// <summary>The dense node as a model, for a test to change one thing before <see cref="SysfsTreeBuilder.Write"/>.</summary>
    public static SysfsTreeBuilder Create()
    {
        var b = new SysfsTreeBuilder();
        var group = 10;
        var rdma = 0;
        var vfRdma = new List<(string Vf, string Pf, int Index)>();
        string[] gpuDrivers = ["vfio-pci", "vfio-pci", "vfio-pci", "vfio-pci", "nvidia", "nvidia", "vfio-pci", null!];
        var trees = new (int Bus, int Numa, string?[] VfDrivers)[]
        {
            (0x15, 0, ["vfio-pci", "vfio-pci", "mlx5_core", "mlx5_core"]),
            (0x37, 0, ["mlx5_core", "vfio-pci"]),
            (0x97, 1, []),
            (0xb7, 1, ["vfio-pci", "vfio-pci", "vfio-pci", "vfio-pci", "mlx5_core", "mlx5_core", null, null]),
        };
        for (var t = 0; t < trees.Length; t++)
        {
            var (bus, numa, vfDrivers) = trees[t];
            var rootPort = Bdf(bus, 1, 0);
            var up = Bdf(bus + 1, 0, 0);
            Bridge(b, rootPort, null, numa, VendorIntel, 0x352a, group++);
            Bridge(b, up, rootPort, numa, VendorPlx, 0xc030, group++);
            for (var port = 0; port < 3; port++)
            {
                var down = Bdf(bus + 2, port, 0);
                var downGroup = group++;
                Bridge(b, down, up, numa, VendorPlx, 0xc030, downGroup);
                if (port < 2)
                {
                    var gpu = (t * 2) + port;
                    var address = Bdf(bus + 3 + port, 0, 0);
                    // GPU6 sits behind a downstream port without ACS: one group with that port (group 42).
                    var gpuGroup = gpu == 6 ? downGroup : group++;
                    b.Add(new FunctionSpec(PciAddress.Parse(address))
                    {
                        Vendor = VendorNvidia, Device = 0x2330, Class = ClassGpu3D, SubsystemVendor = VendorNvidia, SubsystemDevice = 0x16c1,
                        Parent = PciAddress.Parse(down), Numa = numa, IommuGroup = gpuGroup,
                        Driver = gpuDrivers[gpu], DriverOverride = gpuDrivers[gpu] == "vfio-pci" ? "vfio-pci" : null,
                        Vpd = VpdImage.WithSerial(GpuSerial(gpu), "FIXTURE-H100-SXM"),
                    });
                    b.Slot(string.Create(CultureInfo.InvariantCulture, $"SXM{gpu + 1}"), address);
                }
                else
                {
                    var pfBus = bus + 5;
                    var pf = Bdf(pfBus, 0, 0);
                    var ifName = string.Create(CultureInfo.InvariantCulture, $"ibp{pfBus}s0");
                    var spec = Nic(pf, down, numa, 0x1021, group++, "mlx5_core");
                    spec.SriovTotalVfs = 16;
                    spec.Vpd = VpdImage.WithSerial(PfSerial(t), "FIXTURE-CX7");
                    spec.Net.Add(new NetSpec(ifName));
                    spec.Rdma.Add(string.Create(CultureInfo.InvariantCulture, $"mlx5_{rdma++}"));
                    b.Add(spec);
                    b.Slot(string.Create(CultureInfo.InvariantCulture, $"PCIE{t + 1}"), pf);
                    for (var i = 0; i < vfDrivers.Length; i++)
                    {
                        // VF i = PF function + offset 1 + i × stride 1; function 8 shows as device 1 (ARI).
                        var fn = 1 + i;
                        var vf = Bdf(pfBus, fn / 8, fn % 8);
                        var vfSpec = Nic(vf, down, numa, 0x101e, group++, vfDrivers[i]);
                        vfSpec.PhysFn = PciAddress.Parse(pf);
                        vfSpec.VfIndex = i;
                        if (vfDrivers[i] == "mlx5_core")
                        {
                            vfSpec.Net.Add(new NetSpec(string.Create(CultureInfo.InvariantCulture, $"{ifName}v{i}")));
                            vfRdma.Add((vf, pf, i));
                        }
                        b.Add(vfSpec);
                    }
                }
            }
        }
        // IB devices are named in probe order: all PFs first, then the VFs bound to mlx5_core.
        foreach (var (vf, _, _) in vfRdma)
        {
            b[vf].Rdma.Add(string.Create(CultureInfo.InvariantCulture, $"mlx5_{rdma++}"));
        }

        b.Node(0, Node0Cpus, MemTotalKiBPerNode)
            .Hugepages(0, 1048576, FreeGiantPagesPerNode, FreeGiantPagesPerNode)
            .Hugepages(0, 2048, 1024, 1024)
            .Node(1, Node1Cpus, MemTotalKiBPerNode)
            .Hugepages(1, 1048576, FreeGiantPagesPerNode, FreeGiantPagesPerNode)
            .Hugepages(1, 2048, 1024, 1024);
        return b;
    }

    private static string Bdf(int bus, int device, int function) =>
        new PciAddress(0, bus, device, function).ToString();

    private static void Bridge(SysfsTreeBuilder b, string address, string? parent, int numa, int vendor, int device, int group) =>
        b.Add(new FunctionSpec(PciAddress.Parse(address))
        {
            Vendor = vendor, Device = device, Class = ClassBridge,
            Parent = parent is null ? null : PciAddress.Parse(parent), Numa = numa, IommuGroup = group, Driver = "pcieport",
        });

    private static FunctionSpec Nic(string address, string parent, int numa, int device, int group, string? driver) =>
        new(PciAddress.Parse(address))
        {
            Vendor = VendorMellanox, Device = device, Class = ClassInfiniBand, SubsystemVendor = VendorMellanox, SubsystemDevice = 0x0041,
            Parent = PciAddress.Parse(parent), Numa = numa, IommuGroup = group,
            Driver = driver, DriverOverride = driver == "vfio-pci" ? "vfio-pci" : null,
        };
}
