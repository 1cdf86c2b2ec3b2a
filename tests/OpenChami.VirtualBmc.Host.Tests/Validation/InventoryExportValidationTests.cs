using OpenChami.VirtualBmc.Slots.Validation;
using OpenChami.VirtualBmc.TestSupport;
using OpenChami.VirtualBmc.TestSupport.Sysfs;
using static OpenChami.VirtualBmc.Host.Tests.Validation.ValidationFixture;

namespace OpenChami.VirtualBmc.Host.Tests.Validation;

/// <summary>
/// The demo node type with the demo inventory export against the dense fixture: the export as shipped changes
/// nothing, and each disagreement (label, serial, slot name, host) is found with the values and places of both sides.
/// </summary>
public sealed class InventoryExportValidationTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-inventory");

    public void Dispose() => temp.Dispose();

    private static SysfsTreeBuilder Valid() => DenseNodeFixture.Create().AllGpusOnVfio();

    private ValidationReport Run(SysfsTreeBuilder tree, Func<string, string>? editExport = null, Func<Slots.Catalog.SiteConfiguration, Slots.Catalog.SiteConfiguration>? edit = null) =>
        Validate((edit ?? (c => c))(DemoWithExport(temp, tree.Write(temp.Path), editExport)));

    private static Func<string, string> Replace(string find, string replace) => text =>
    {
        Assert.Contains(find, text, StringComparison.Ordinal);
        return text.Replace(find, replace, StringComparison.Ordinal);
    };

    /// <summary>The node type without GPU1 in physicalLabels: slot0's gpu1 (physicalLabel GPU1) must go through the export.</summary>
    private static Slots.Catalog.SiteConfiguration WithoutNodeTypeGpu1(Slots.Catalog.SiteConfiguration c) =>
        c with { NodeType = c.NodeType with { PhysicalLabels = c.NodeType.PhysicalLabels.Where(l => l.Key != "GPU1").ToDictionary() } };

    [Fact]
    public void Shipped_export_leaves_the_demo_result_as_it_is()
    {
        var report = Validate(DemoWithExport(temp, DenseNodeFixture.Build(temp.Path)));

        Assert.Equal(["slot0", "slot1"], report.UsableSlots);
        AssertClean(report, "slot0");
        AssertClean(report, "slot1");
        AssertFindings(report, "slot2",
            (FindingCodes.DriverHostOwned, "gpu0", "0000:9a:00.0 bound to vfio-pci", "bound to nvidia"),
            (FindingCodes.DriverHostOwned, "gpu1", "0000:9b:00.0 bound to vfio-pci", "bound to nvidia"));
        AssertFindings(report, "slot3", (FindingCodes.DriverUnbound, "gpu1", "0000:bb:00.0 bound to vfio-pci", "no driver"));
        Assert.Equal("2 of 4 slots usable; 3 errors, 0 warnings", report.Summary);
    }

    [Fact]
    public void Export_and_node_type_putting_a_label_at_two_addresses_is_an_error()
    {
        var report = Run(Valid(), Replace("\"pciAddress\": \"0000:19:00.0\"", "\"pciAddress\": \"0000:41:00.0\""));

        AssertFindings(report, "slot0", (FindingCodes.InventoryLabelConflict, "gpu1", "physicalLabel GPU1 at one PCI address",
            "node type: 0000:19:00.0; inventory export: 0000:41:00.0"));
        var finding = report.For("slot0")!.Findings[0];
        Assert.Equal(FindingSeverity.Error, finding.Severity);
        Assert.Matches(@"^physical label GPU1 is 0000:19:00\.0 in the node type's physicalLabels \(/\S+dense-gpu-hsn-node\.yaml:7:9\) but 0000:41:00\.0 in the inventory export \(fru-tracker, 2026-11-20T10:00:00Z\) at /\S+inventory-export\.json:8:5: ", finding.Message);
        Assert.Equal(["slot1", "slot2", "slot3"], report.UsableSlots);
    }

    [Fact]
    public void Export_and_selector_address_disagreeing_is_an_error()
    {
        var report = Run(Valid(), Replace("\"pciAddress\": \"0000:19:00.0\"", "\"pciAddress\": \"0000:41:00.0\""),
            c => WithoutNodeTypeGpu1(c).WithSelector("slot0", "gpu1", Label("GPU1", "0000:19:00.0")));

        AssertFindings(report, "slot0", (FindingCodes.InventoryLabelConflict, "gpu1", "physicalLabel GPU1 at one PCI address",
            "selector: 0000:19:00.0; inventory export: 0000:41:00.0"));
        Assert.Contains("in the selector's pciAddress (test:1:1)", report.For("slot0")!.Findings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_the_node_type_lacks_resolves_through_the_export()
    {
        var report = Run(Valid(), edit: WithoutNodeTypeGpu1);

        AssertClean(report, "slot0");
        Assert.True(report.AllUsable);
    }

    [Fact]
    public void Label_resolved_through_the_export_to_a_missing_function_names_the_export()
    {
        var report = Run(Valid(), Replace("\"pciAddress\": \"0000:19:00.0\"", "\"pciAddress\": \"0000:41:00.0\""), WithoutNodeTypeGpu1);

        AssertFindings(report, "slot0", (FindingCodes.DeviceNotFound, "gpu1", "0000:41:00.0 (physicalLabel GPU1)", "no PCI function 0000:41:00.0 on this host"));
        Assert.Matches(@"^physical label GPU1 maps to 0000:41:00\.0 in the inventory export \(fru-tracker, 2026-11-20T10:00:00Z\) at /\S+inventory-export\.json:8:5, but the host has no such function: regenerate the export or check the hardware$",
            report.For("slot0")!.Findings[0].Message);
    }

    [Fact]
    public void Label_neither_the_node_type_nor_the_export_knows_is_unknown()
    {
        var report = Run(Valid(), edit: c => c.WithSelector("slot0", "gpu1", Label("GPU9")));

        AssertFindings(report, "slot0", (FindingCodes.LabelUnknown, "gpu1",
            "physicalLabel GPU9 in the node type's physicalLabels, the inventory export or a host PCI slot",
            "no such label (host PCI slots: PCIE1, PCIE2, PCIE3, PCIE4, SXM1, SXM2, SXM3, SXM4, SXM5, SXM6, SXM7, SXM8)"));
        Assert.Contains("not in the inventory export (fru-tracker, 2026-11-20T10:00:00Z)", report.For("slot0")!.Findings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_entry_without_an_address_does_not_resolve_its_label()
    {
        var report = Run(Valid(), Replace("\"label\": \"GPU1\", \"pciAddress\": \"0000:19:00.0\", ", "\"label\": \"GPU1\", "), WithoutNodeTypeGpu1);

        AssertFindings(report, "slot0", (FindingCodes.LabelUnknown, "gpu1",
            "physicalLabel GPU1 in the node type's physicalLabels, the inventory export or a host PCI slot",
            "no such label (host PCI slots: PCIE1, PCIE2, PCIE3, PCIE4, SXM1, SXM2, SXM3, SXM4, SXM5, SXM6, SXM7, SXM8)"));
        Assert.Matches(@"in the inventory export \(fru-tracker, 2026-11-20T10:00:00Z\) without a pciAddress \(/\S+inventory-export\.json:8:5\)", report.For("slot0")!.Findings[0].Message);
    }

    [Fact]
    public void Card_with_another_serial_than_the_export_is_an_error()
    {
        var report = Run(Valid().Serial("0000:19:00.0", "1654923000099"));

        AssertFindings(report, "slot0", (FindingCodes.InventorySerialMismatch, "gpu1",
            "0000:19:00.0 with serial 1654923000002 (GPU1 in the inventory export)", "serial 1654923000099 (VPD of 0000:19:00.0)"));
        var finding = report.For("slot0")!.Findings[0];
        Assert.Equal(FindingSeverity.Error, finding.Severity);
        Assert.Matches(@"^0000:19:00\.0 is not the card the inventory export \(fru-tracker, 2026-11-20T10:00:00Z\) at /\S+inventory-export\.json:8:5 lists as GPU1: the export says serial 1654923000002, the card's VPD says 1654923000099; ", finding.Message);
        Assert.Equal(["slot1", "slot2", "slot3"], report.UsableSlots);
    }

    [Fact]
    public void Serial_is_checked_by_address_when_the_selector_has_no_label()
    {
        var report = Run(Valid().Serial("0000:19:00.0", "1654923000099"), edit: c => c.WithSelector("slot0", "gpu1", Address("0000:19:00.0")));

        AssertFindings(report, "slot0", (FindingCodes.InventorySerialMismatch, "gpu1",
            "0000:19:00.0 with serial 1654923000002 (GPU1 in the inventory export)", "serial 1654923000099 (VPD of 0000:19:00.0)"));
    }

    [Fact]
    public void Card_without_vpd_serial_cannot_be_confirmed_but_stays_usable()
    {
        var report = Run(Valid().Serial("0000:19:00.0", null).Function("0000:3a:00.0", f => f.Vpd = [0x82, 0xff]));

        AssertFindings(report, "slot0", (FindingCodes.InventorySerialUnconfirmed, "gpu1",
            "0000:19:00.0 with serial 1654923000002 (GPU1 in the inventory export)", "no serial in the VPD of 0000:19:00.0"));
        AssertFindings(report, "slot1", (FindingCodes.InventorySerialUnconfirmed, "gpu0",
            "0000:3a:00.0 with serial 1654923000003 (GPU2 in the inventory export)", "no serial in the VPD of 0000:3a:00.0"));
        Assert.Equal(FindingSeverity.Warning, report.For("slot0")!.Findings[0].Severity);
        Assert.True(report.AllUsable);
        Assert.Equal("4 of 4 slots usable; 0 errors, 2 warnings", report.Summary);
    }

    [Fact]
    public void Unreadable_vpd_says_so_and_how_to_check()
    {
        var report = Run(Valid().Function("0000:19:00.0", f => f.VpdUnreadable = true));

        AssertFindings(report, "slot0", (FindingCodes.InventorySerialUnconfirmed, "gpu1",
            "0000:19:00.0 with serial 1654923000002 (GPU1 in the inventory export)", "0000:19:00.0 vpd not readable"));
        Assert.Contains("run openchami-vbmc validate as root", report.For("slot0")!.Findings[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_location_the_firmware_does_not_use_is_a_warning()
    {
        var report = Run(Valid().Function("0000:3b:00.0", f => f.FirmwareLabel = "GPU 4"),
            text => Replace("\"location\": \"SXM2\"", "\"location\": \"SXM5\"")(Replace("\"location\": \"SXM4\"", "\"location\": \"GPU 4\"")(text)));

        AssertFindings(report, "slot0", (FindingCodes.InventoryLocationMismatch, "gpu1", "0000:19:00.0 in SXM5 (GPU1 in the inventory export)", "firmware names its slot SXM2"));
        Assert.Equal(FindingSeverity.Warning, report.For("slot0")!.Findings[0].Severity);
        // GPU3: the export's location is the device's own firmware label, not the PCI slot name: that agrees.
        AssertClean(report, "slot1");
    }

    [Fact]
    public void Export_of_another_node_is_an_error_in_every_slot_and_is_not_used()
    {
        var report = Run(Valid().Serial("0000:19:00.0", "1654923000099"), Replace("\"hostId\": \"x1000c0s0b0n0\"", "\"hostId\": \"x1000c0s1b0n0\""));

        foreach (var slot in new[] { "slot0", "slot1", "slot2", "slot3" })
        {
            // No serial finding for slot0: an export of another node is not compared with this one's cards.
            AssertFindings(report, slot, (FindingCodes.InventoryHostMismatch, null, $"an inventory export of x1000c0s0b0n0 (hostId of {Path.Combine(temp.Path, "config", "host.yaml")})",
                $"an export of x1000c0s1b0n0 ({Path.Combine(temp.Path, "config", "inventory-export.json")}:3:13)"));
        }
        Assert.Empty(report.UsableSlots);
    }

    [Fact]
    public void Host_id_differing_only_in_case_is_the_same_node()
    {
        var report = Run(Valid(), Replace("\"hostId\": \"x1000c0s0b0n0\"", "\"hostId\": \"X1000C0S0B0N0\""));

        Assert.Empty(report.Findings);
    }
}
