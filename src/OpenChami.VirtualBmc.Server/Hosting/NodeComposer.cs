using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>The node while it runs: what the Redfish layer serves, and the hypervisor to dispose at shutdown.</summary>
public sealed class RunningNode(NodeState state, LibvirtHypervisor? hypervisor) : IAsyncDisposable
{
    public NodeState State { get; } = state;

    public LibvirtHypervisor? Hypervisor { get; } = hypervisor;

    public async ValueTask DisposeAsync()
    {
        if (Hypervisor is not null)
        {
            await Hypervisor.DisposeAsync();
        }
    }
}

/// <summary>
/// Start-up in order: check each slot's host bindings, give usable slots their VM on libvirt (defining missing
/// domains, reporting drift), and compose the state the Redfish layer serves. A slot that fails validation is
/// served, marked unusable, and gets no domain; the service starts even when every slot fails.
/// </summary>
public static class NodeComposer
{
    public static async Task<RunningNode> StartAsync(LoadedSite site, Serilog.ILogger log, CancellationToken cancellationToken = default)
    {
        var binding = HostBinding.Check(site.Config, log);
        var usable = site.Slots.Where(s => binding.Health[s.Name].Usable).ToList();

        LibvirtHypervisor? hypervisor = null;
        if (usable.Count > 0)
        {
            var host = site.Host;
            var domainType = host.LibvirtUri.StartsWith("test:", StringComparison.Ordinal) ? "test" : host.LibvirtDomainType;
            hypervisor = new LibvirtHypervisor(
                new LibvirtHypervisorOptions(host.LibvirtUri, new DomainRenderOptions(domainType, host.HostId, host.AllowManagedDetach, host.DomainPrefix)),
                usable,
                binding.Placement);
            try
            {
                foreach (var result in await hypervisor.StartAsync(cancellationToken))
                {
                    LogReconcile(log, result);
                }
            }
            catch (SlotRuntimeException e) when (e.Kind == SlotRuntimeErrorKind.Unavailable)
            {
                log.Warning("libvirt at {Uri} is not reachable ({Reason}); serving anyway, reconnecting in the background", host.LibvirtUri, e.Message);
            }
        }
        var slots = site.Slots.Select(s => new SlotContext(
            s,
            binding.Health[s.Name].Usable ? hypervisor?.FindSlot(s.Name) : null,
            binding.Health[s.Name],
            binding.Devices[s.Name])).ToList();
        return new RunningNode(new NodeState(site, slots, site.Host.HostEndpoint), hypervisor);
    }

    private static void LogReconcile(Serilog.ILogger log, SlotReconcileResult result)
    {
        switch (result.Outcome)
        {
            case ReconcileOutcome.Drifted:
                log.Warning("slot {Slot}: domain {Domain} differs from its template, left as it is: {Drift}", result.SlotName, result.DomainName,
                    string.Join("; ", result.Drift));
                break;
            case ReconcileOutcome.Foreign or ReconcileOutcome.Failed:
                log.Error("slot {Slot}: domain {Domain}: {Outcome}: {Message}", result.SlotName, result.DomainName, result.Outcome, result.Message);
                break;
            default:
                log.Information("slot {Slot}: domain {Domain} {Outcome}", result.SlotName, result.DomainName, result.Outcome.ToString().ToLowerInvariant());
                break;
        }
    }
}

/// <summary>The outcome of checking the slots against this host: health, resolved devices and the VM placement.</summary>
public sealed record HostBinding(
    IReadOnlyDictionary<string, SlotHealth> Health,
    IReadOnlyDictionary<string, IReadOnlyList<BoundDevice>> Devices,
    Func<Slot, SlotPlacement> Placement)
{
    /// <summary>Until the sysfs validator is wired in: devices resolve from their selectors only, and no slot is checked.</summary>
    public static HostBinding Check(SiteConfiguration site, Serilog.ILogger log)
    {
        log.Warning("host bindings are not validated yet: every slot is served as usable");
        var devices = site.Slots.ToDictionary(s => s.Name, s => (IReadOnlyList<BoundDevice>)s.Template.Devices
            .Select(d => new BoundDevice(d, d.Selector.PciAddress ?? (d.Selector.PhysicalLabel is { } l && site.NodeType.PhysicalLabels.TryGetValue(l, out var a) ? a : null), null, null))
            .ToList());
        return new HostBinding(
            site.Slots.ToDictionary(s => s.Name, _ => SlotHealth.Unchecked),
            devices,
            slot => new SlotPlacement([], devices[slot.Name].Where(d => d.HostAddress is not null).ToDictionary(d => d.Binding.Name, d => d.HostAddress!.Value)));
    }
}
