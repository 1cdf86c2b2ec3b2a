using FluentValidation;
using FluentValidation.Results;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>
/// What the node type schema cannot say: names unique, each device's kind, mode and selector agree, no device is
/// given twice, and the slots fit the node type's declared resources per NUMA node (no overcommit).
/// </summary>
internal sealed class NodeTypeRules : AbstractValidator<NodeType>
{
    public NodeTypeRules()
    {
        RuleForEach(n => n.Slots).SetValidator(n => new SlotTemplateRules(n));
        RuleFor(n => n).Custom(UniqueSlotNames);
        RuleFor(n => n).Custom(NoDeviceTwice);
        RuleFor(n => n).Custom(FitsResources).When(n => n.Resources is not null);
    }

    private static void UniqueSlotNames(NodeType nodeType, ValidationContext<NodeType> context)
    {
        foreach (var group in nodeType.Slots.GroupBy(s => s.Name).Where(g => g.Count() > 1))
        {
            foreach (var duplicate in group.Skip(1))
            {
                context.Fail(duplicate.Where, ProblemCodes.DuplicateName,
                    $"slot name '{group.Key}' is used twice (first at line {group.First().Where.Line}); slot names must be unique");
            }
        }
    }

    /// <summary>
    /// Two slots (or two entries of one slot) naming the same device would hand one function to two VMs.
    /// Compared by resolved PCI address where the label map allows, and by PF + VF index for VFs.
    /// </summary>
    private static void NoDeviceTwice(NodeType nodeType, ValidationContext<NodeType> context)
    {
        var claimed = new Dictionary<string, (SlotTemplate Slot, DeviceBinding Device)>(StringComparer.Ordinal);
        foreach (var slot in nodeType.Slots)
        {
            foreach (var device in slot.Devices)
            {
                foreach (var key in IdentityKeys(nodeType, device))
                {
                    if (claimed.TryGetValue(key.Key, out var first))
                    {
                        context.Fail(device.Selector.Where, ProblemCodes.DeviceAssignedTwice,
                            $"{key.Text} of device '{device.Name}' in slot '{slot.Name}' is already given to device '{first.Device.Name}' of slot '{first.Slot.Name}' (line {first.Device.Where.Line}); a device can belong to one slot only");
                        break;
                    }
                    claimed[key.Key] = (slot, device);
                }
            }
        }
    }

    private static IEnumerable<(string Key, string Text)> IdentityKeys(NodeType nodeType, DeviceBinding device)
    {
        var s = device.Selector;
        if (device.IsVirtualFunction)
        {
            if (s.Pf is not null && s.VfIndex is not null)
            {
                yield return ($"vf:{s.Pf}:{s.VfIndex}", $"VF {s.VfIndex} of PF {s.Pf}");
            }
            yield break;
        }
        var address = s.PciAddress ?? (s.PhysicalLabel is not null && nodeType.PhysicalLabels.TryGetValue(s.PhysicalLabel, out var a) ? a : null);
        if (address is not null)
        {
            yield return ($"pci:{address}", $"PCI device {address}");
        }
        else if (s.PhysicalLabel is not null)
        {
            yield return ($"label:{s.PhysicalLabel}", $"physical label {s.PhysicalLabel}");
        }
    }

    private static void FitsResources(NodeType nodeType, ValidationContext<NodeType> context)
    {
        var nodes = nodeType.Resources!.NumaNodes;
        foreach (var group in nodes.GroupBy(n => n.Id).Where(g => g.Count() > 1))
        {
            context.Fail(group.Skip(1).First().Where, ProblemCodes.DuplicateName, $"NUMA node {group.Key} is listed twice under resources");
        }
        var byId = nodes.GroupBy(n => n.Id).ToDictionary(g => g.Key, g => g.First());
        foreach (var slot in nodeType.Slots.Where(s => s.Cpu.NumaNode is { } id && !byId.ContainsKey(id)))
        {
            context.Fail(slot.Cpu.Where, ProblemCodes.NumaNodeUnknown,
                $"slot '{slot.Name}' asks for NUMA node {slot.Cpu.NumaNode}, but resources list only nodes {string.Join(", ", byId.Keys.Order())}");
        }

        // Per node: slots pinned to it. Then the whole node type, unpinned slots included.
        foreach (var node in byId.Values)
        {
            var pinned = nodeType.Slots.Where(s => s.Cpu.NumaNode == node.Id).ToList();
            CheckSum(context, pinned, node.Cores, node.MemoryGiB, node.HugepagesGiB, $"NUMA node {node.Id}", node.Where);
        }
        CheckSum(context, nodeType.Slots, nodes.Sum(n => n.Cores), nodes.Sum(n => n.MemoryGiB),
            nodes.All(n => n.HugepagesGiB is null) ? null : nodes.Sum(n => n.HugepagesGiB ?? 0), "the node type's resources", nodeType.Resources.Where);
    }

