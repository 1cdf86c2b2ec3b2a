using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.Slots.Validation;
using OpenChami.VirtualBmc.TestSupport;
using OpenChami.VirtualBmc.TestSupport.Sysfs;
using static OpenChami.VirtualBmc.Host.Tests.Validation.ValidationFixture;

namespace OpenChami.VirtualBmc.Host.Tests.Report;

/// <summary>
/// The audit page rendered from the same report the JSON comes from: the demo node, a node with every failure case the
/// validator finds on one host, the IOMMU off, the 64-VF node; well-formed, self-contained and the same bytes each time.
/// </summary>
public sealed class TopologyPageTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-page");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Demo_node_names_every_slot_and_places_every_finding_on_its_device()
    {
        var page = RenderedAudit.Of(Demo(DenseNodeFixture.Build(temp.Path)));

        Assert.Equal(3, page.Report.Findings.Count);
        foreach (var slot in page.Report.Slots)
        {
            Assert.Contains(slot.IsUsable ? "usable" : "NOT USABLE", page.SlotRow(slot.Slot).Value, StringComparison.Ordinal);
        }
        page.AssertEveryFindingPlaced();
        Assert.Contains(page.Report.Summary, page.Text, StringComparison.Ordinal);
        // GPU4 (slot2/gpu0, nvidia) carries its finding and its slot's badge.
        var gpu4 = page.DeviceBox("0000:9a:00.0");
        Assert.Contains("slot2 / gpu0", gpu4.Value, StringComparison.Ordinal);
        Assert.Contains(FindingCodes.DriverHostOwned, gpu4.Value, StringComparison.Ordinal);
        page.AssertPolicyMatchesStyle();
    }

    /// <summary>One host and configuration carrying the fixture design's failure cases at once.</summary>
    private static SiteConfiguration EveryFailure(string root)
    {
        var tree = DenseNodeFixture.Create()
            .NumVfsAboveTotal()
            .UnknownNumaGpu0()
            .NvidiaEndpointBesideVfioGpu()
            .MismatchedPhysFn();
        tree.IommuGroup("0000:3b:00.0", tree["0000:3a:00.0"].IommuGroup).IommuGroup("0000:bb:00.0", null);
        var config = Demo(tree.Write(root))
            .WithSelector("slot0", "gpu1", Label("SXM9"))
            .WithSelector("slot1", "gpu1", Label("SXM4", "0000:3a:00.0"))
            .WithSelector("slot1", "data0", Vf("mlx5_9", 1))
            .WithSelector("slot2", "hsn0", Vf("mlx5_2", 0))
            .WithSelector("slot2", "gpu1", Address("0000:3a:00.0"))
            .WithSelector("slot3", "gpu0", Address("0000:ee:00.0"))
            .WithSelector("slot3", "hsn0", Vf("mlx5_3", 4))
            .WithTemplate("slot2", t => t with { Cpu = t.Cpu with { NumaNode = 7 } })
            .WithTemplate("slot3", t => t with
            {
                Cpu = t.Cpu with { Cores = 200 },
                Memory = t.Memory with { SizeGiB = 600 },
                Devices = [.. t.Devices, new DeviceBinding("acc0", DeviceKind.Pci, null, Address("0000:17:00.0"), t.Where),
                    new DeviceBinding("nic9", DeviceKind.Nic, NicMode.SriovVf, Vf("0000:9c:00.0", 0), t.Where),
                    new DeviceBinding("nic8", DeviceKind.Nic, NicMode.SriovVf, Vf("0000:3b:00.0", 0), t.Where)],
            });
        return config;
    }

    [Fact]
    public void Every_failure_case_is_on_the_page_with_its_code_and_message()
    {
        var page = RenderedAudit.Of(EveryFailure(temp.Path));

        var codes = page.Report.Findings.Select(f => f.Code).Distinct().Order().ToList();
        // The fixture is worth its name only if it really gives that many different failures.
        Assert.True(codes.Count >= 20, "codes: " + string.Join(", ", codes));
        foreach (var code in codes)
        {
            Assert.Contains(code, page.Text, StringComparison.Ordinal);
        }
        foreach (var slot in page.Report.Slots)
        {
            page.SlotRow(slot.Slot);
        }
        page.AssertEveryFindingPlaced();
        Assert.Contains(page.WithClass("finding"), e => e.Attribute("class")!.Value == "finding warning"
            && e.Value.Contains(FindingCodes.NumaUnknown, StringComparison.Ordinal));
        page.AssertPolicyMatchesStyle();
    }

    [Fact]
    public void Same_host_and_configuration_give_the_same_bytes()
    {
        var config = EveryFailure(temp.Path);
        var first = RenderedAudit.Of(config);
        using var other = new TempDirectory("vbmc-page2");

        Assert.Equal(first.Bytes, RenderedAudit.Of(config).Bytes);
        Assert.Equal(first.Bytes, RenderedAudit.Of(EveryFailure(other.Path)).Bytes);
    }

    [Fact]
    public void Iommu_off_is_said_once_and_every_slot_carries_its_finding()
    {
        var page = RenderedAudit.Of(Demo(DenseNodeFixture.Create().IommuOff().Write(temp.Path)));

        Assert.Contains("The IOMMU is off", page.Text, StringComparison.Ordinal);
        Assert.All(page.Report.Slots, s => Assert.Contains(FindingCodes.IommuDisabled, page.SlotRow(s.Slot).Value, StringComparison.Ordinal));
        page.AssertEveryFindingPlaced();
    }

    [Fact]
    public void Two_numa_nodes_8_gpus_and_64_vfs_each_vf_under_its_pf_with_its_slot()
    {
        var hostFile = LargeNodeFixture.Write(temp.Path);
        var page = RenderedAudit.Of(ConfigurationLoader.Load(hostFile).GetOrThrow());

        Assert.True(page.Report.AllUsable, page.Report.Summary);
        Assert.Equal(64, page.WithClass("vf").Count(e => e.Attribute("class")!.Value.Contains("own", StringComparison.Ordinal)));
        Assert.Equal(8, page.WithClass("card").Count(e => e.Value.Contains("GPU", StringComparison.Ordinal) && e.Attribute("class")!.Value.Contains("own", StringComparison.Ordinal)));
        Assert.Equal(2, page.WithClass("node").Count());
        foreach (var (slot, devices) in page.Devices)
        {
            foreach (var d in devices)
            {
                Assert.Contains($"{slot} / {d.Binding.Name}", page.DeviceBox(d.Function!.Address.ToString()).Value, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Names_from_the_host_are_text_never_markup()
    {
        var tree = DenseNodeFixture.Create();
        tree["0000:9c:00.0"].Net.Clear();
        tree["0000:9c:00.0"].Net.Add(new NetSpec("ib<i>&x\u0001"));
        var page = RenderedAudit.Of(Demo(tree.Write(temp.Path)));

        Assert.Contains("ib<i>&x\uFFFD (up)", page.DeviceBox("0000:9c:00.0").Value, StringComparison.Ordinal);
        Assert.DoesNotContain(page.Page.Descendants(), e => e.Name.LocalName == "i");
    }
}
