using System.Globalization;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.Host;

/// <summary>
/// Reads the host inventory from sysfs under <c>root</c> (<c>/</c> on a real host, a generated tree in tests).
/// Links are resolved or named by their final path component, never string-matched; attribute files are read whole
/// and trimmed. Whatever is missing (no IOMMU, unbound device, no NUMA data) shows in the model, it never throws.
/// </summary>
public sealed class SysfsInventorySource : IHostInventorySource
{
    private readonly string root;

    public SysfsInventorySource(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        this.root = Path.GetFullPath(root);
    }

    private string Sys(params string[] parts) => Path.Combine([root, "sys", .. parts]);

    public HostInventory Read()
    {
        var devices = ReadDeviceDirectories();
        var netDevs = ReadClassChildren("net", NetDevFromDir);
        var rdma = ReadClassChildren("infiniband", (name, _) => name);
        var slots = ReadPciSlots();
        var groups = ReadIommuGroups();

        var members = groups.ToDictionary(g => g.Number, g => g.Members);
        var functions = new List<PciFunction>(devices.Count);
        foreach (var (address, dir) in devices)
        {
            functions.Add(ReadFunction(address, dir, devices, slots, members,
                netDevs.GetValueOrDefault(address) ?? [],
                rdma.GetValueOrDefault(address) ?? []));
        }
        return new HostInventory(functions, groups, ReadNumaNodes(), slots, ReadCpuCount(), groups.Count > 0) { CpuModel = ReadCpuModel() };
    }

    /// <summary>BDF → the function's real directory under sys/devices (links in sys/bus/pci/devices resolved).</summary>
    private SortedDictionary<PciAddress, string> ReadDeviceDirectories()
    {
        var result = new SortedDictionary<PciAddress, string>();
        var index = Sys("bus", "pci", "devices");
        if (!Directory.Exists(index))
        {
            return result;
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(index))
        {
            if (PciAddress.TryParse(Path.GetFileName(entry), out var address) && RealDirectory(entry) is { } dir)
            {
                result[address] = dir;
            }
        }
        return result;
    }

    private static PciFunction ReadFunction(
        PciAddress address,
        string dir,
        IReadOnlyDictionary<PciAddress, string> devices,
        IReadOnlyList<PciSlotInfo> slots,
        IReadOnlyDictionary<int, IReadOnlyList<PciAddress>> groupMembers,
        IReadOnlyList<NetDevice> netDevs,
        IReadOnlyList<string> rdma)
    {
        var numa = ReadInt(Path.Combine(dir, "numa_node"));
        var driverOverride = ReadText(Path.Combine(dir, "driver_override"));
        PciAddress? parent = PciAddress.TryParse(Path.GetFileName(Path.GetDirectoryName(dir)), out var p) ? p : null;
        int? group = LinkName(Path.Combine(dir, "iommu_group")) is { } g && int.TryParse(g, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        var classCode = ReadHex(Path.Combine(dir, "class")) ?? 0;
        var physFn = ReadPhysFn(dir, address, devices);
        // VPD is read through config space a few bytes at a time: skip bridges and VFs, which carry no serial of their own.
        var (serial, vpdUnreadable) = (classCode >> 8) == 0x0604 || physFn is not null ? (null, false) : ReadVpdSerial(Path.Combine(dir, "vpd"));
        var label = ReadText(Path.Combine(dir, "label"));
        return new PciFunction(
            address,
            ReadHex(Path.Combine(dir, "vendor")) ?? 0,
            ReadHex(Path.Combine(dir, "device")) ?? 0,
            classCode,
            ReadHex(Path.Combine(dir, "subsystem_vendor")),
            ReadHex(Path.Combine(dir, "subsystem_device")),
            numa is null or < 0 ? null : numa,
            group,
            group is { } number ? groupMembers.GetValueOrDefault(number) ?? [] : [],
            LinkName(Path.Combine(dir, "driver")),
            driverOverride is null or "(null)" or "" ? null : driverOverride,
            parent,
            slots.FirstOrDefault(s => s.Holds(address))?.Label,
            ReadSriov(dir, address, devices),
            physFn,
            netDevs,
            rdma,
            serial,
            vpdUnreadable,
            string.IsNullOrEmpty(label) ? null : label);
    }

    /// <summary>The serial in the function's VPD; unreadable when the file exists but cannot be read (root-only, or the device does not answer).</summary>
    private static (string? Serial, bool Unreadable) ReadVpdSerial(string path)
    {
        if (!Path.Exists(path))
        {
            return (null, false);
        }
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            var buffer = new byte[PciVpd.MaxSize];
            var total = 0;
            for (int read; total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0;)
            {
                total += read;
            }
            return (PciVpd.ReadSerialNumber(buffer.AsSpan(0, total)), false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, true);
        }
    }

