using System.Globalization;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.Slots.Validation;

/// <summary>
/// Checks every slot of a configuration against what the host has: devices exist and are what the template says,
/// SR-IOV VFs exist, NUMA placement and capacity, IOMMU group viability, vfio-pci binding, and no device given twice
/// or in use by the host; with an inventory export, that it agrees with the node type and the devices' serials.
/// Every failure is reported (not the first); a failing slot never stops the others.
/// </summary>
public static class BindingValidator
{
    private const string VfioPci = "vfio-pci";
    private const string PciStub = "pci-stub";

    public static ValidationReport Validate(SiteConfiguration configuration, HostInventory inventory, IEnumerable<ISlotCheck>? extraChecks = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(inventory);
        var checks = extraChecks?.ToList() ?? [];
        var export = InventoryExportChecks.ForThisHost(configuration);

        // Resolve everything first: group, sharing and capacity checks look across slots.
        var resolved = new List<(Slot Slot, List<ValidationFinding> Findings, List<ResolvedDevice> Devices)>();
        foreach (var slot in configuration.Slots)
        {
            var findings = new List<ValidationFinding>();
            var devices = slot.Template.Devices.Select(d => new ResolvedDevice(d, Resolve(slot, d, configuration, export, inventory, findings))).ToList();
            resolved.Add((slot, findings, devices));
        }
        var owners = new Dictionary<PciAddress, List<(string Slot, string Device)>>();
        foreach (var (slot, _, devices) in resolved)
        {
            foreach (var d in devices.Where(d => d.Function is not null))
            {
                if (!owners.TryGetValue(d.Function!.Address, out var list))
                {
                    owners[d.Function.Address] = list = [];
                }
                list.Add((slot.Name, d.Binding.Name));
            }
        }
        var placements = resolved.Select(r => (r.Slot, Node: PlacedNode(r.Slot, r.Devices))).ToList();

        var reports = new List<SlotValidation>();
        foreach (var (slot, findings, devices) in resolved)
        {
            var context = new SlotCheckContext(slot, configuration, inventory, devices);
            if (!inventory.IommuEnabled && devices.Count > 0)
            {
                findings.Add(context.Finding(FindingCodes.IommuDisabled, FindingSeverity.Error, null,
                    "IOMMU on (groups under /sys/kernel/iommu_groups)", "no IOMMU groups",
                    "the host's IOMMU is off, so no device can be passed through: enable VT-d/AMD-Vi in firmware and boot with intel_iommu=on or amd_iommu=on"));
            }
            if (InventoryExportChecks.HostMismatch(context) is { } mismatch)
            {
                findings.Add(mismatch);
            }
            foreach (var device in devices.Where(d => d.Function is not null))
            {
                CheckDriver(context, device, configuration.Host.AllowManagedDetach, findings);
                CheckInUse(context, device, findings);
                CheckShared(context, device, owners, findings);
                if (export is not null)
                {
                    InventoryExportChecks.CheckDevice(context, device, export, findings);
                }
                if (inventory.IommuEnabled)
                {
                    CheckIommuGroup(context, device, owners, findings);
                }
            }
            CheckNumaPlacement(context, findings);
            CheckNumaCapacity(context, placements, findings);
            foreach (var check in checks)
            {
                findings.AddRange(check.Check(context));
            }
            reports.Add(new SlotValidation(slot.Name, findings));
        }
        return new ValidationReport(reports);
    }

    // ---- 1 and 2: resolution ----------------------------------------------------------------------------------

    private static PciFunction? Resolve(Slot slot, DeviceBinding device, SiteConfiguration configuration, DeviceInventoryExport? export, HostInventory inventory, List<ValidationFinding> findings)
    {
        var function = device.IsVirtualFunction
            ? ResolveVf(slot, device, inventory, findings)
            : ResolveFunction(slot, device, configuration.NodeType, export, inventory, findings);
        if (function is not null && !ClassFits(device.Kind, function, out var wanted))
        {
            findings.Add(Error(FindingCodes.DeviceClassMismatch, slot, device, wanted,
                $"{function.Address} is class {function.ClassHex} ({function.VendorDeviceHex})",
                $"{function.Address} is not a {wanted}: check the selector names the right function"));
        }
        return function;
    }

