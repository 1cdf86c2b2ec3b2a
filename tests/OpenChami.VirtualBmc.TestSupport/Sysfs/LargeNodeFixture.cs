using System.Globalization;
using System.Text;
using OpenChami.VirtualBmc.Slots;

namespace OpenChami.VirtualBmc.TestSupport.Sysfs;

/// <summary>
/// The dense node at full SR-IOV: every GPU on vfio-pci and each of the 4 PFs with <see cref="VfsPerPf"/> VFs on
/// vfio-pci (64 in all), and a node type of 8 slots each given one GPU and 8 VFs of its tree's PF. The scale the
/// audit page is measured at (2 NUMA nodes, 8 GPUs, 64 VFs): bench/run.sh writes it with the fixture tool.
/// </summary>
public static class LargeNodeFixture
{
    public const int VfsPerPf = 16;

    public const int SlotCount = 8;

    private static readonly int[] PfBuses = [0x1a, 0x3c, 0x9c, 0xbc];

    public static SysfsTreeBuilder Create()
    {
        var b = DenseNodeFixture.Create().AllGpusOnVfio();
        var group = 200;
        foreach (var bus in PfBuses)
        {
            var pf = b[Bdf(bus, 0, 0)];
            for (var i = 0; i < VfsPerPf; i++)
            {
                var fn = 1 + i;
                var address = Bdf(bus, fn / 8, fn % 8);
                if (b.Functions.ContainsKey(PciAddress.Parse(address)))
                {
                    b.Bind(address, "vfio-pci");
                    continue;
                }
                b.Add(new FunctionSpec(PciAddress.Parse(address))
                {
                    Vendor = pf.Vendor, Device = 0x101e, Class = pf.Class, SubsystemVendor = pf.SubsystemVendor, SubsystemDevice = pf.SubsystemDevice,
                    Parent = pf.Parent, Numa = pf.Numa, IommuGroup = group++, Driver = "vfio-pci", DriverOverride = "vfio-pci",
                    PhysFn = pf.Address, VfIndex = i,
                });
            }
        }
        return b;
    }

    /// <summary>Writes the tree to <c>DIR/sysfs</c>, the node type and a host file (slots on 127.0.0.10–17) and returns the host file.</summary>
    public static string Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var sysfs = Path.Combine(directory, "sysfs");
        if (Directory.Exists(sysfs))
        {
            Directory.Delete(sysfs, recursive: true);
        }
        Create().Write(sysfs);
        File.WriteAllText(Path.Combine(directory, "large-node.yaml"), NodeTypeYaml());
        var host = new StringBuilder("hostId: x1000c0s1b0n0\nnodeType: large-node.yaml\nsysfsRoot: sysfs\nstateDirectory: state\ntls:\n  certificate: tls/cert.pem\n  key: tls/key.pem\n  generateSelfSigned: true\nslots:\n");
        for (var s = 0; s < SlotCount; s++)
        {
            host.Append(CultureInfo.InvariantCulture, $"- name: slot{s}\n  bmc:\n    address: 127.0.0.{10 + s}\n    port: 8443\n");
        }
        var hostFile = Path.Combine(directory, "host.yaml");
        File.WriteAllText(hostFile, host.ToString());
        return hostFile;
    }

    /// <summary>8 slots: slot s takes GPU s and VFs (s mod 2) × 8 … + 7 of its tree's PF, on that tree's NUMA node.</summary>
    public static string NodeTypeYaml()
    {
        var y = new StringBuilder("nodeType: large-node\ndescription: the dense node with 64 VFs, 8 slots of 1 GPU and 8 VFs\nvmSlots:\n");
        for (var s = 0; s < SlotCount; s++)
        {
            var tree = s / 2;
            y.Append(CultureInfo.InvariantCulture, $"- name: slot{s}\n  image: \"\"\n  cpu:\n    cores: 12\n    numaPolicy: strict\n    numaNode: {(tree < 2 ? 0 : 1)}\n");
            y.Append("  memory:\n    sizeGiB: 48\n    hugepages: true\n  devices:\n");
            y.Append(CultureInfo.InvariantCulture, $"  - name: gpu0\n    kind: gpu\n    selector:\n      pciAddress: \"{DenseNodeFixture.Gpus[s].Address}\"\n");
            for (var v = 0; v < 8; v++)
            {
                y.Append(CultureInfo.InvariantCulture,
                    $"  - name: hsn{v}\n    kind: nic\n    mode: sriov-vf\n    selector:\n      pf: \"{Bdf(PfBuses[tree], 0, 0)}\"\n      vfIndex: {(s % 2 * 8) + v}\n");
            }
        }
        return y.ToString();
    }

    private static string Bdf(int bus, int device, int function) => new PciAddress(0, bus, device, function).ToString();
}
