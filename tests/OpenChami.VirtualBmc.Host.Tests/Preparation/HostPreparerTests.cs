using OpenChami.VirtualBmc.Host.Preparation;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Validation;
using OpenChami.VirtualBmc.TestSupport;
using OpenChami.VirtualBmc.TestSupport.Sysfs;
using static OpenChami.VirtualBmc.Host.Tests.Validation.ValidationFixture;

namespace OpenChami.VirtualBmc.Host.Tests.Preparation;

/// <summary>The preparer on the dense fixture: GPU4/GPU5 on nvidia, GPU7 unbound, PFs with 4/2/0/8 VFs.</summary>
public sealed class HostPreparerTests : IDisposable
{
    private readonly TempDirectory temp = new("vbmc-prepare");

    public void Dispose() => temp.Dispose();

    private KernelSimulator Host(SysfsTreeBuilder? tree = null) => new(tree ?? DenseNodeFixture.Create(), temp.Path);

    private static PreparationPlan Plan(SiteConfiguration site, KernelSimulator host, PreparationOptions? options = null) =>
        HostPreparer.Plan(site, host.Read(), options);

    private static string[] Lines(PreparationPlan plan) =>
        [.. plan.Steps.Select(s => $"{s.Kind} {s.Device} {s.Path} {s.Value}")];

    private static ValidationReport Validate(SiteConfiguration site, KernelSimulator host) =>
        BindingValidator.Validate(site, host.Read());

    private static string ReadLink(KernelSimulator host, string bdf, string link)
    {
        host.Sync();
        return Path.GetFileName(new FileInfo(Path.Combine(host.Root, "sys", "bus", "pci", "devices", bdf, link)).LinkTarget!);
    }

    private static string ReadAttr(KernelSimulator host, string bdf, string attr)
    {
        host.Sync();
        return File.ReadAllText(Path.Combine(host.Root, "sys", "bus", "pci", "devices", bdf, attr)).Trim();
    }

    [Fact]
    public void Demo_plan_moves_the_nvidia_and_unbound_gpus_to_vfio_and_nothing_else()
    {
        var host = Host();
        var plan = Plan(Demo(host.Root), host);

        Assert.Equal(
        [
            "SetDriverOverride 0000:9a:00.0 /sys/bus/pci/devices/0000:9a:00.0/driver_override vfio-pci",
            "Unbind 0000:9a:00.0 /sys/bus/pci/devices/0000:9a:00.0/driver/unbind 0000:9a:00.0",
            "Bind 0000:9a:00.0 /sys/bus/pci/drivers/vfio-pci/bind 0000:9a:00.0",
            "SetDriverOverride 0000:9b:00.0 /sys/bus/pci/devices/0000:9b:00.0/driver_override vfio-pci",
            "Unbind 0000:9b:00.0 /sys/bus/pci/devices/0000:9b:00.0/driver/unbind 0000:9b:00.0",
            "Bind 0000:9b:00.0 /sys/bus/pci/drivers/vfio-pci/bind 0000:9b:00.0",
            "SetDriverOverride 0000:bb:00.0 /sys/bus/pci/devices/0000:bb:00.0/driver_override vfio-pci",
            "Bind 0000:bb:00.0 /sys/bus/pci/drivers/vfio-pci/bind 0000:bb:00.0",
        ], Lines(plan));
        Assert.Equal("slot2/gpu0: release 0000:9a:00.0 from nvidia", plan.Steps[1].Reason);
        Assert.Empty(plan.Problems);
        Assert.Empty(plan.PendingVfs);
        Assert.False(plan.IsEmpty);
        Assert.Empty(host.Writes);   // planning writes nothing
    }