    private static bool ClassFits(DeviceKind kind, PciFunction function, out string wanted)
    {
        (wanted, var fits) = kind switch
        {
            DeviceKind.Gpu => ("display controller (class 0x03xxxx)", function.IsDisplay),
            DeviceKind.Nic => ("network controller (class 0x02xxxx)", function.IsNetwork),
            _ => ("PCI endpoint (not a bridge, class 0x0604xx)", !function.IsBridge),
        };
        return fits;
    }

    /// <summary>A label resolves through the node type's physicalLabels, else the inventory export, else a host PCI slot name.</summary>
    private static PciFunction? ResolveFunction(Slot slot, DeviceBinding device, NodeType nodeType, DeviceInventoryExport? export, HostInventory inventory, List<ValidationFinding> findings)
    {
        var selector = device.Selector;
        PciFunction? byLabel = null, byAddress = null;
        var labelOk = true;
        if (selector.PhysicalLabel is { } label)
        {
            if (export is not null && InventoryExportChecks.LabelConflict(slot, device, label, nodeType, export) is { } conflict)
            {
                findings.Add(conflict);
                return null;
            }
            var (mapped, origin, fix) = nodeType.PhysicalLabels.TryGetValue(label, out var fromNodeType)
                ? (fromNodeType, "in the node type", "fix physicalLabels")
                : export?.FindByLabel(label) is { PciAddress: { } fromExport } entry
                    ? (fromExport, $"in {export.Describe()} at {entry.Where}", "regenerate the export")
                    : ((PciAddress?)null, "", "");
            if (mapped is { } at)
            {
                if (selector.PciAddress is { } same && same == at && inventory.FindByAddress(same) is null)
                {
                    // Label and address name one missing function: one finding, not one per selector field.
                    findings.Add(Error(FindingCodes.DeviceNotFound, slot, device, $"{at} (physicalLabel {label})", $"no PCI function {at} on this host",
                        $"the host has no PCI function {at} (physical label {label}): fix the selector or check the hardware"));
                    return null;
                }
                byLabel = inventory.FindByAddress(at);
                if (byLabel is null)
                {
                    labelOk = false;
                    findings.Add(Error(FindingCodes.DeviceNotFound, slot, device, $"{at} (physicalLabel {label})", $"no PCI function {at} on this host",
                        $"physical label {label} maps to {at} {origin}, but the host has no such function: {fix} or check the hardware"));
                }
            }
            else
            {
                byLabel = inventory.FindBySlotLabel(label);
                if (byLabel is null)
                {
                    labelOk = false;
                    var known = inventory.PciSlots.Count == 0 ? "none" : string.Join(", ", inventory.PciSlots.Select(s => s.Label));
                    var (sources, message) = export is null
                        ? ("the node type's physicalLabels",
                            $"physical label {label} is neither in the node type's physicalLabels nor a PCI slot of this host: add it to physicalLabels")
                        : ("the node type's physicalLabels, the inventory export",
                            $"physical label {label} is not in the node type's physicalLabels, "
                            + (export.FindByLabel(label) is { } listed ? $"in {export.Describe()} without a pciAddress ({listed.Where})" : $"not in {export.Describe()} ({export.File})")
                            + " and not a PCI slot of this host: add it to physicalLabels or give it a pciAddress in the export");
                    findings.Add(Error(FindingCodes.LabelUnknown, slot, device, $"physicalLabel {label} in {sources} or a host PCI slot",
                        $"no such label (host PCI slots: {known})", message));
                }
            }
        }
        if (selector.PciAddress is { } address)
        {
            byAddress = inventory.FindByAddress(address);
            if (byAddress is null)
            {
                findings.Add(Error(FindingCodes.DeviceNotFound, slot, device, address.ToString(), $"no PCI function {address} on this host",
                    $"the host has no PCI function {address}: fix pciAddress or check the hardware"));
                return null;
            }
        }
        if (byLabel is not null && byAddress is not null && byLabel.Address != byAddress.Address)
        {
            findings.Add(Error(FindingCodes.SelectorMismatch, slot, device, $"physicalLabel {selector.PhysicalLabel} and pciAddress name one function",
                $"physicalLabel {selector.PhysicalLabel} is {byLabel.Address}, pciAddress is {byAddress.Address}",
                "the label and the address name different functions: make them agree"));
            return null;
        }
        return labelOk ? byAddress ?? byLabel : null;
    }

