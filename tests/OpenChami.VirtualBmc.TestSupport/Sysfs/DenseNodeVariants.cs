namespace OpenChami.VirtualBmc.TestSupport.Sysfs;

/// <summary>
/// The broken-on-purpose variants of the dense node from the fixture design, each one change on top of
/// <see cref="DenseNodeFixture.Create"/>. Kept out of the base tree because every GPU there is claimed by a demo slot
/// and the demo's outcome (slot0/slot1 usable, slot2/slot3 not, for the stated reasons) must stay as designed.
/// </summary>
public static class DenseNodeVariants
{
    /// <summary>Every GPU on vfio-pci (GPU4, GPU5 and GPU7 too): the demo's four slots all validate clean.</summary>
    public static SysfsTreeBuilder AllGpusOnVfio(this SysfsTreeBuilder b) =>
        b.Bind("0000:9a:00.0", "vfio-pci").Bind("0000:9b:00.0", "vfio-pci").Bind("0000:bb:00.0", "vfio-pci");

    /// <summary>GPU1 (0000:19:00.0) bound to nvidia and in GPU0's IOMMU group 13: a vfio GPU beside a host-driver endpoint.</summary>
    public static SysfsTreeBuilder NvidiaEndpointBesideVfioGpu(this SysfsTreeBuilder b) =>
        b.Bind("0000:19:00.0", "nvidia").IommuGroup("0000:19:00.0", b["0000:18:00.0"].IommuGroup);

    /// <summary>VF 0 of mlx5_0 (0000:1a:00.1) whose physfn link points at a function that does not exist.</summary>
    public static SysfsTreeBuilder DanglingPhysFn(this SysfsTreeBuilder b) =>
        b.Function("0000:1a:00.1", f => f.PhysFnTargetOverride = "0000:1a:01.7");

    /// <summary>VF 1 of mlx5_0 (0000:1a:00.2) whose physfn names its sibling VF 0000:1a:00.1 instead of the PF.</summary>
    public static SysfsTreeBuilder MismatchedPhysFn(this SysfsTreeBuilder b) =>
        b.Function("0000:1a:00.2", f => f.PhysFnTargetOverride = "0000:1a:00.1");

    /// <summary>mlx5_0 (0000:1a:00.0) claiming sriov_numvfs 20 against sriov_totalvfs 16.</summary>
    public static SysfsTreeBuilder NumVfsAboveTotal(this SysfsTreeBuilder b) =>
        b.Function("0000:1a:00.0", f => f.SriovNumVfsFile = 20);

    /// <summary>GPU0 (0000:18:00.0) with numa_node -1: firmware gives no affinity.</summary>
    public static SysfsTreeBuilder UnknownNumaGpu0(this SysfsTreeBuilder b) => b.Numa("0000:18:00.0", -1);
}
