using System.Globalization;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Inventory;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Host.Preparation;

/// <summary>
/// How far the preparer may go. Without <see cref="Force"/> it refuses what could take something from the running host:
/// changing a non-zero <c>sriov_numvfs</c> (the kernel destroys every existing VF first, including VFs a VM or the host
/// is using) and unbinding a device whose netdev is up. <see cref="VfioPciLoaded"/> false refuses every rebind (a device
/// released from its driver with nothing to bind it to would just be lost to the host).
/// </summary>
public sealed record PreparationOptions(bool Force = false, bool VfioPciLoaded = true);

/// <summary>The plans of one <see cref="HostPreparer.Prepare"/> run: one per round (VFs are bound in the round after their creation).</summary>
public sealed record PreparationResult(IReadOnlyList<PreparationPlan> Rounds)
{
    public IReadOnlyList<PreparationStep> Applied => [.. Rounds.SelectMany(r => r.Steps)];

    /// <summary>The refusals of the last round: what is still in the way after the run.</summary>
    public IReadOnlyList<PreparationProblem> Problems => Rounds.Count == 0 ? [] : Rounds[^1].Problems;
}

/// <summary>
/// Makes a host fit its slots: creates the SR-IOV VFs the slots name (VF count = highest vfIndex + 1 per PF) and puts every
/// device a slot uses on vfio-pci (driver_override, unbind from the host driver, bind to vfio-pci). Planning is pure
/// (configuration + inventory → writes); <see cref="Apply"/> performs a plan through an <see cref="ISysfsWriter"/>.
/// Idempotent: on a prepared host the plan is empty. Never touches devices no slot names, never lowers a VF count,
/// never rebinds bridges, and does not fix IOMMU group membership (the binding validator reports that).
/// </summary>
public static class HostPreparer
{
    public const string VfioPci = "vfio-pci";

    /// <summary>True when the vfio-pci driver is registered (its directory exists under <c>sys/bus/pci/drivers</c>).</summary>
    public static bool IsVfioPciLoaded(string sysfsRoot) =>
        Directory.Exists(Path.Combine(Path.GetFullPath(sysfsRoot), "sys", "bus", "pci", "drivers", VfioPci));

    public static PreparationPlan Plan(SiteConfiguration site, HostInventory inventory, PreparationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(inventory);
        options ??= new PreparationOptions();

        var resolved = ResolveDevices(site, inventory);
        var steps = new List<PreparationStep>();
        var problems = new List<PreparationProblem>();
        var pending = new List<PendingVf>();

        // 1. The VF pool: per PF, the count the slots need.
        var vfUsers = new List<(Slot Slot, DeviceBinding Device, PciFunction Pf, int Index)>();
        foreach (var slot in site.Slots)
        {
            foreach (var device in slot.Template.Devices.Where(d => d.IsVirtualFunction))
            {
                var pfName = device.Selector.Pf!;
                var pf = PciAddress.TryParse(pfName, out var a) ? inventory.FindByAddress(a) : inventory.FindByNetDev(pfName) ?? inventory.FindByRdma(pfName);
                if (pf is null)
                {
                    problems.Add(new(null, slot.Name, device.Name, $"PF {pfName} not found (no such netdev, RDMA device or PCI function)"));
                }
                else if (pf.Sriov is not { TotalVfs: > 0 })
                {
                    problems.Add(new(pf.Address, slot.Name, device.Name, $"PF {pf.Address} ({pfName}) is not SR-IOV capable"));
                }
                else
                {
                    vfUsers.Add((slot, device, pf, device.Selector.VfIndex ?? 0));
                }
            }
        }
        var recreated = new HashSet<PciAddress>();   // PFs whose VFs are (re)created by this plan: their VFs wait a round
        var refusedPfs = new HashSet<PciAddress>();
        foreach (var group in vfUsers.GroupBy(u => u.Pf.Address).OrderBy(g => g.Key))
        {
            var pf = group.First().Pf;
            var sriov = pf.Sriov!;
            var needed = group.Max(u => u.Index) + 1;
            var users = string.Join(", ", group.Select(u => $"{u.Slot.Name}/{u.Device.Name} vfIndex {u.Index}"));
            var bdf = pf.Address.ToString();
            var path = $"/sys/bus/pci/devices/{bdf}/sriov_numvfs";
            string? refusal = null;
            if (needed <= sriov.NumVfs)
            {
                continue;
            }
            if (needed > sriov.TotalVfs)
            {
                refusal = $"slots need {needed} VFs on {bdf} but sriov_totalvfs is {sriov.TotalVfs} ({users})";
            }
            else if (pf.Driver is null)
            {
                refusal = $"{bdf} has no driver, so it cannot create VFs: bind it to its network driver first";
            }
            else if (sriov.NumVfs > 0 && !options.Force)
            {
                refusal = $"sriov_numvfs of {bdf} is {sriov.NumVfs}, slots need {needed} ({users}); changing a non-zero count destroys " +
                          "every existing VF (and takes it from whoever uses it): rerun with --force, or set it while no VM runs";
            }
            if (refusal is not null)
            {
                refusedPfs.Add(pf.Address);
                foreach (var u in group)
                {
                    problems.Add(new(pf.Address, u.Slot.Name, u.Device.Name, refusal));
                }
                continue;
            }
            if (sriov.NumVfs > 0)
            {
                steps.Add(new(PreparationStepKind.SetNumVfs, pf.Address, path, "0",
                    $"the kernel changes a non-zero VF count only through 0 (destroys {sriov.NumVfs} VFs of {bdf})"));
            }
            steps.Add(new(PreparationStepKind.SetNumVfs, pf.Address, path, needed.ToString(CultureInfo.InvariantCulture),
                $"create {needed} VFs on {bdf} (highest vfIndex used is {needed - 1}: {users})"));
            recreated.Add(pf.Address);
            foreach (var u in group)
            {
                pending.Add(new PendingVf(pf.Address, u.Index, u.Slot.Name, u.Device.Name));
            }
        }

        // 2. Drivers: every resolved slot device onto vfio-pci, once each.
        var planned = new HashSet<PciAddress>();
        foreach (var (slot, device, function) in resolved)
        {
            if (device.IsVirtualFunction && vfUsers.FirstOrDefault(u => u.Slot == slot && u.Device == device) is { Pf: { } pf }
                && (recreated.Contains(pf.Address) || refusedPfs.Contains(pf.Address)))
            {
                continue;   // created (or refused) above
            }
            if (function is null)
            {
                if (!device.IsVirtualFunction || vfUsers.Any(u => u.Slot == slot && u.Device == device))
                {
                    problems.Add(new(null, slot.Name, device.Name, $"{device.Selector} does not name a usable function on this host: run 'openchami-vbmc validate'"));
                }
                continue;
            }
            if (!planned.Add(function.Address))
            {
                continue;
            }
            PlanDriver(slot, device, function, inventory, options, steps, problems);
        }
        return new PreparationPlan(steps, problems, pending);
    }

