namespace OpenChami.VirtualBmc.Slots.Inventory;

/// <summary>
/// One PCI function as the host sees it. Anything sysfs may leave out is nullable: a missing <c>driver</c> link
/// means unbound, a missing <c>iommu_group</c> link means no IOMMU (no group, no members), <c>numa_node</c> -1 means unknown (null, never 0).
/// <see cref="SerialNumber"/> is the SN keyword of the function's PCI VPD; <see cref="VpdUnreadable"/> says the
/// <c>vpd</c> file exists but could not be read (the kernel makes it root-only), so a missing serial proves nothing.
/// <see cref="FirmwareLabel"/> is the kernel's <c>label</c> file (ACPI _DSM or SMBIOS type 41 slot designation).
/// </summary>
public sealed record PciFunction(
    PciAddress Address,
    int VendorId,
    int DeviceId,
    int ClassCode,
    int? SubsystemVendorId,
    int? SubsystemDeviceId,
    int? NumaNode,
    int? IommuGroup,
    IReadOnlyList<PciAddress> IommuGroupMembers,
    string? Driver,
    string? DriverOverride,
    PciAddress? ParentBridge,
    string? SlotName,
    SriovInfo? Sriov,
    VirtualFunctionInfo? VirtualFunction,
    IReadOnlyList<NetDevice> NetDevices,
    IReadOnlyList<string> RdmaDevices,
    string? SerialNumber = null,
    bool VpdUnreadable = false,
    string? FirmwareLabel = null)
{
    /// <summary>PCI-to-PCI bridge (class 0x0604xx): root ports and switch ports.</summary>
    public bool IsBridge => (ClassCode >> 8) == 0x0604;

    /// <summary>Display controller (base class 0x03): VGA, 3D controller.</summary>
    public bool IsDisplay => (ClassCode >> 16) == 0x03;

    /// <summary>Network controller (base class 0x02): Ethernet, InfiniBand.</summary>
    public bool IsNetwork => (ClassCode >> 16) == 0x02;

    public bool IsVirtualFunction => VirtualFunction is not null;

    public string ClassHex => $"0x{ClassCode:x6}";

    public string VendorDeviceHex => $"{VendorId:x4}:{DeviceId:x4}";
}

/// <summary>The SR-IOV side of a physical function (present when <c>sriov_totalvfs</c> exists).</summary>
public sealed record SriovInfo(int TotalVfs, int NumVfs, IReadOnlyList<VfLink> Vfs)
{
    public VfLink? FindVf(int index) => Vfs.FirstOrDefault(v => v.Index == index);
}

/// <summary>
/// A <c>virtfnN</c> link of a PF. <see cref="Address"/> is null when the link dangles; <see cref="PointsBack"/> says
/// whether that VF's <c>physfn</c> names this PF.
/// </summary>
public sealed record VfLink(int Index, PciAddress? Address, bool PointsBack);

/// <summary>
/// The <c>physfn</c> link of a VF. <see cref="PhysFn"/> is null when the link dangles; <see cref="ListedByPf"/> says
/// whether that PF has a <c>virtfnN</c> link back to this VF (both directions agree).
/// </summary>
public sealed record VirtualFunctionInfo(PciAddress? PhysFn, int? Index, bool ListedByPf)
{
    public bool IsConsistent => PhysFn is not null && ListedByPf;
}

/// <summary>A network interface of a function (directly under <c>net/</c> or below a child such as <c>virtio2/net/</c>).</summary>
public sealed record NetDevice(string Name, string? OperState)
{
    public bool IsUp => string.Equals(OperState, "up", StringComparison.Ordinal);
}
