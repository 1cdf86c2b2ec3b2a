using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.Slots.Inventory;
using OpenChami.VirtualBmc.Slots.Validation;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Slots.Tests.Validation;

/// <summary>
/// The validator on its own, with inventories built in code (no sysfs): the core needs no adapter to be checked.
/// The fixture cases against real trees live in OpenChami.VirtualBmc.Host.Tests/Validation.
/// </summary>
public sealed class HandMadeInventoryTests
{
    private static SiteConfiguration Demo() =>
        ConfigurationLoader.Load(Path.Combine(RepoPaths.Examples, "demo", "host.yaml")).GetOrThrow();

    private static HostInventory Empty(bool iommu) => new([], iommu ? [new IommuGroupInfo(1, [])] : [], [], [], 2, iommu);

    [Fact]
    public void Empty_host_reports_every_device_of_every_slot()
    {
        var report = BindingValidator.Validate(Demo(), Empty(iommu: true));

        Assert.Empty(report.UsableSlots);
        Assert.Equal(
            ["DEVICE_NOT_FOUND gpu0", "DEVICE_NOT_FOUND gpu1", "PF_NOT_FOUND hsn0", "NUMA_NODE_MISSING "],
            report.For("slot0")!.Findings.Select(f => $"{f.Code} {f.Device}"));
        Assert.Equal(
            ["DEVICE_NOT_FOUND gpu0", "DEVICE_NOT_FOUND gpu1", "PF_NOT_FOUND hsn0", "PF_NOT_FOUND data0", "NUMA_NODE_MISSING "],
            report.For("slot1")!.Findings.Select(f => $"{f.Code} {f.Device}"));
        // slot0's gpu0 has both a label and an address: one finding per missing function, not per selector field.
        var gpu0 = report.For("slot0")!.Findings[0];
        Assert.Equal(("0000:18:00.0 (physicalLabel GPU0)", "no PCI function 0000:18:00.0 on this host"), (gpu0.Expected, gpu0.Found));
        Assert.Equal(17, report.Errors);
    }

    [Fact]
    public void Iommu_off_is_one_slot_wide_finding_per_slot()
    {
        var report = BindingValidator.Validate(Demo(), Empty(iommu: false));

        Assert.All(report.Slots, s => Assert.Single(s.Findings, f => f.Code == "IOMMU_DISABLED" && f.Device is null));
    }

    [Fact]
    public void Report_summary_counts_errors_and_warnings()
    {
        var findings = new[]
        {
            new ValidationFinding("A", FindingSeverity.Warning, "s0", null, "e", "f", "m"),
            new ValidationFinding("B", FindingSeverity.Error, "s1", "d", "e", "f", "m"),
        };
        var report = new ValidationReport([new SlotValidation("s0", [findings[0]]), new SlotValidation("s1", [findings[1]])]);

        Assert.Equal("1 of 2 slots usable; 1 error, 1 warning", report.Summary);
        Assert.Equal(["s0"], report.UsableSlots);
        Assert.Equal(findings, report.Findings);
    }
}