    [Fact]
    public void Applying_the_demo_plan_makes_every_slot_usable_and_a_second_run_plans_nothing()
    {
        var host = Host();
        var site = Demo(host.Root);
        Assert.Equal(["slot2", "slot3"], Validate(site, host).UnusableSlots);

        var plan = Plan(site, host);
        HostPreparer.Apply(plan, host);

        Assert.Equal(plan.Steps.Select(s => (s.Path, s.Value)), host.Writes);
        foreach (var bdf in new[] { "0000:9a:00.0", "0000:9b:00.0", "0000:bb:00.0" })
        {
            Assert.Equal("vfio-pci", ReadLink(host, bdf, "driver"));
            Assert.Equal("vfio-pci", ReadAttr(host, bdf, "driver_override"));
        }
        var report = Validate(site, host);
        Assert.True(report.AllUsable, report.Summary);
        Assert.Equal("4 of 4 slots usable; 0 errors, 0 warnings", report.Summary);

        var again = Plan(site, host);
        Assert.True(again.IsEmpty);
        Assert.Empty(again.Problems);
        Assert.StartsWith("nothing to do", again.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Dry_run_text_gives_path_value_and_reason_per_step()
    {
        var host = Host();
        var text = Plan(Demo(host.Root), host).Describe().Split('\n');

        Assert.Equal(8, text.Length);
        Assert.Equal("echo vfio-pci > /sys/bus/pci/devices/0000:9a:00.0/driver_override    # slot2/gpu0: only vfio-pci may claim 0000:9a:00.0 (also on later probes)", text[0]);
        Assert.Equal("echo 0000:bb:00.0 > /sys/bus/pci/drivers/vfio-pci/bind    # slot3/gpu1: give 0000:bb:00.0 to vfio-pci", text[7]);
    }

    [Fact]
    public void A_vf_that_does_not_exist_yet_is_created_then_bound_in_the_next_round()
    {
        var host = Host();
        // mlx5_2 (0000:9c:00.0) has no VFs; slot3 asks for its VF 3.
        var site = Demo(host.Root).WithSelector("slot3", "hsn0", Vf("mlx5_2", 3));

        var plan = Plan(site, host);
        Assert.Equal("SetNumVfs 0000:9c:00.0 /sys/bus/pci/devices/0000:9c:00.0/sriov_numvfs 4", Lines(plan)[0]);
        Assert.Equal("create 4 VFs on 0000:9c:00.0 (highest vfIndex used is 3: slot3/hsn0 vfIndex 3)", plan.Steps[0].Reason);
        Assert.Equal(9, plan.Steps.Count);   // + the three GPUs' eight steps
        Assert.Equal("VF 3 of 0000:9c:00.0 (slot3/hsn0): bound to vfio-pci once created", Assert.Single(plan.PendingVfs).ToString());

        var result = HostPreparer.Prepare(site, host, host);

        Assert.Equal(2, result.Rounds.Count);
        // The kernel created 0000:9c:00.1-.4 on mlx5_core; only VF 3 (0000:9c:00.4) is the slot's.
        Assert.Equal(
        [
            "SetDriverOverride 0000:9c:00.4 /sys/bus/pci/devices/0000:9c:00.4/driver_override vfio-pci",
            "Unbind 0000:9c:00.4 /sys/bus/pci/devices/0000:9c:00.4/driver/unbind 0000:9c:00.4",
            "Bind 0000:9c:00.4 /sys/bus/pci/drivers/vfio-pci/bind 0000:9c:00.4",
        ], Lines(result.Rounds[1]));
        Assert.Empty(result.Problems);
        Assert.Equal("4", ReadAttr(host, "0000:9c:00.0", "sriov_numvfs"));
        Assert.Equal("vfio-pci", ReadLink(host, "0000:9c:00.4", "driver"));
        Assert.Equal("mlx5_core", ReadLink(host, "0000:9c:00.1", "driver"));
        Assert.True(Validate(site, host).AllUsable);
        Assert.True(Plan(site, host).IsEmpty);
    }

    [Fact]
    public void Growing_a_non_zero_vf_count_is_refused_without_force()
    {
        var host = Host();
        // 0000:3c:00.0 has 2 VFs; slot1's data0 asks for VF 3.
        var site = Demo(host.Root).WithSelector("slot1", "data0", Vf("0000:3c:00.0", 3));

        var plan = Plan(site, host);

        Assert.DoesNotContain(plan.Steps, s => s.Kind == PreparationStepKind.SetNumVfs);
        var problem = Assert.Single(plan.Problems);
        Assert.Equal(("slot1", "data0"), (problem.Slot, problem.DeviceName));
        Assert.StartsWith("sriov_numvfs of 0000:3c:00.0 is 2, slots need 4", problem.Message, StringComparison.Ordinal);
        Assert.Contains("--force", problem.Message, StringComparison.Ordinal);
        Assert.Empty(plan.PendingVfs);
    }

    [Fact]
    public void With_force_a_non_zero_vf_count_goes_through_zero_as_the_kernel_requires()
    {
        var host = Host();
        var site = Demo(host.Root).WithSelector("slot1", "data0", Vf("0000:3c:00.0", 3));
        var force = new PreparationOptions(Force: true);

        var plan = Plan(site, host, force);
        Assert.Equal(
        [
            "SetNumVfs 0000:3c:00.0 /sys/bus/pci/devices/0000:3c:00.0/sriov_numvfs 0",
            "SetNumVfs 0000:3c:00.0 /sys/bus/pci/devices/0000:3c:00.0/sriov_numvfs 4",
        ], Lines(plan).Take(2));
        // The simulator enforces the rule: 2 → 4 directly is EBUSY.
        var direct = new KernelSimulator(DenseNodeFixture.Create(), Path.Combine(temp.Path, "direct"));
        Assert.Throws<IOException>(() => direct.Write("/sys/bus/pci/devices/0000:3c:00.0/sriov_numvfs", "4"));

        var result = HostPreparer.Prepare(site, host, host, force);

        Assert.Empty(result.Problems);
        Assert.Equal("4", ReadAttr(host, "0000:3c:00.0", "sriov_numvfs"));
        Assert.Equal("vfio-pci", ReadLink(host, "0000:3c:00.4", "driver"));
        Assert.True(Validate(site, host).AllUsable);
        Assert.True(Plan(site, host, force).IsEmpty);
    }

    [Fact]
    public void More_vfs_than_sriov_totalvfs_is_refused()
    {
        var host = Host();
        var site = Demo(host.Root).WithSelector("slot3", "hsn0", Vf("mlx5_2", 16));

        var plan = Plan(site, host);

        Assert.DoesNotContain(plan.Steps, s => s.Kind == PreparationStepKind.SetNumVfs);
        Assert.Equal("slots need 17 VFs on 0000:9c:00.0 but sriov_totalvfs is 16 (slot3/hsn0 vfIndex 16)", Assert.Single(plan.Problems).Message);
    }

    [Fact]
    public void A_vf_whose_netdev_is_up_is_left_alone_without_force()
    {
        var host = Host();
        // VF 2 of mlx5_0 (0000:1a:00.3) is on mlx5_core with ibp26s0v2 up.
        var site = Demo(host.Root).WithSelector("slot0", "hsn0", Vf("mlx5_0", 2));

        var plan = Plan(site, host);
        Assert.DoesNotContain(plan.Steps, s => s.Device.ToString() == "0000:1a:00.3");
        Assert.Equal("netdev ibp26s0v2 of 0000:1a:00.3 is up, so the host is using it: bring it down or rerun with --force",
            Assert.Single(plan.Problems).Message);

        var forced = Plan(site, host, new PreparationOptions(Force: true));
        Assert.Equal(3, forced.Steps.Count(s => s.Device.ToString() == "0000:1a:00.3"));
        Assert.Empty(forced.Problems);
    }

    [Fact]
    public void Without_vfio_pci_loaded_nothing_is_unbound()
    {
        var host = Host();
        Assert.True(HostPreparer.IsVfioPciLoaded(host.Root));

        var plan = Plan(Demo(host.Root), host, new PreparationOptions(VfioPciLoaded: false));

        Assert.Empty(plan.Steps);
        Assert.Equal(["0000:9a:00.0", "0000:9b:00.0", "0000:bb:00.0"], plan.Problems.Select(p => p.Device.ToString()));
        Assert.All(plan.Problems, p => Assert.StartsWith("vfio-pci is not loaded", p.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Without_an_iommu_nothing_is_unbound()
    {
        var host = Host(DenseNodeFixture.Create().IommuOff());

        var plan = Plan(Demo(host.Root), host);

        Assert.Empty(plan.Steps);
        Assert.Equal(3, plan.Problems.Count);
    }

    [Fact]
    public void A_write_the_kernel_refuses_stops_apply_and_names_the_step()
    {
        var host = Host();
        var plan = new PreparationPlan(
            [new(PreparationStepKind.SetNumVfs, Slots.PciAddress.Parse("0000:1a:00.0"), "/sys/bus/pci/devices/0000:1a:00.0/sriov_numvfs", "6", "test")],
            [], []);

        var e = Assert.Throws<PreparationException>(() => HostPreparer.Apply(plan, host));

        Assert.Equal("writing '6' to /sys/bus/pci/devices/0000:1a:00.0/sriov_numvfs failed (test): Device or resource busy", e.Message);
    }
}