    private static PciFunction? ResolveVf(Slot slot, DeviceBinding device, HostInventory inventory, List<ValidationFinding> findings)
    {
        var pfName = device.Selector.Pf!;
        var index = device.Selector.VfIndex ?? 0;
        var pf = PciAddress.TryParse(pfName, out var pfAddress)
            ? inventory.FindByAddress(pfAddress)
            : inventory.FindByNetDev(pfName) ?? inventory.FindByRdma(pfName);
        if (pf is null)
        {
            findings.Add(Error(FindingCodes.PfNotFound, slot, device, $"PF {pfName} (netdev, RDMA device or PCI address)", "no such netdev, RDMA device or PCI function",
                $"no function on this host is called {pfName}: fix 'pf' (names differ between hosts; a PCI address is stable)"));
            return null;
        }
        if (pf.Sriov is not { TotalVfs: > 0 } sriov)
        {
            findings.Add(Error(FindingCodes.PfNotSriov, slot, device, $"{pf.Address} SR-IOV capable (sriov_totalvfs > 0)",
                pf.Sriov is null ? $"{pf.Address} has no SR-IOV capability" : $"{pf.Address} sriov_totalvfs 0",
                $"{pf.Address} cannot create VFs: choose an SR-IOV capable PF or enable SR-IOV in the adapter firmware"));
            return null;
        }
        if (sriov.NumVfs > sriov.TotalVfs)
        {
            findings.Add(Error(FindingCodes.SriovNumVfsInvalid, slot, device, $"{pf.Address} sriov_numvfs <= sriov_totalvfs {sriov.TotalVfs}",
                $"sriov_numvfs {sriov.NumVfs}", $"{pf.Address} reports more VFs than it supports; the host's SR-IOV state is inconsistent: recreate the VFs"));
        }
        if (index >= sriov.NumVfs)
        {
            findings.Add(Error(FindingCodes.VfIndexOutOfRange, slot, device, $"vfIndex {index} < sriov_numvfs of {pf.Address}",
                $"sriov_numvfs {sriov.NumVfs}", $"{pf.Address} has {sriov.NumVfs} VFs: create at least {index + 1} (echo N > sriov_numvfs) or lower vfIndex"));
            return null;
        }
        var link = sriov.FindVf(index);
        var vf = link?.Address is { } vfAddress ? inventory.FindByAddress(vfAddress) : null;
        if (vf is null)
        {
            findings.Add(Error(FindingCodes.VfMissing, slot, device, $"virtfn{index} of {pf.Address} naming a VF",
                link is null ? $"no virtfn{index} link" : $"virtfn{index} does not resolve to a PCI function",
                $"sriov_numvfs says VF {index} exists but the host does not show it: recreate the VFs"));
            return null;
        }
        if (vf.VirtualFunction is not { } info || info.PhysFn != pf.Address)
        {
            var found = vf.VirtualFunction switch
            {
                null => $"{vf.Address} has no physfn link",
                { PhysFn: null } => $"{vf.Address} physfn dangles",
                { PhysFn: { } other } => $"{vf.Address} physfn is {other}",
            };
            findings.Add(Error(FindingCodes.VfPhysFnMismatch, slot, device, $"{vf.Address} physfn is {pf.Address}", found,
                $"virtfn{index} of {pf.Address} and the VF's physfn disagree; the host's SR-IOV state is inconsistent: recreate the VFs"));
        }
        return vf;
    }