    /// <summary>Performs a plan's steps in order; stops at the first write the kernel refuses (<see cref="PreparationException"/>).</summary>
    public static void Apply(PreparationPlan plan, ISysfsWriter writer, Action<PreparationStep>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var step in plan.Steps)
        {
            onStep?.Invoke(step);
            try
            {
                writer.Write(step.Path, step.Value);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new PreparationException(step, e);
            }
        }
    }

    /// <summary>
    /// Plans, applies, re-reads the host and plans again until nothing is left to write (at most three rounds: VFs exist
    /// only after their PF's <c>sriov_numvfs</c> write, so they are bound in the next round).
    /// </summary>
    public static PreparationResult Prepare(SiteConfiguration site, IHostInventorySource source, ISysfsWriter writer,
        PreparationOptions? options = null, Action<PreparationStep>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var rounds = new List<PreparationPlan>();
        for (var round = 0; round < 3; round++)
        {
            var plan = Plan(site, source.Read(), options);
            rounds.Add(plan);
            if (plan.Steps.Count == 0)
            {
                break;
            }
            Apply(plan, writer, onStep);
            if (plan.PendingVfs.Count == 0)
            {
                break;
            }
        }
        return new PreparationResult(rounds);
    }

    private static void PlanDriver(Slot slot, DeviceBinding device, PciFunction f, HostInventory inventory, PreparationOptions options,
        List<PreparationStep> steps, List<PreparationProblem> problems)
    {
        if (f.Driver == VfioPci)
        {
            return;
        }
        var who = $"{slot.Name}/{device.Name}";
        var bdf = f.Address.ToString();
        string? refusal = null;
        if (f.IsBridge)
        {
            refusal = $"{bdf} is a PCI bridge (driver {f.Driver ?? "none"}): never rebound";
        }
        else if (!inventory.IommuEnabled)
        {
            refusal = "the IOMMU is off, so vfio-pci cannot take the device: boot with intel_iommu=on or amd_iommu=on";
        }
        else if (!options.VfioPciLoaded)
        {
            refusal = "vfio-pci is not loaded (no /sys/bus/pci/drivers/vfio-pci): modprobe vfio-pci";
        }
        else if (!options.Force && f.NetDevices.FirstOrDefault(n => n.IsUp) is { } up)
        {
            refusal = $"netdev {up.Name} of {bdf} is up, so the host is using it: bring it down or rerun with --force";
        }
        if (refusal is not null)
        {
            problems.Add(new(f.Address, slot.Name, device.Name, refusal));
            return;
        }
        if (f.DriverOverride != VfioPci)
        {
            steps.Add(new(PreparationStepKind.SetDriverOverride, f.Address, $"/sys/bus/pci/devices/{bdf}/driver_override", VfioPci,
                $"{who}: only vfio-pci may claim {bdf} (also on later probes)"));
        }
        if (f.Driver is { } driver)
        {
            steps.Add(new(PreparationStepKind.Unbind, f.Address, $"/sys/bus/pci/devices/{bdf}/driver/unbind", bdf,
                $"{who}: release {bdf} from {driver}"));
        }
        steps.Add(new(PreparationStepKind.Bind, f.Address, $"/sys/bus/pci/drivers/{VfioPci}/bind", bdf,
            $"{who}: give {bdf} to vfio-pci"));
    }

    /// <summary>Every slot device and the function it resolves to, resolved exactly as the binding validator does.</summary>
    private static List<(Slot Slot, DeviceBinding Device, PciFunction? Function)> ResolveDevices(SiteConfiguration site, HostInventory inventory)
    {
        var collector = new Collector();
        BindingValidator.Validate(site, inventory, [collector]);
        return collector.Devices;
    }

    private sealed class Collector : ISlotCheck
    {
        public List<(Slot Slot, DeviceBinding Device, PciFunction? Function)> Devices { get; } = [];

        public IEnumerable<ValidationFinding> Check(SlotCheckContext context)
        {
            Devices.AddRange(context.Devices.Select(d => (context.Slot, d.Binding, d.Function)));
            return [];
        }
    }
}