    private static void CheckSum(ValidationContext<NodeType> context, IReadOnlyList<SlotTemplate> slots, int cores, int memoryGiB, int? hugepagesGiB, string what, SourceLocation where)
    {
        if (slots.Count == 0)
        {
            return;
        }
        var names = string.Join(", ", slots.Select(s => s.Name));
        var wantCores = slots.Sum(s => s.Cpu.Cores);
        if (wantCores > cores)
        {
            context.Fail(where, ProblemCodes.Overcommit, $"slots {names} ask for {wantCores} cores, but {what} offers {cores}; slots never overcommit");
        }
        var wantMemory = slots.Sum(s => (long)s.Memory.SizeGiB);
        if (wantMemory > memoryGiB)
        {
            context.Fail(where, ProblemCodes.Overcommit, $"slots {names} ask for {wantMemory} GiB of memory, but {what} offers {memoryGiB} GiB");
        }
        var wantHuge = slots.Where(s => s.Memory.Hugepages).Sum(s => (long)s.Memory.SizeGiB);
        if (hugepagesGiB is { } huge && wantHuge > huge)
        {
            context.Fail(where, ProblemCodes.Overcommit, $"slots {names} ask for {wantHuge} GiB of hugepages, but {what} offers {huge} GiB");
        }
    }
}

internal sealed class SlotTemplateRules : AbstractValidator<SlotTemplate>
{
    public SlotTemplateRules(NodeType nodeType)
    {
        RuleForEach(s => s.Devices).Custom((device, context) => CheckDevice(nodeType, device, context));
        RuleFor(s => s).Custom(UniqueInterfaceNames);
        RuleFor(s => s.Memory).Custom((memory, context) =>
        {
            if (!memory.Hugepages && memory.HugepageSize is not null)
            {
                context.Fail(memory.Where, ProblemCodes.InvalidValue, "'hugepageSize' is set but 'hugepages' is not true; set hugepages: true or drop hugepageSize");
            }
            if (memory is { Hugepages: true, HugepageSize: HugepageSize.OneGiB or null } && memory.SizeGiB < 1)
            {
                context.Fail(memory.Where, ProblemCodes.InvalidValue, "memory must be at least one hugepage");
            }
        });
        RuleFor(s => s).Custom(CloudInitData);
        RuleFor(s => s).Custom((slot, context) =>
        {
            if (slot.SecureBoot is not null && slot.Firmware == Firmware.Bios)
            {
                context.Fail(slot.SecureBootWhere ?? slot.Where, ProblemCodes.InvalidValue,
                    $"slot '{slot.Name}' sets 'secureBoot' but boots firmware: bios; secure boot needs UEFI firmware (firmware: uefi), or drop secureBoot");
            }
        });
        RuleFor(s => s.Cpu).Custom((cpu, context) =>
        {
            if (cpu.NumaPolicy == NumaPolicy.None && cpu.NumaNode is not null)
            {
                context.Fail(cpu.Where, ProblemCodes.InvalidValue, "'numaNode' is set but 'numaPolicy' is none; choose strict or preferred, or drop numaNode");
            }
        });
    }