    // ---- 4, 5 and 6: groups, drivers, sharing ----------------------------------------------------------------

    private static void CheckDriver(SlotCheckContext context, ResolvedDevice device, bool allowManagedDetach, List<ValidationFinding> findings)
    {
        var f = device.Function!;
        if (f.Driver == VfioPci || (f.Driver is null && allowManagedDetach))
        {
            return;
        }
        findings.Add(f.Driver is null
            ? context.Finding(FindingCodes.DriverUnbound, FindingSeverity.Error, device.Binding.Name, $"{f.Address} bound to vfio-pci", "no driver",
                $"{f.Address} is not bound to any driver: bind it to vfio-pci or set binding.allowManagedDetach: true so libvirt detaches it")
            : context.Finding(FindingCodes.DriverHostOwned, FindingSeverity.Error, device.Binding.Name, $"{f.Address} bound to vfio-pci", $"bound to {f.Driver}",
                $"{f.Address} is in use by the host driver {f.Driver}: unbind it and bind it to vfio-pci (driver_override), or pick another device"));
    }

    private static void CheckInUse(SlotCheckContext context, ResolvedDevice device, List<ValidationFinding> findings)
    {
        var f = device.Function!;
        foreach (var net in f.NetDevices.Where(n => n.IsUp))
        {
            findings.Add(context.Finding(FindingCodes.DeviceInUse, FindingSeverity.Error, device.Binding.Name, $"{f.Address} not in use by the host",
                $"netdev {net.Name} is up", $"the host is using {f.Address} through {net.Name}: bring it down and unbind it, or pick another device"));
        }
    }

    private static void CheckShared(SlotCheckContext context, ResolvedDevice device, Dictionary<PciAddress, List<(string Slot, string Device)>> owners, List<ValidationFinding> findings)
    {
        var f = device.Function!;
        var self = (context.Slot.Name, device.Binding.Name);
        var others = owners[f.Address].Where(o => o != self).ToList();
        if (others.Count > 0)
        {
            var names = string.Join(", ", others.Select(o => $"{o.Slot}/{o.Device}"));
            findings.Add(context.Finding(FindingCodes.DeviceAssignedTwice, FindingSeverity.Error, device.Binding.Name, $"{f.Address} given to {context.Slot.Name}/{device.Binding.Name} only",
                $"also given to {names}", $"{f.Address} is given to more than one slot device ({names}): a function can be passed through once"));
        }
    }

