using System.Net;
using FluentValidation;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>
/// Checks the host file against its node type: every slot entry names a slot of the type and each slot has one
/// entry, endpoints are distinct, MACs and IPs name the slot's interfaces, and no identity is shared.
/// </summary>
internal sealed class HostConfigRules : AbstractValidator<HostConfig>
{
    public HostConfigRules(NodeType nodeType)
    {
        RuleFor(h => h).Custom((host, context) => SlotsMatchNodeType(host, nodeType, context));
        RuleFor(h => h).Custom(DistinctEndpoints);
        RuleFor(h => h).Custom((host, context) =>
        {
            if (host.Tls is null && !host.InsecurePlainHttp)
            {
                context.Fail(host.Where, ProblemCodes.MissingKey,
                    "no TLS configured: set 'tls' (certificate and key, or generateSelfSigned: true), or 'insecurePlainHttp: true' for an isolated test setup");
            }
            if (host.Tls is not null && host.InsecurePlainHttp)
            {
                context.Fail(host.Where, ProblemCodes.InvalidValue, "'tls' and 'insecurePlainHttp: true' are both set; choose one");
            }
        });
        RuleForEach(h => h.Slots).Custom((entry, context) => InterfacesExist(entry, nodeType.FindSlot(entry.Name), context));
    }

    private static void SlotsMatchNodeType(HostConfig host, NodeType nodeType, ValidationContext<HostConfig> context)
    {
        var known = nodeType.Slots.Select(s => s.Name).ToList();
        foreach (var entry in host.Slots.Where(e => nodeType.FindSlot(e.Name) is null))
        {
            context.Fail(entry.Where, ProblemCodes.UnknownSlot,
                $"slot '{entry.Name}' is not a slot of node type '{nodeType.Name}'{SchemaCheck.Suggest(entry.Name, known)}; its slots are {string.Join(", ", known)}");
        }
        foreach (var group in host.Slots.GroupBy(e => e.Name).Where(g => g.Count() > 1))
        {
            context.Fail(group.Skip(1).First().Where, ProblemCodes.DuplicateName, $"slot '{group.Key}' has two entries (first at line {group.First().Where.Line})");
        }
        foreach (var slot in nodeType.Slots.Where(s => host.Slots.All(e => e.Name != s.Name)))
        {
            context.Fail(host.Where, ProblemCodes.MissingSlot,
                $"slot '{slot.Name}' of node type '{nodeType.Name}' has no entry under 'slots'; every slot needs its BMC endpoint");
        }
    }

