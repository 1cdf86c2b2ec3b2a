using System.Text.Json;
using OpenChami.VirtualBmc.Slots.Validation;
using OpenChami.VirtualBmc.TestSupport;
using OpenChami.VirtualBmc.TestSupport.Sysfs;
using static OpenChami.VirtualBmc.Host.Tests.Validation.ValidationFixture;

namespace OpenChami.VirtualBmc.Host.Tests.Validation;

/// <summary>The demo node type against the dense fixture, as shipped and with the fixture's cases fixed.</summary>
public sealed class DemoValidationTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-validate");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Demo_on_the_dense_node_gives_slot0_and_slot1_usable_and_slot2_slot3_not()
    {
        var report = Validate(Demo(DenseNodeFixture.Build(temp.Path)));

        Assert.Equal(["slot0", "slot1", "slot2", "slot3"], report.Slots.Select(s => s.Slot));
        Assert.Equal(["slot0", "slot1"], report.UsableSlots);
        Assert.Equal(["slot2", "slot3"], report.UnusableSlots);
        AssertClean(report, "slot0");
        AssertClean(report, "slot1");
        AssertFindings(report, "slot2",
            (FindingCodes.DriverHostOwned, "gpu0", "0000:9a:00.0 bound to vfio-pci", "bound to nvidia"),
            (FindingCodes.DriverHostOwned, "gpu1", "0000:9b:00.0 bound to vfio-pci", "bound to nvidia"));
        // GPU6 shares group 42 with its switch downstream port only: a bridge, so allowed; GPU7 has no driver.
        AssertFindings(report, "slot3",
            (FindingCodes.DriverUnbound, "gpu1", "0000:bb:00.0 bound to vfio-pci", "no driver"));
        Assert.Equal("2 of 4 slots usable; 3 errors, 0 warnings", report.Summary);
    }

    [Fact]
    public void Fully_valid_dense_node_passes_clean()
    {
        var report = BuildAndValidate(temp, DenseNodeFixture.Create().AllGpusOnVfio());

        Assert.Empty(report.Findings);
        Assert.True(report.AllUsable);
        Assert.Equal("4 of 4 slots usable; 0 errors, 0 warnings", report.Summary);
    }

    [Fact]
    public void Allow_managed_detach_accepts_the_unbound_gpu_but_not_the_host_owned_ones()
    {
        var report = Validate(Demo(DenseNodeFixture.Build(temp.Path), allowManagedDetach: true));

        AssertClean(report, "slot3");
        Assert.Equal(["slot2"], report.UnusableSlots);
    }

    [Fact]
    public void Gpu6_group_is_only_usable_because_its_other_member_is_a_bridge()
    {
        // Same group, but the downstream port's place taken by an endpoint on a host driver: now it must fail.
        var tree = DenseNodeFixture.Create().AllGpusOnVfio()
            .Function("0000:b9:00.0", f => f.Class = 0x020000)
            .Bind("0000:b9:00.0", "ixgbe");

        var report = BuildAndValidate(temp, tree);

        AssertFindings(report, "slot3",
            (FindingCodes.IommuGroupHostDriver, "gpu0", "no host-driver endpoint in IOMMU group 42", "0000:b9:00.0 (1000:c030) bound to ixgbe"));
    }

    [Fact]
    public void Failing_slot_is_reported_without_hiding_the_others_and_order_is_stable()
    {
        var root = DenseNodeFixture.Build(temp.Path);
        var first = Validate(Demo(root));
        var second = Validate(Demo(root));

        Assert.Equal(first.Findings, second.Findings);
        Assert.Equal(4, first.Slots.Count);
    }

    [Fact]
    public void Report_serializes_with_codes_and_severity_names()
    {
        var report = Validate(Demo(DenseNodeFixture.Build(temp.Path)));

        var json = JsonSerializer.Serialize(report);

        using var doc = JsonDocument.Parse(json);
        var slot2 = doc.RootElement.GetProperty("Slots")[2];
        Assert.Equal("slot2", slot2.GetProperty("Slot").GetString());
        Assert.False(slot2.GetProperty("IsUsable").GetBoolean());
        var finding = slot2.GetProperty("Findings")[0];
        Assert.Equal("DRIVER_HOST_OWNED", finding.GetProperty("Code").GetString());
        Assert.Equal("Error", finding.GetProperty("Severity").GetString());
        Assert.Equal("gpu0", finding.GetProperty("Device").GetString());
    }

    [Fact]
    public void Extra_slot_checks_run_after_the_built_in_ones_and_count()
    {
        var root = DenseNodeFixture.Build(temp.Path);
        var check = new DomainMismatchCheck("slot0");

        var report = Validate(Demo(root), check);

        Assert.Equal(["slot0", "slot1", "slot2", "slot3"], check.Seen);
        AssertFindings(report, "slot0", ("DOMAIN_MISMATCH", null, "domain slot0 with 3 hostdevs", "domain differs"));
        Assert.Equal(["slot1"], report.UsableSlots);
    }

    private sealed class DomainMismatchCheck(string failing) : ISlotCheck
    {
        public List<string> Seen { get; } = [];

        public IEnumerable<ValidationFinding> Check(SlotCheckContext context)
        {
            Seen.Add(context.Slot.Name);
            if (context.Slot.Name == failing)
            {
                var resolved = context.Devices.Count(d => d.Function is not null);
                yield return context.Finding("DOMAIN_MISMATCH", FindingSeverity.Error, null, $"domain {failing} with {resolved} hostdevs", "domain differs", "test");
            }
        }
    }
}