    /// <summary>
    /// The kernel's VFIO rule: every other member is a bridge, unbound, pci-stub, or vfio-pci and used by no other slot
    /// (a vfio-pci member given to no slot is a Warning: the group is viable and this slot's VM holds it while it runs).
    /// </summary>
    private static void CheckIommuGroup(SlotCheckContext context, ResolvedDevice device, Dictionary<PciAddress, List<(string Slot, string Device)>> owners, List<ValidationFinding> findings)
    {
        var f = device.Function!;
        var name = device.Binding.Name;
        if (f.IommuGroup is not { } number || context.Inventory.FindIommuGroup(number) is not { } group)
        {
            findings.Add(context.Finding(FindingCodes.IommuGroupMissing, FindingSeverity.Error, name, $"{f.Address} in an IOMMU group", "no iommu_group",
                $"{f.Address} has no IOMMU group although the IOMMU is on: it cannot be passed through"));
            return;
        }
        foreach (var memberAddress in group.Members.Where(m => m != f.Address))
        {
            var member = context.Inventory.FindByAddress(memberAddress);
            if (member is null || member.IsBridge || member.Driver is null || member.Driver == PciStub)
            {
                continue;
            }
            var inThisSlot = owners.TryGetValue(memberAddress, out var o) && o.Any(x => x.Slot == context.Slot.Name);
            if (member.Driver == VfioPci)
            {
                if (o is null)
                {
                    // VFIO needs every member bound to vfio-pci and used nowhere else: a sibling given to no slot (a GPU's
                    // HDMI audio function) keeps the group viable; this slot's VM owns the whole group while it runs.
                    findings.Add(context.Finding(FindingCodes.IommuGroupSplit, FindingSeverity.Warning, name,
                        $"every vfio-pci member of IOMMU group {number} in slot {context.Slot.Name}", $"{memberAddress} ({member.Driver}) is given to no slot",
                        $"group {number} also holds {memberAddress} (vfio-pci), which no slot takes: the group works, and is held by this slot's VM while it runs, so no other VM can use {memberAddress}; give it to this slot to make that explicit"));
                }
                else if (!inThisSlot)
                {
                    var where = "given to " + string.Join(", ", o.Select(x => $"{x.Slot}/{x.Device}"));
                    findings.Add(context.Finding(FindingCodes.IommuGroupSplit, FindingSeverity.Error, name,
                        $"every vfio-pci member of IOMMU group {number} in slot {context.Slot.Name}", $"{memberAddress} ({member.Driver}) is {where}",
                        $"group {number} is shared with {memberAddress}, which another slot takes: a group goes to one VM as a whole; give {memberAddress} to this slot or move this device"));
                }
                continue;
            }
            findings.Add(context.Finding(FindingCodes.IommuGroupHostDriver, FindingSeverity.Error, name,
                $"no host-driver endpoint in IOMMU group {number}", $"{memberAddress} ({member.VendorDeviceHex}) bound to {member.Driver}",
                $"group {number} also holds {memberAddress}, bound to the host driver {member.Driver}: bind it to vfio-pci too (and give it to this slot) or unbind it"));
        }
    }

    // ---- 3: NUMA ---------------------------------------------------------------------------------------------

    /// <summary>The node a slot runs on: the template's numaNode, else the one node all its known devices agree on.</summary>
    private static int? PlacedNode(Slot slot, IReadOnlyList<ResolvedDevice> devices)
    {
        if (slot.Template.Cpu.NumaNode is { } node)
        {
            return node;
        }
        if (slot.Template.Cpu.NumaPolicy == NumaPolicy.None)
        {
            return null;
        }
        var nodes = devices.Select(d => d.Function?.NumaNode).OfType<int>().Distinct().ToList();
        return nodes.Count == 1 ? nodes[0] : null;
    }

    private static void CheckNumaPlacement(SlotCheckContext context, List<ValidationFinding> findings)
    {
        if (context.Slot.Template.Cpu.NumaPolicy != NumaPolicy.Strict)
        {
            return;
        }
        var wanted = context.Slot.Template.Cpu.NumaNode;
        foreach (var device in context.Devices.Where(d => d.Function is not null))
        {
            var f = device.Function!;
            if (f.NumaNode is not { } node)
            {
                findings.Add(context.Finding(FindingCodes.NumaUnknown, FindingSeverity.Warning, device.Binding.Name,
                    wanted is { } w ? $"{f.Address} on NUMA node {w}" : $"{f.Address} on a known NUMA node", "numa_node -1 (unknown)",
                    $"the firmware gives no NUMA node for {f.Address}, so strict placement cannot be checked"));
            }
            else if (wanted is { } w && node != w)
            {
                findings.Add(context.Finding(FindingCodes.NumaMismatch, FindingSeverity.Error, device.Binding.Name, $"{f.Address} on NUMA node {w}", $"NUMA node {node}",
                    $"numaPolicy strict puts the slot on node {w} but {f.Address} is on node {node}: pick a device on node {w} or change numaNode"));
            }
        }
        if (wanted is null)
        {
            var placed = context.Devices.Where(d => d.Function?.NumaNode is not null).ToList();
            if (placed.Select(d => d.Function!.NumaNode).Distinct().Count() > 1)
            {
                var found = string.Join(", ", placed.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Binding.Name} on {d.Function!.NumaNode}")));
                findings.Add(context.Finding(FindingCodes.NumaDevicesDisagree, FindingSeverity.Error, null, "all devices on one NUMA node", found,
                    "numaPolicy strict without numaNode needs every device on one node: regroup the devices or relax the policy"));
            }
        }
    }

