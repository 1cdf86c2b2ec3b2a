namespace OpenChami.VirtualBmc.Slots.Catalog;

/// <summary>
/// One kind of node and the static VM slots it offers. Loaded from a node type YAML file;
/// <see cref="PhysicalLabelLocations"/> says where each label's address is written, for findings that quote it.
/// </summary>
public sealed record NodeType(
    string Name,
    string? Description,
    IReadOnlyDictionary<string, PciAddress> PhysicalLabels,
    NodeResources? Resources,
    IReadOnlyList<SlotTemplate> Slots,
    SourceLocation Where,
    IReadOnlyDictionary<string, SourceLocation>? PhysicalLabelLocations = null)
{
    public SlotTemplate? FindSlot(string name) => Slots.FirstOrDefault(s => s.Name == name);

    /// <summary>Where label's address is written, else the file.</summary>
    public SourceLocation LabelWhere(string label) =>
        PhysicalLabelLocations?.GetValueOrDefault(label) ?? SourceLocation.StartOf(Where.File);
}

/// <summary>What the node type offers slots per NUMA node, after the host's own reservation.</summary>
public sealed record NodeResources(IReadOnlyList<NumaNodeResources> NumaNodes, SourceLocation Where);

public sealed record NumaNodeResources(int Id, int Cores, int MemoryGiB, int? HugepagesGiB, SourceLocation Where);

public sealed record SlotTemplate(
    string Name,
    string? Profile,
    string? Image,
    Firmware Firmware,
    CpuSpec Cpu,
    MemorySpec Memory,
    IReadOnlyList<DeviceBinding> Devices,
    IReadOnlyList<NetworkAttachment> Networks,
    CloudInitTemplate CloudInit,
    SourceLocation Where)
{
    /// <summary>Where the template's <c>image</c> key was written (null when it has none), for image findings.</summary>
    public SourceLocation? ImageWhere { get; init; }

    /// <summary>
    /// Secure boot pinned by the template (<c>secureBoot: enabled | disabled</c>); null when not pinned: the operator
    /// switches it over Redfish (off until then). Only for UEFI templates.
    /// </summary>
    public bool? SecureBoot { get; init; }

    /// <summary>Where the template's <c>secureBoot</c> key was written (null when it has none).</summary>
    public SourceLocation? SecureBootWhere { get; init; }

    /// <summary>Names that may carry a MAC or an IP: NIC devices and virtio networks.</summary>
    public IEnumerable<string> InterfaceNames =>
        Devices.Where(d => d.Kind == DeviceKind.Nic).Select(d => d.Name).Concat(Networks.Select(n => n.Name));
}

public enum Firmware { Uefi, Bios }

public enum NumaPolicy { Strict, Preferred, None }

public sealed record CpuSpec(int Cores, NumaPolicy NumaPolicy, int? NumaNode, SourceLocation Where);

public enum HugepageSize { TwoMiB, OneGiB }

public sealed record MemorySpec(int SizeGiB, bool Hugepages, HugepageSize? HugepageSize, SourceLocation Where)
{
    /// <summary>The page size actually used when hugepages are on: 1 GiB unless the template says 2M.</summary>
    public HugepageSize EffectivePageSize => HugepageSize ?? Catalog.HugepageSize.OneGiB;
}

public enum DeviceKind { Gpu, Nic, Pci }

public enum NicMode { Passthrough, SriovVf }

/// <summary>A host device given to a slot. <see cref="Mode"/> is only set for NICs.</summary>
public sealed record DeviceBinding(string Name, DeviceKind Kind, NicMode? Mode, DeviceSelector Selector, SourceLocation Where)
{
    public bool IsVirtualFunction => Kind == DeviceKind.Nic && Mode == NicMode.SriovVf;
}

/// <summary>How the template names the device; which fields are set depends on the kind (see the node type schema).</summary>
public sealed record DeviceSelector(PciAddress? PciAddress, string? PhysicalLabel, string? Pf, int? VfIndex, SourceLocation Where)
{
    public override string ToString()
    {
        var parts = new List<string>();
        if (PciAddress is { } a) parts.Add($"pciAddress {a}");
        if (PhysicalLabel is { } l) parts.Add($"physicalLabel {l}");
        if (Pf is { } pf) parts.Add($"pf {pf}");
        if (VfIndex is { } vf) parts.Add($"vfIndex {vf}");
        return string.Join(", ", parts);
    }
}

/// <summary>A paravirtual NIC on a host bridge or libvirt network.</summary>
public sealed record NetworkAttachment(string Name, string? Bridge, string? Network, SourceLocation Where);

/// <summary>The template's cloud-init data for the slot's local NoCloud seed (<see cref="Images.NoCloudSeedComposer"/>).</summary>
/// <param name="LocalSeed">Attach a local seed (label cidata) to the slot's domain.</param>
/// <param name="UserData">user-data as written (a mapping in the file is stored as its <c>#cloud-config</c> text), or null.</param>
/// <param name="MetaDataJson">Extra meta-data keys as a JSON object, in the order written, or null.</param>
/// <param name="UserDataWhere">Where userData was written, for messages.</param>
/// <param name="MetaDataWhere">Where metaData was written, for messages.</param>
public sealed record CloudInitTemplate(bool LocalSeed, string? UserData, string? MetaDataJson, SourceLocation? UserDataWhere = null, SourceLocation? MetaDataWhere = null)
{
    public static readonly CloudInitTemplate None = new(false, null, null);
}
