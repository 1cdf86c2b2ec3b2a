namespace OpenChami.VirtualBmc.Slots.Inventory;

/// <summary>An IOMMU group and its members, as listed under <c>/sys/kernel/iommu_groups/N/devices</c>.</summary>
public sealed record IommuGroupInfo(int Number, IReadOnlyList<PciAddress> Members);

/// <summary>A physical PCI slot from <c>/sys/bus/pci/slots/&lt;label&gt;/address</c> (domain:bus:device, no function).</summary>
public sealed record PciSlotInfo(string Label, int Domain, int Bus, int Device)
{
    public bool Holds(PciAddress address) => address.Domain == Domain && address.Bus == Bus && address.Device == Device;
}

/// <summary>Free and total hugepages of one size on one NUMA node.</summary>
public sealed record HugepagePool(long PageSizeKiB, long Total, long Free)
{
    public long FreeKiB => Free * PageSizeKiB;
}

/// <summary>A NUMA node: its CPUs, memory and hugepage pools (keyed by page size in KiB: 2048, 1048576).</summary>
public sealed record NumaNodeInfo(int Id, IReadOnlySet<int> Cpus, long? MemTotalKiB, IReadOnlyDictionary<long, HugepagePool> Hugepages)
{
    public HugepagePool? Pool(long pageSizeKiB) => Hugepages.TryGetValue(pageSizeKiB, out var pool) ? pool : null;
}

/// <summary>
/// Everything the binding validator needs to know about the host, read once. Lists are in address / id order;
/// the lookups are exact (PCI address, netdev name, RDMA name, physical slot label).
/// </summary>
public sealed class HostInventory
{
    private readonly Dictionary<PciAddress, PciFunction> byAddress;
    private readonly Dictionary<string, PciFunction> byNetDev;
    private readonly Dictionary<string, PciFunction> byRdma;
    private readonly Dictionary<int, IommuGroupInfo> groups;

    public HostInventory(
        IEnumerable<PciFunction> functions,
        IEnumerable<IommuGroupInfo> iommuGroups,
        IEnumerable<NumaNodeInfo> numaNodes,
        IEnumerable<PciSlotInfo> pciSlots,
        int cpuCount,
        bool iommuEnabled)
    {
        Functions = [.. functions.OrderBy(f => f.Address)];
        IommuGroups = [.. iommuGroups.OrderBy(g => g.Number)];
        NumaNodes = [.. numaNodes.OrderBy(n => n.Id)];
        PciSlots = [.. pciSlots.OrderBy(s => s.Label, StringComparer.Ordinal)];
        CpuCount = cpuCount;
        IommuEnabled = iommuEnabled;
        byAddress = Functions.ToDictionary(f => f.Address);
        byNetDev = new(StringComparer.Ordinal);
        byRdma = new(StringComparer.Ordinal);
        foreach (var f in Functions)
        {
            foreach (var n in f.NetDevices) byNetDev.TryAdd(n.Name, f);
            foreach (var r in f.RdmaDevices) byRdma.TryAdd(r, f);
        }
        groups = IommuGroups.ToDictionary(g => g.Number);
    }

    public IReadOnlyList<PciFunction> Functions { get; }

    public IReadOnlyList<IommuGroupInfo> IommuGroups { get; }

    public IReadOnlyList<NumaNodeInfo> NumaNodes { get; }

    public IReadOnlyList<PciSlotInfo> PciSlots { get; }

    /// <summary>CPUs online on the host (<c>/sys/devices/system/cpu/online</c>).</summary>
    public int CpuCount { get; }

    /// <summary>The host CPU's model name (the first <c>model name</c> of <c>/proc/cpuinfo</c>); null when not readable.</summary>
    public string? CpuModel { get; init; }

    /// <summary>True when <c>/sys/kernel/iommu_groups</c> has at least one group.</summary>
    public bool IommuEnabled { get; }

    public PciFunction? FindByAddress(PciAddress address) => byAddress.GetValueOrDefault(address);

    public PciFunction? FindByNetDev(string name) => byNetDev.GetValueOrDefault(name);

    public PciFunction? FindByRdma(string name) => byRdma.GetValueOrDefault(name);

    /// <summary>The function a physical slot label names: function 0 of the device in that slot, else its lowest function.</summary>
    public PciFunction? FindBySlotLabel(string label)
    {
        var slot = PciSlots.FirstOrDefault(s => string.Equals(s.Label, label, StringComparison.Ordinal));
        return slot is null ? null : Functions.Where(f => slot.Holds(f.Address)).OrderBy(f => f.Address.Function).FirstOrDefault();
    }

    public IommuGroupInfo? FindIommuGroup(int number) => groups.GetValueOrDefault(number);

    public NumaNodeInfo? FindNumaNode(int id) => NumaNodes.FirstOrDefault(n => n.Id == id);
}

/// <summary>Where the host inventory comes from: sysfs on a real host, a generated tree in tests.</summary>
public interface IHostInventorySource
{
    HostInventory Read();
}