    private static void CheckNumaCapacity(SlotCheckContext context, List<(Slot Slot, int? Node)> placements, List<ValidationFinding> findings)
    {
        if (placements.First(p => p.Slot == context.Slot).Node is not { } nodeId)
        {
            return;
        }
        var node = context.Inventory.FindNumaNode(nodeId);
        if (node is null)
        {
            var known = context.Inventory.NumaNodes.Count == 0 ? "none" : string.Join(", ", context.Inventory.NumaNodes.Select(n => n.Id));
            findings.Add(context.Finding(FindingCodes.NumaNodeMissing, FindingSeverity.Error, null, $"NUMA node {nodeId}", $"host NUMA nodes: {known}",
                $"the slot is placed on NUMA node {nodeId}, which this host does not have: change numaNode"));
            return;
        }
        var sharing = placements.Where(p => p.Node == nodeId).Select(p => p.Slot).ToList();
        var who = string.Join(", ", sharing.Select(s => s.Name));

        var cores = sharing.Sum(s => s.Template.Cpu.Cores);
        if (cores > node.Cpus.Count)
        {
            findings.Add(context.Finding(FindingCodes.NumaCpusInsufficient, FindingSeverity.Error, null,
                $"{cores} CPUs on node {nodeId} ({who})", $"node {nodeId} has {node.Cpus.Count} CPUs",
                $"the slots on node {nodeId} ask for more CPUs than it has: lower cores or move a slot"));
        }

        var memoryGiB = sharing.Sum(s => (long)s.Template.Memory.SizeGiB);
        if (node.MemTotalKiB is { } total && memoryGiB * 1024 * 1024 > total)
        {
            findings.Add(context.Finding(FindingCodes.NumaMemoryInsufficient, FindingSeverity.Error, null,
                $"{memoryGiB} GiB memory on node {nodeId} ({who})", $"node {nodeId} has {total / (1024 * 1024)} GiB",
                $"the slots on node {nodeId} ask for more memory than it has: lower sizeGiB or move a slot"));
        }

        var memory = context.Slot.Template.Memory;
        if (memory.Hugepages)
        {
            var pageSize = memory.EffectivePageSize;
            var pageKiB = pageSize == HugepageSize.OneGiB ? 1048576L : 2048L;
            var users = sharing.Where(s => s.Template.Memory.Hugepages && s.Template.Memory.EffectivePageSize == pageSize).ToList();
            var neededKiB = users.Sum(s => (long)s.Template.Memory.SizeGiB) * 1024 * 1024;
            var pool = node.Pool(pageKiB);
            var freeKiB = pool?.FreeKiB ?? 0;
            if (neededKiB > freeKiB)
            {
                var sizeName = pageSize == HugepageSize.OneGiB ? "1G" : "2M";
                findings.Add(context.Finding(FindingCodes.NumaHugepagesInsufficient, FindingSeverity.Error, null,
                    $"{neededKiB / pageKiB} free {sizeName} hugepages on node {nodeId} ({string.Join(", ", users.Select(s => s.Name))})",
                    $"{pool?.Free ?? 0} free",
                    $"reserve more {sizeName} hugepages on node {nodeId} (hugepages-{pageKiB}kB/nr_hugepages) or lower the slots' memory"));
            }
        }
    }

    private static ValidationFinding Error(string code, Slot slot, DeviceBinding device, string expected, string found, string message) =>
        new(code, FindingSeverity.Error, slot.Name, device.Name, expected, found, message);
}
