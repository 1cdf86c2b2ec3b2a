using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Validation;
using OpenChami.VirtualBmc.TestSupport;
using OpenChami.VirtualBmc.TestSupport.Sysfs;
using static OpenChami.VirtualBmc.Host.Tests.Validation.ValidationFixture;

namespace OpenChami.VirtualBmc.Host.Tests.Validation;

/// <summary>
/// Each failure case of the fixture design, one change to the dense node (and to the demo config where the case
/// needs it), read by the real reader and validated; every finding of the affected slot is asserted.
/// </summary>
public sealed class FixtureCaseTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-case");

    public void Dispose() => temp.Dispose();

    private static SysfsTreeBuilder Valid() => DenseNodeFixture.Create().AllGpusOnVfio();

    // ---- devices and selectors ----

    [Fact]
    public void Missing_gpu_is_not_found()
    {
        var report = BuildAndValidate(temp, Valid().Remove("0000:19:00.0"));

        AssertFindings(report, "slot0", (FindingCodes.DeviceNotFound, "gpu1", "0000:19:00.0 (physicalLabel GPU1)", "no PCI function 0000:19:00.0 on this host"));
        AssertClean(report, "slot1");
    }

    [Fact]
    public void Missing_gpu_named_by_label_and_address_is_one_finding()
    {
        var report = BuildAndValidate(temp, Valid().Remove("0000:18:00.0"));

        AssertFindings(report, "slot0", (FindingCodes.DeviceNotFound, "gpu0", "0000:18:00.0 (physicalLabel GPU0)", "no PCI function 0000:18:00.0 on this host"));
    }

    [Fact]
    public void Label_falls_back_to_host_pci_slot_names()
    {
        var report = BuildAndValidate(temp, Valid(), c => c.WithSelector("slot0", "gpu1", Label("SXM2")));

        AssertClean(report, "slot0");
    }

    [Fact]
    public void Unknown_label_is_reported_with_the_host_slots()
    {
        var report = BuildAndValidate(temp, Valid(), c => c.WithSelector("slot0", "gpu1", Label("SXM9")));

        AssertFindings(report, "slot0", (FindingCodes.LabelUnknown, "gpu1", "physicalLabel SXM9 in the node type's physicalLabels or a host PCI slot",
            "no such label (host PCI slots: PCIE1, PCIE2, PCIE3, PCIE4, SXM1, SXM2, SXM3, SXM4, SXM5, SXM6, SXM7, SXM8)"));
    }

    [Fact]
    public void Label_and_address_naming_different_functions_mismatch()
    {
        var report = BuildAndValidate(temp, Valid(), c => c.WithSelector("slot0", "gpu1", Label("SXM2", "0000:3b:00.0")));

        AssertFindings(report, "slot0", (FindingCodes.SelectorMismatch, "gpu1", "physicalLabel SXM2 and pciAddress name one function",
            "physicalLabel SXM2 is 0000:19:00.0, pciAddress is 0000:3b:00.0"));
    }

    [Fact]
    public void Gpu_that_is_not_a_display_controller_is_a_class_mismatch()
    {
        var report = BuildAndValidate(temp, Valid().Function("0000:19:00.0", f => f.Class = 0x020000));

        AssertFindings(report, "slot0", (FindingCodes.DeviceClassMismatch, "gpu1", "display controller (class 0x03xxxx)", "0000:19:00.0 is class 0x020000 (10de:2330)"));
    }

    [Fact]
    public void Generic_pci_device_may_not_be_a_bridge()
    {
        var report = BuildAndValidate(temp, Valid(), c => c.WithTemplate("slot0", t => t with
        {
            Devices = [.. t.Devices, new DeviceBinding("acc0", DeviceKind.Pci, null, Address("0000:17:00.0"), t.Where)],
        }));

        AssertFindings(report, "slot0",
            (FindingCodes.DeviceClassMismatch, "acc0", "PCI endpoint (not a bridge, class 0x0604xx)", "0000:17:00.0 is class 0x060400 (1000:c030)"),
            (FindingCodes.DriverHostOwned, "acc0", "0000:17:00.0 bound to vfio-pci", "bound to pcieport"));
    }

    // ---- SR-IOV ----

    [Fact]
    public void Pf_with_zero_vfs_has_no_vf_index_0()
    {
        var report = BuildAndValidate(temp, Valid(), c => c.WithSelector("slot2", "hsn0", Vf("mlx5_2", 0)));

        AssertFindings(report, "slot2", (FindingCodes.VfIndexOutOfRange, "hsn0", "vfIndex 0 < sriov_numvfs of 0000:9c:00.0", "sriov_numvfs 0"));
    }

    [Fact]
    public void Pf_without_sriov_capability_is_rejected()
    {
        var report = BuildAndValidate(temp, Valid().Function("0000:9c:00.0", f => f.SriovTotalVfs = null),
            c => c.WithSelector("slot2", "hsn0", Vf("ibp156s0", 0)));

        AssertFindings(report, "slot2", (FindingCodes.PfNotSriov, "hsn0", "0000:9c:00.0 SR-IOV capable (sriov_totalvfs > 0)", "0000:9c:00.0 has no SR-IOV capability"));
    }

    [Fact]
    public void Unknown_pf_name_is_not_found()
    {
        var report = BuildAndValidate(temp, Valid(), c => c.WithSelector("slot3", "hsn0", Vf("mlx5_9", 1)));

        AssertFindings(report, "slot3", (FindingCodes.PfNotFound, "hsn0", "PF mlx5_9 (netdev, RDMA device or PCI address)", "no such netdev, RDMA device or PCI function"));
    }

    [Fact]
    public void Numvfs_above_totalvfs_is_reported_for_every_slot_on_that_pf()
    {
        var report = BuildAndValidate(temp, Valid().NumVfsAboveTotal());

        AssertFindings(report, "slot0", (FindingCodes.SriovNumVfsInvalid, "hsn0", "0000:1a:00.0 sriov_numvfs <= sriov_totalvfs 16", "sriov_numvfs 20"));
        AssertFindings(report, "slot1", (FindingCodes.SriovNumVfsInvalid, "hsn0", "0000:1a:00.0 sriov_numvfs <= sriov_totalvfs 16", "sriov_numvfs 20"));
    }

    [Fact]
    public void Dangling_physfn_fails_the_vf()
    {
        var report = BuildAndValidate(temp, Valid().DanglingPhysFn());

        AssertFindings(report, "slot0", (FindingCodes.VfPhysFnMismatch, "hsn0", "0000:1a:00.1 physfn is 0000:1a:00.0", "0000:1a:00.1 physfn dangles"));
        AssertClean(report, "slot1");
    }

    [Fact]
    public void Mismatched_physfn_fails_the_vf()
    {
        var report = BuildAndValidate(temp, Valid().MismatchedPhysFn());

        AssertFindings(report, "slot1", (FindingCodes.VfPhysFnMismatch, "hsn0", "0000:1a:00.2 physfn is 0000:1a:00.0", "0000:1a:00.2 physfn is 0000:1a:00.1"));
        AssertClean(report, "slot0");
    }

    [Fact]
    public void Vf_counted_but_absent_is_missing()
    {
        var report = BuildAndValidate(temp, Valid().Remove("0000:1a:00.2").Function("0000:1a:00.0", f => f.SriovNumVfsFile = 4));

        AssertFindings(report, "slot1", (FindingCodes.VfMissing, "hsn0", "virtfn1 of 0000:1a:00.0 naming a VF", "no virtfn1 link"));
    }

    [Fact]
    public void Vf_on_mlx5_core_is_host_owned_and_in_use()
    {
        var report = BuildAndValidate(temp, Valid(), c => c.WithSelector("slot0", "hsn0", Vf("mlx5_0", 2)));

        AssertFindings(report, "slot0",
            (FindingCodes.DriverHostOwned, "hsn0", "0000:1a:00.3 bound to vfio-pci", "bound to mlx5_core"),
            (FindingCodes.DeviceInUse, "hsn0", "0000:1a:00.3 not in use by the host", "netdev ibp26s0v2 is up"));
    }

    [Fact]
    public void Unbound_vf_needs_vfio_or_managed_detach()
    {
        var tree = Valid();
        var strict = BuildAndValidate(temp, tree, c => c.WithSelector("slot3", "hsn0", Vf("mlx5_3", 6)));
        AssertFindings(strict, "slot3", (FindingCodes.DriverUnbound, "hsn0", "0000:bc:00.7 bound to vfio-pci", "no driver"));

        var managed = Validate(Demo(temp.Path, allowManagedDetach: true).WithSelector("slot3", "hsn0", Vf("mlx5_3", 6)));
        AssertClean(managed, "slot3");
    }

    // ---- sharing ----

    [Fact]
    public void Same_vf_by_rdma_name_and_by_netdev_name_is_assigned_twice()
    {
        var report = BuildAndValidate(temp, Valid(), c => c.WithSelector("slot1", "hsn0", Vf("ibp26s0", 0)));

        AssertFindings(report, "slot0", (FindingCodes.DeviceAssignedTwice, "hsn0", "0000:1a:00.1 given to slot0/hsn0 only", "also given to slot1/hsn0"));
        AssertFindings(report, "slot1", (FindingCodes.DeviceAssignedTwice, "hsn0", "0000:1a:00.1 given to slot1/hsn0 only", "also given to slot0/hsn0"));
    }

    [Fact]
    public void Same_gpu_by_label_and_by_address_is_assigned_twice()
    {
        var report = BuildAndValidate(temp, Valid(), c => c.WithSelector("slot1", "gpu0", Address("0000:18:00.0")));

        AssertFindings(report, "slot0", (FindingCodes.DeviceAssignedTwice, "gpu0", "0000:18:00.0 given to slot0/gpu0 only", "also given to slot1/gpu0"));
        AssertFindings(report, "slot1", (FindingCodes.DeviceAssignedTwice, "gpu0", "0000:18:00.0 given to slot1/gpu0 only", "also given to slot0/gpu0"));
    }

    // ---- IOMMU ----

    [Fact]
    public void Nvidia_endpoint_beside_a_vfio_gpu_fails_the_group()
    {
        var report = BuildAndValidate(temp, Valid().NvidiaEndpointBesideVfioGpu());

        AssertFindings(report, "slot0",
            (FindingCodes.IommuGroupHostDriver, "gpu0", "no host-driver endpoint in IOMMU group 13", "0000:19:00.0 (10de:2330) bound to nvidia"),
            (FindingCodes.DriverHostOwned, "gpu1", "0000:19:00.0 bound to vfio-pci", "bound to nvidia"));
    }

    [Fact]
    public void Group_split_across_two_slots_fails_both()
    {
        var report = BuildAndValidate(temp, Valid().IommuGroup("0000:3a:00.0", 13));

        AssertFindings(report, "slot0", (FindingCodes.IommuGroupSplit, "gpu0", "every vfio-pci member of IOMMU group 13 in slot slot0", "0000:3a:00.0 (vfio-pci) is given to slot1/gpu0"));
        AssertFindings(report, "slot1", (FindingCodes.IommuGroupSplit, "gpu0", "every vfio-pci member of IOMMU group 13 in slot slot1", "0000:18:00.0 (vfio-pci) is given to slot0/gpu0"));
    }

    [Fact]
    public void A_vfio_member_given_to_no_slot_keeps_the_group_viable_and_is_a_warning()
    {
        // A GPU passed through without its HDMI-audio sibling, the sibling on vfio-pci and given to no slot: VFIO accepts
        // the group (every member on vfio-pci, none used elsewhere), so the slot stays usable, with a warning.
        var report = BuildAndValidate(temp, Valid().IommuGroup("0000:bc:00.7", 13).Bind("0000:bc:00.7", "vfio-pci"));

        AssertFindings(report, "slot0", (FindingCodes.IommuGroupSplit, "gpu0", "every vfio-pci member of IOMMU group 13 in slot slot0", "0000:bc:00.7 (vfio-pci) is given to no slot"));
        Assert.Equal(FindingSeverity.Warning, report.For("slot0")!.Findings.Single().Severity);
        Assert.True(report.For("slot0")!.IsUsable);
    }

    [Fact]
    public void Unbound_and_pci_stub_members_are_allowed_in_the_group()
    {
        var tree = Valid().IommuGroup("0000:bc:00.7", 13).IommuGroup("0000:bc:01.0", 13)
            .Bind("0000:bc:01.0", "pci-stub");

        var report = BuildAndValidate(temp, tree);

        AssertClean(report, "slot0");
    }

    [Fact]
    public void Device_without_a_group_while_iommu_is_on()
    {
        var report = BuildAndValidate(temp, Valid().IommuGroup("0000:18:00.0", null));

        AssertFindings(report, "slot0", (FindingCodes.IommuGroupMissing, "gpu0", "0000:18:00.0 in an IOMMU group", "no iommu_group"));
    }

    [Fact]
    public void Iommu_off_fails_every_slot_with_devices_once()
    {
        var report = BuildAndValidate(temp, Valid().IommuOff());

        foreach (var slot in new[] { "slot0", "slot1", "slot2", "slot3" })
        {
            AssertFindings(report, slot, (FindingCodes.IommuDisabled, null, "IOMMU on (groups under /sys/kernel/iommu_groups)", "no IOMMU groups"));
        }
        Assert.Empty(report.UsableSlots);
    }

    // ---- NUMA ----

    [Fact]
    public void Unknown_numa_is_a_warning_under_strict_and_the_slot_stays_usable()
    {
        var report = BuildAndValidate(temp, Valid().UnknownNumaGpu0());

        AssertFindings(report, "slot0", (FindingCodes.NumaUnknown, "gpu0", "0000:18:00.0 on NUMA node 0", "numa_node -1 (unknown)"));
        Assert.Equal(FindingSeverity.Warning, report.For("slot0")!.Findings.Single().Severity);
        Assert.True(report.For("slot0")!.IsUsable);
    }

    [Fact]
    public void Device_on_the_other_node_fails_strict()
    {
        var report = BuildAndValidate(temp, Valid().Numa("0000:19:00.0", 1));

        AssertFindings(report, "slot0", (FindingCodes.NumaMismatch, "gpu1", "0000:19:00.0 on NUMA node 0", "NUMA node 1"));
    }

    [Fact]
    public void Preferred_policy_does_not_check_device_placement()
    {
        var report = BuildAndValidate(temp, Valid().Numa("0000:19:00.0", 1),
            c => c.WithTemplate("slot0", t => t with { Cpu = t.Cpu with { NumaPolicy = NumaPolicy.Preferred } }));

        AssertClean(report, "slot0");
    }

    [Fact]
    public void Strict_without_numa_node_needs_devices_to_agree()
    {
        var report = BuildAndValidate(temp, Valid().Numa("0000:19:00.0", 1),
            c => c.WithTemplate("slot0", t => t with { Cpu = t.Cpu with { NumaNode = null } }));

        AssertFindings(report, "slot0", (FindingCodes.NumaDevicesDisagree, null, "all devices on one NUMA node", "gpu0 on 0, gpu1 on 1, hsn0 on 0"));
    }

    [Fact]
    public void Hugepages_are_summed_over_the_slots_of_a_node()
    {
        // 300 free 1G pages on node 1; slot2 and slot3 need 192 each: either fits alone, both do not.
        var report = BuildAndValidate(temp, Valid().Hugepages(1, 1048576, 448, 300));

        AssertClean(report, "slot0");
        AssertFindings(report, "slot2", (FindingCodes.NumaHugepagesInsufficient, null, "384 free 1G hugepages on node 1 (slot2, slot3)", "300 free"));
        AssertFindings(report, "slot3", (FindingCodes.NumaHugepagesInsufficient, null, "384 free 1G hugepages on node 1 (slot2, slot3)", "300 free"));
    }

    [Fact]
    public void Hugepages_are_counted_at_the_slots_page_size()
    {
        var report = BuildAndValidate(temp, Valid(),
            c => c.WithTemplate("slot0", t => t with { Memory = t.Memory with { HugepageSize = HugepageSize.TwoMiB } }));

        // 128 GiB in 2M pages = 65536 pages; node 0 has 1024 free 2M pages. slot1 (1G pages) is unaffected.
        AssertFindings(report, "slot0", (FindingCodes.NumaHugepagesInsufficient, null, "65536 free 2M hugepages on node 0 (slot0)", "1024 free"));
        AssertClean(report, "slot1");
    }

    [Fact]
    public void Cpus_and_memory_are_summed_over_the_slots_of_a_node()
    {
        var tree = Valid().Node(1, "32-63", 256L * 1024 * 1024, n =>
        {
            n.Hugepages[1048576] = (448, 448);
        });

        var report = BuildAndValidate(temp, tree);

        AssertFindings(report, "slot2",
            (FindingCodes.NumaCpusInsufficient, null, "48 CPUs on node 1 (slot2, slot3)", "node 1 has 32 CPUs"),
            (FindingCodes.NumaMemoryInsufficient, null, "384 GiB memory on node 1 (slot2, slot3)", "node 1 has 256 GiB"));
        AssertClean(report, "slot0");
    }

    [Fact]
    public void Numa_node_the_host_lacks_is_missing()
    {
        var report = BuildAndValidate(temp, Valid().RemoveNode(1));

        AssertFindings(report, "slot3", (FindingCodes.NumaNodeMissing, null, "NUMA node 1", "host NUMA nodes: 0"));
        AssertClean(report, "slot1");
    }
}