    private static void DistinctEndpoints(HostConfig host, ValidationContext<HostConfig> context)
    {
        foreach (var entry in host.Slots)
        {
            var address = entry.Bmc.Address;
            if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.None))
            {
                if (!address.Equals(IPAddress.None))
                {
                    context.Fail(entry.Bmc.Where, ProblemCodes.InvalidValue,
                        $"slot '{entry.Name}' listens on {address}: each slot is chosen by the address a connection arrives on, so it needs an address of its own");
                }
            }
        }
        if (host.HostEndpoint is { } hostEndpoint && host.Slots.FirstOrDefault(e => e.Bmc.ToString() == hostEndpoint.ToString()) is { } clash)
        {
            context.Fail(hostEndpoint.Where, ProblemCodes.EndpointConflict,
                $"the host endpoint {hostEndpoint} is also slot '{clash.Name}'s BMC endpoint; give it an address or port of its own");
        }
        foreach (var group in host.Slots.Where(e => !e.Bmc.Address.Equals(IPAddress.None)).GroupBy(e => e.Bmc.ToString()).Where(g => g.Count() > 1))
        {
            foreach (var entry in group.Skip(1))
            {
                context.Fail(entry.Bmc.Where, ProblemCodes.EndpointConflict,
                    $"slot '{entry.Name}' uses BMC endpoint {group.Key}, already used by slot '{group.First().Name}'; one endpoint serves one slot");
            }
        }
        foreach (var group in host.Slots.Where(e => !e.Bmc.Address.Equals(IPAddress.None)).GroupBy(e => e.Bmc.Address).Where(g => g.Count() > 1))
        {
            // Same address, different ports: Magellan scans by address, so it would see two BMCs as one host.
            if (group.Select(e => e.Bmc.Port).Distinct().Count() > 1)
            {
                foreach (var entry in group.Skip(1))
                {
                    context.Fail(entry.Bmc.Where, ProblemCodes.EndpointConflict,
                        $"slot '{entry.Name}' shares address {group.Key} with slot '{group.First().Name}'; give each slot its own address so discovery sees one node per BMC");
                }
            }
        }
        if (host.Console.Enabled && host.Slots.FirstOrDefault(e => e.Bmc.Port == host.Console.SshPort) is { } sshClash)
        {
            context.Fail(sshClash.Bmc.Where, ProblemCodes.EndpointConflict,
                $"slot '{sshClash.Name}' serves Redfish on port {sshClash.Bmc.Port}, which is also console.sshPort; give the SSH console another port");
        }
    }

    private static void InterfacesExist(HostSlot entry, SlotTemplate? template, ValidationContext<HostConfig> context)
    {
        if (template is null)
        {
            return;
        }
        var names = template.InterfaceNames.ToList();
        foreach (var name in entry.MacAddresses.Keys.Where(n => !names.Contains(n)))
        {
            context.Fail(entry.Where, ProblemCodes.UnknownInterface,
                $"slot '{entry.Name}' pins a MAC for '{name}', which is not a NIC device or network of the slot{Known(names)}");
        }
        foreach (var planned in entry.Ipv4.Where(a => !names.Contains(a.Interface)))
        {
            context.Fail(planned.Where, ProblemCodes.UnknownInterface,
                $"slot '{entry.Name}' plans {planned} on '{planned.Interface}', which is not a NIC device or network of the slot{Known(names)}");
        }
        if (template.CloudInit.LocalSeed)
        {
            SeedNetwork(entry, template, context);
        }
    }

    /// <summary>What the local seed's network-config needs from the planned addresses to work in the guest.</summary>
    private static void SeedNetwork(HostSlot entry, SlotTemplate template, ValidationContext<HostConfig> context)
    {
        // netplan refuses two default routes of one table and metric, and the seed has no way to rank them.
        var gateways = entry.Ipv4.Where(a => a.Gateway is not null).ToList();
        foreach (var other in gateways.Where(a => !a.Gateway!.Equals(gateways[0].Gateway)))
        {
            context.Fail(other.Where, ProblemCodes.InvalidValue,
                $"slot '{entry.Name}' has a local seed and plans a second gateway {other.Gateway} (first {gateways[0].Gateway}); the guest can have one default route");
        }
        // A passed-through NIC keeps its own MAC (libvirt cannot set it), so the seed can only match a pinned one.
        var passthrough = template.Devices.Where(d => d is { Kind: DeviceKind.Nic, Mode: NicMode.Passthrough }).Select(d => d.Name).ToHashSet();
        foreach (var planned in entry.Ipv4.Where(a => passthrough.Contains(a.Interface) && !entry.MacAddresses.ContainsKey(a.Interface)))
        {
            context.Fail(planned.Where, ProblemCodes.MissingKey,
                $"slot '{entry.Name}' has a local seed and plans {planned} on passthrough NIC '{planned.Interface}'; pin the card's MAC under identity.macAddresses so the guest's network-config can match it");
        }
    }

    private static string Known(List<string> names) => names.Count == 0 ? " (it has none)" : $" ({string.Join(", ", names)})";
}

/// <summary>Identities after derivation: a pinned value may collide with another slot's pinned or derived one.</summary>
internal static class IdentityRules
{
    public static void Check(IReadOnlyList<Slot> slots, List<ConfigProblem> problems)
    {
        Unique(slots, s => [s.Identity.Uuid.ToString()], "UUID", problems);
        Unique(slots, s => [s.Identity.SerialNumber], "serial number", problems);
        Unique(slots, s => [s.Identity.InstanceId], "cloud-init instance ID", problems);
        Unique(slots, s => [s.Identity.Hostname], "hostname", problems);
        Unique(slots, s => s.Identity.MacAddresses.Values.Select(m => m.ToString()), "MAC address", problems);
        Unique(slots, s => s.Host.Ipv4.Where(a => !a.Address.Equals(IPAddress.None)).Select(a => a.Address.ToString()), "planned IPv4 address", problems);
    }

    private static void Unique(IReadOnlyList<Slot> slots, Func<Slot, IEnumerable<string>> values, string what, List<ConfigProblem> problems)
    {
        var owner = new Dictionary<string, Slot>(StringComparer.OrdinalIgnoreCase);
        foreach (var slot in slots)
        {
            foreach (var value in values(slot).Distinct())
            {
                if (owner.TryGetValue(value, out var first))
                {
                    problems.Add(new ConfigProblem(slot.Host.Where, ProblemCodes.IdentityConflict,
                        $"slot '{slot.Name}' has {what} {value}, the same as slot '{first.Name}'; each slot needs its own"));
                }
                else
                {
                    owner[value] = slot;
                }
            }
        }
    }
}