    private static SriovInfo? ReadSriov(string dir, PciAddress address, IReadOnlyDictionary<PciAddress, string> devices)
    {
        if (ReadInt(Path.Combine(dir, "sriov_totalvfs")) is not { } total)
        {
            return null;
        }
        var vfs = new List<VfLink>();
        foreach (var link in Directory.EnumerateFileSystemEntries(dir, "virtfn*"))
        {
            if (!int.TryParse(Path.GetFileName(link).AsSpan("virtfn".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                continue;
            }
            PciAddress? vf = LinkedFunction(link);
            var pointsBack = vf is { } v && devices.TryGetValue(v, out var vfDir) && LinkedFunction(Path.Combine(vfDir, "physfn")) == address;
            vfs.Add(new VfLink(index, vf, pointsBack));
        }
        vfs.Sort((a, b) => a.Index.CompareTo(b.Index));
        return new SriovInfo(total, ReadInt(Path.Combine(dir, "sriov_numvfs")) ?? 0, vfs);
    }

    private static VirtualFunctionInfo? ReadPhysFn(string dir, PciAddress address, IReadOnlyDictionary<PciAddress, string> devices)
    {
        var link = Path.Combine(dir, "physfn");
        if (new FileInfo(link).LinkTarget is null && !Directory.Exists(link))
        {
            return null;
        }
        var pf = LinkedFunction(link);
        int? index = null;
        if (pf is { } pfAddress && devices.TryGetValue(pfAddress, out var pfDir))
        {
            foreach (var virtfn in Directory.EnumerateFileSystemEntries(pfDir, "virtfn*"))
            {
                if (LinkedFunction(virtfn) == address
                    && int.TryParse(Path.GetFileName(virtfn).AsSpan("virtfn".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var i))
                {
                    index = i;
                }
            }
        }
        return new VirtualFunctionInfo(pf, index, index is not null);
    }

    /// <summary>For each class device (net, infiniband), the PCI function it belongs to: the nearest BDF-named ancestor of its real directory.</summary>
    private Dictionary<PciAddress, List<T>> ReadClassChildren<T>(string className, Func<string, string, T> make)
    {
        var result = new Dictionary<PciAddress, List<T>>();
        var classDir = Sys("class", className);
        if (!Directory.Exists(classDir))
        {
            return result;
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(classDir).Order(StringComparer.Ordinal))
        {
            if (RealDirectory(entry) is not { } real)
            {
                continue;
            }
            for (var dir = Path.GetDirectoryName(real); dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (PciAddress.TryParse(Path.GetFileName(dir), out var owner))
                {
                    if (!result.TryGetValue(owner, out var list))
                    {
                        result[owner] = list = [];
                    }
                    list.Add(make(Path.GetFileName(entry), real));
                    break;
                }
            }
        }
        return result;
    }

    private static NetDevice NetDevFromDir(string name, string dir) => new(name, ReadText(Path.Combine(dir, "operstate")));

    private List<PciSlotInfo> ReadPciSlots()
    {
        var result = new List<PciSlotInfo>();
        var slotsDir = Sys("bus", "pci", "slots");
        if (!Directory.Exists(slotsDir))
        {
            return result;
        }
        foreach (var dir in Directory.EnumerateDirectories(slotsDir))
        {
            // "dddd:bb:dd": a device, not a function; borrow the function parser with ".0".
            if (ReadText(Path.Combine(dir, "address")) is { } text && PciAddress.TryParse(text + ".0", out var a))
            {
                result.Add(new PciSlotInfo(Path.GetFileName(dir), a.Domain, a.Bus, a.Device));
            }
        }
        return result;
    }

    private List<IommuGroupInfo> ReadIommuGroups()
    {
        var result = new List<IommuGroupInfo>();
        var groupsDir = Sys("kernel", "iommu_groups");
        if (!Directory.Exists(groupsDir))
        {
            return result;
        }
        foreach (var dir in Directory.EnumerateDirectories(groupsDir))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                continue;
            }
            var members = new List<PciAddress>();
            var devicesDir = Path.Combine(dir, "devices");
            if (Directory.Exists(devicesDir))
            {
                foreach (var entry in Directory.EnumerateFileSystemEntries(devicesDir))
                {
                    if (PciAddress.TryParse(Path.GetFileName(entry), out var member))
                    {
                        members.Add(member);
                    }
                }
            }
            members.Sort();
            result.Add(new IommuGroupInfo(number, members));
        }
        return result;
    }

    private List<NumaNodeInfo> ReadNumaNodes()
    {
        var result = new List<NumaNodeInfo>();
        var nodeDir = Sys("devices", "system", "node");
        var ids = ReadText(Path.Combine(nodeDir, "online")) is { } online ? CpuList.Parse(online) : (IReadOnlySet<int>)new SortedSet<int>();
        foreach (var id in ids)
        {
            var dir = Path.Combine(nodeDir, string.Create(CultureInfo.InvariantCulture, $"node{id}"));
            var cpus = ReadText(Path.Combine(dir, "cpulist")) is { } list ? CpuList.Parse(list) : new SortedSet<int>();
            var pools = new Dictionary<long, HugepagePool>();
            var hugeDir = Path.Combine(dir, "hugepages");
            if (Directory.Exists(hugeDir))
            {
                foreach (var poolDir in Directory.EnumerateDirectories(hugeDir, "hugepages-*kB"))
                {
                    var name = Path.GetFileName(poolDir);
                    if (long.TryParse(name.AsSpan("hugepages-".Length, name.Length - "hugepages-".Length - "kB".Length),
                            NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                    {
                        pools[size] = new HugepagePool(size,
                            ReadLong(Path.Combine(poolDir, "nr_hugepages")) ?? 0,
                            ReadLong(Path.Combine(poolDir, "free_hugepages")) ?? 0);
                    }
                }
            }
            result.Add(new NumaNodeInfo(id, cpus, ReadMemTotalKiB(Path.Combine(dir, "meminfo")), pools));
        }
        return result;
    }

    /// <summary>"Node 0 MemTotal:       527958016 kB" → 527958016.</summary>
    private static long? ReadMemTotalKiB(string meminfo)
    {
        if (ReadText(meminfo) is not { } text)
        {
            return null;
        }
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var at = Array.IndexOf(fields, "MemTotal:");
            if (at >= 0 && at + 1 < fields.Length && long.TryParse(fields[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
            {
                return kib;
            }
        }
        return null;
    }

    private int ReadCpuCount() =>
        ReadText(Sys("devices", "system", "cpu", "online")) is { } online ? CpuList.Parse(online).Count : Environment.ProcessorCount;

    /// <summary>The first "model name" of <c>&lt;root&gt;/proc/cpuinfo</c> (x86; other architectures name it otherwise: null).</summary>
    private string? ReadCpuModel()
    {
        var path = Path.Combine(root, "proc", "cpuinfo");
        try
        {
            return File.Exists(path)
                ? File.ReadLines(path).Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim() == "model name")?[1].Trim()
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The final target of a link (or the path itself when it is a plain directory); null when it does not resolve.</summary>
    private static string? RealDirectory(string path)
    {
        try
        {
            var info = new DirectoryInfo(path);
            if (info.LinkTarget is null)
            {
                return info.Exists ? info.FullName : null;
            }
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            return target is { Exists: true } ? target.FullName : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The last component of a link's target (driver name, group number) when the link exists and resolves.</summary>
    private static string? LinkName(string link)
    {
        var target = new FileInfo(link).LinkTarget;
        return target is null || !Directory.Exists(link) ? null : Path.GetFileName(target.TrimEnd('/'));
    }

    /// <summary>The function a physfn/virtfn link names, when it resolves to a BDF-named directory.</summary>
    private static PciAddress? LinkedFunction(string link) =>
        LinkName(link) is { } name && PciAddress.TryParse(name, out var address) ? address : null;

    /// <summary>
    /// A sysfs attribute, trimmed; null when missing or unreadable. Read through one stack buffer: a dense node has
    /// thousands of attributes, and File.ReadAllText's stream and reader buffers (about 12 KiB each) were most of the
    /// garbage — and the collections — of a service start. Text attributes are at most a page; a longer file (a test
    /// tree, /proc) is read whole the ordinary way.
    /// </summary>
    private static string? ReadText(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            Span<byte> buffer = stackalloc byte[AttributeBufferBytes];
            var length = 0;
            while (length < buffer.Length && RandomAccess.Read(handle, buffer[length..], length) is var read and > 0)
            {
                length += read;
            }
            if (length == buffer.Length)
            {
                return File.ReadAllText(path).Trim();
            }
            return System.Text.Encoding.UTF8.GetString(buffer[..length]).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>One page and a byte: a sysfs text attribute (at most a page) always fits with room to see its end.</summary>
    private const int AttributeBufferBytes = 4097;

    private static int? ReadInt(string path) =>
        ReadText(path) is { } t && int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static long? ReadLong(string path) =>
        ReadText(path) is { } t && long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static int? ReadHex(string path)
    {
        if (ReadText(path) is not { } t)
        {
            return null;
        }
        var digits = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? t.AsSpan(2) : t.AsSpan();
        return int.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) ? v : null;
    }
}
