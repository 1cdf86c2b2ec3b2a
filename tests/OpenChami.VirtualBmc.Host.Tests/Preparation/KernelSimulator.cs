using System.Globalization;
using OpenChami.VirtualBmc.Host.Preparation;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Inventory;
using OpenChami.VirtualBmc.TestSupport.Sysfs;

namespace OpenChami.VirtualBmc.Host.Tests.Preparation;

/// <summary>
/// A fake sysfs tree that answers writes the way the kernel would: sriov_numvfs creates or destroys VF entries
/// (EBUSY when changing a non-zero count, ERANGE beyond sriov_totalvfs; new VFs probe the PF's driver, as with
/// sriov_drivers_autoprobe 1), driver_override is stored, unbind and bind move the <c>driver</c> link. Each write changes
/// the <see cref="SysfsTreeBuilder"/> model; the tree on disk is rewritten from the model before it is next read
/// (<see cref="Read"/>, <see cref="Sync"/>), so readers see exactly what the model says. A write to an attribute the
/// tree would not have (no such device, no driver to unbind from, driver not registered) fails as on a real host.
/// </summary>
internal sealed class KernelSimulator : ISysfsWriter, IHostInventorySource
{
    private bool dirty;

    private readonly SysfsTreeBuilder model;
    private readonly SysfsWriter files;

    public KernelSimulator(SysfsTreeBuilder model, string root)
    {
        this.model = model;
        Root = root;
        files = new SysfsWriter(root);
        model.Write(root);
    }

    public string Root { get; }

    public List<(string Path, string Value)> Writes { get; } = [];

    public void Write(string path, string value)
    {
        files.Resolve(path);   // the same path rules as the real writer
        if (!Exists(path))
        {
            throw new FileNotFoundException($"{path}: No such file or directory");
        }
        Writes.Add((path, value));
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);   // sys bus pci devices <bdf> attr [...]
        switch (parts)
        {
            case ["sys", "bus", "pci", "devices", var bdf, "sriov_numvfs"]:
                SetNumVfs(model[bdf], int.Parse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture));
                break;
            case ["sys", "bus", "pci", "devices", var bdf, "driver_override"]:
                model[bdf].DriverOverride = value.Trim() is { Length: > 0 } d ? d : null;
                break;
            case ["sys", "bus", "pci", "devices", var bdf, "driver", "unbind"]:
                if (value.Trim() != bdf)
                {
                    throw new IOException("No such device");
                }
                Release(model[bdf]);
                break;
            case ["sys", "bus", "pci", "drivers", var driver, "bind"]:
                Bind(model.Functions.GetValueOrDefault(PciAddress.TryParse(value.Trim(), out var a) ? a : default)
                     ?? throw new IOException("No such device"), driver);
                break;
            default:
                throw new IOException($"simulator: writes to {path} are not modelled");
        }
        dirty = true;
    }

    /// <summary>Rewrites the tree from the model when a write changed it.</summary>
    public void Sync()
    {
        if (dirty)
        {
            Directory.Delete(Path.Combine(Root, "sys"), recursive: true);
            model.Write(Root);
            dirty = false;
        }
    }

    public HostInventory Read()
    {
        Sync();
        return new SysfsInventorySource(Root).Read();
    }

    /// <summary>Whether the attribute exists in the tree the model describes (what the builder would write).</summary>
    private bool Exists(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        FunctionSpec? Device(string bdf) =>
            PciAddress.TryParse(bdf, out var a) && model.Functions.TryGetValue(a, out var f) ? f : null;
        return parts switch
        {
            ["sys", "bus", "pci", "devices", var bdf, "sriov_numvfs"] => Device(bdf)?.SriovTotalVfs is not null,
            ["sys", "bus", "pci", "devices", var bdf, "driver_override"] => Device(bdf) is not null,
            ["sys", "bus", "pci", "devices", var bdf, "driver", "unbind"] => Device(bdf)?.Driver is not null,
            ["sys", "bus", "pci", "drivers", var driver, "bind"] => model.Functions.Values.Any(f => f.Driver == driver),
            _ => File.Exists(files.Resolve(path)),
        };
    }

    private void SetNumVfs(FunctionSpec pf, int count)
    {
        var vfs = model.Functions.Values.Where(f => f.PhysFn == pf.Address).ToList();
        var current = pf.SriovNumVfsFile ?? vfs.Count;
        if (count > pf.SriovTotalVfs)
        {
            throw new IOException("Numerical result out of range");
        }
        if (count == current)
        {
            return;
        }
        if (current != 0 && count != 0)
        {
            throw new IOException("Device or resource busy");
        }
        pf.SriovNumVfsFile = null;
        foreach (var vf in vfs)
        {
            model.Remove(vf.Address.ToString());
        }
        var nextGroup = model.Functions.Values.Max(f => f.IommuGroup ?? 0) + 1;
        var pfNet = pf.Net.FirstOrDefault()?.Name;
        for (var i = 0; i < count; i++)
        {
            // Routing ID = PF's + sriov_offset 1 + i × sriov_stride 1.
            var rid = (pf.Address.Device * 8) + pf.Address.Function + 1 + i;
            var vf = new FunctionSpec(new PciAddress(pf.Address.Domain, pf.Address.Bus, rid / 8, rid % 8))
            {
                Vendor = pf.Vendor, Device = 0x101e, Class = pf.Class, SubsystemVendor = pf.SubsystemVendor, SubsystemDevice = pf.SubsystemDevice,
                Parent = pf.Parent, Numa = pf.Numa, IommuGroup = nextGroup + i, Driver = pf.Driver,
                PhysFn = pf.Address, VfIndex = i,
            };
            if (pf.Driver == "mlx5_core" && pfNet is not null)
            {
                vf.Net.Add(new NetSpec(string.Create(CultureInfo.InvariantCulture, $"{pfNet}v{i}"), "down"));
            }
            model.Add(vf);
        }
    }

    private static void Release(FunctionSpec f)
    {
        f.Driver = null;
        f.Net.Clear();
        f.Rdma.Clear();
    }

    private static void Bind(FunctionSpec f, string driver)
    {
        if (f.Driver is not null)
        {
            throw new IOException("Device or resource busy");
        }
        if (f.DriverOverride is { } only && only != driver)
        {
            throw new IOException("No such device");
        }
        f.Driver = driver;
    }
}