    /// <summary>
    /// The local seed's data: user-data cloud-init will act on, and meta-data that leaves the slot's identity alone
    /// (the template is shared by every node of the type; instance-id and hostname are per slot, from the host file).
    /// </summary>
    private static void CloudInitData(SlotTemplate slot, ValidationContext<SlotTemplate> context)
    {
        var cloudInit = slot.CloudInit;
        if (cloudInit.UserData is { } userData && Images.CloudConfig.Problem(userData) is { } problem)
        {
            context.Fail(cloudInit.UserDataWhere ?? slot.Where, ProblemCodes.InvalidValue, $"userData of slot '{slot.Name}' {problem}");
        }
        if (cloudInit.MetaDataJson is null)
        {
            return;
        }
        var metaData = System.Text.Json.Nodes.JsonNode.Parse(cloudInit.MetaDataJson)!.AsObject();
        foreach (var (key, source) in Images.NoCloudSeedComposer.IdentityKeys.Where(k => metaData.ContainsKey(k.Key)))
        {
            context.Fail(cloudInit.MetaDataWhere ?? slot.Where, ProblemCodes.InvalidValue,
                $"metaData of slot '{slot.Name}' sets '{key}', which the seed takes from the slot's identity ({source}); remove it here");
        }
    }

    private static void UniqueInterfaceNames(SlotTemplate slot, ValidationContext<SlotTemplate> context)
    {
        var all = slot.Devices.Select(d => (d.Name, d.Where)).Concat(slot.Networks.Select(n => (n.Name, n.Where)));
        foreach (var group in all.GroupBy(x => x.Name).Where(g => g.Count() > 1))
        {
            foreach (var duplicate in group.Skip(1))
            {
                context.Fail(duplicate.Where, ProblemCodes.DuplicateName,
                    $"name '{group.Key}' is used twice in slot '{slot.Name}' (first at line {group.First().Where.Line}); device and network names must be unique within a slot");
            }
        }
    }

    private static void CheckDevice(NodeType nodeType, DeviceBinding device, ValidationContext<SlotTemplate> context)
    {
        var s = device.Selector;
        if (device.Kind == DeviceKind.Nic && device.Mode is null)
        {
            context.Fail(device.Where, ProblemCodes.DeviceKindMode, $"NIC '{device.Name}' needs a mode: passthrough (the whole function) or sriov-vf (a virtual function of a PF)");
            return;
        }
        if (device.Kind != DeviceKind.Nic && device.Mode is not null)
        {
            context.Fail(device.Where, ProblemCodes.DeviceKindMode,
                $"device '{device.Name}' is a {device.Kind.ToString().ToLowerInvariant()}; 'mode' applies to kind nic only");
            return;
        }
        if (device.IsVirtualFunction)
        {
            if (s.Pf is null || s.VfIndex is null)
            {
                context.Fail(s.Where, ProblemCodes.SelectorShape, $"SR-IOV VF '{device.Name}' needs both 'pf' (netdev name, RDMA name or PCI address of the PF) and 'vfIndex'");
            }
            if (s.PciAddress is not null || s.PhysicalLabel is not null)
            {
                context.Fail(s.Where, ProblemCodes.SelectorShape, $"SR-IOV VF '{device.Name}' is chosen by 'pf' and 'vfIndex'; 'pciAddress' and 'physicalLabel' would name a whole function");
            }
            return;
        }
        if (s.Pf is not null || s.VfIndex is not null)
        {
            context.Fail(s.Where, ProblemCodes.SelectorShape,
                $"device '{device.Name}' takes a whole PCI function; 'pf' and 'vfIndex' belong to nic devices with mode sriov-vf");
        }
        if (s.PciAddress is null && s.PhysicalLabel is null)
        {
            context.Fail(s.Where, ProblemCodes.SelectorShape, $"device '{device.Name}' needs 'pciAddress' or 'physicalLabel'");
        }
        if (s is { PhysicalLabel: { } label, PciAddress: { } address }
            && nodeType.PhysicalLabels.TryGetValue(label, out var mapped) && mapped != address)
        {
            context.Fail(s.Where, ProblemCodes.SelectorConflict,
                $"device '{device.Name}': physicalLabel {label} is {mapped} in the node type's physicalLabels, but pciAddress says {address}; the two must agree");
        }
    }
}

internal static class ValidationContextExtensions
{
    public static void Fail<T>(this ValidationContext<T> context, SourceLocation where, string code, string message) =>
        context.AddFailure(new ValidationFailure(context.PropertyPath, message) { ErrorCode = code, CustomState = where });

    public static IEnumerable<ConfigProblem> ToProblems(this ValidationResult result, SourceLocation fallback) =>
        result.Errors.Select(e => new ConfigProblem(e.CustomState as SourceLocation ?? fallback, e.ErrorCode, e.ErrorMessage));
}
