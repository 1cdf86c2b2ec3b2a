using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Host;
using OpenChami.VirtualBmc.Slots.Placement;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.Slots.Validation;

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
/// Start-up: the host check in serve mode (bindings, root disks made for the slots that passed, their VMs defined on
/// libvirt, drift reported), then the state the Redfish layer serves. A slot that fails validation is served, marked
/// unusable, and gets no domain; one whose disk cannot be made is marked unusable with the reason but keeps its
/// domain, so a reimage can fix it while the service runs. The service starts even when every slot fails, and when
/// libvirt is away (its slots wait for the reconnect).
/// </summary>
public static class NodeComposer
{
    /// <param name="adjustRendering">Test tiers only: extra rendering (a serial log file, a boot disk) for real guests.</param>
    public static async Task<RunningNode> StartAsync(LoadedSite site, Serilog.ILogger log,
        Func<DomainRenderOptions, DomainRenderOptions>? adjustRendering = null, CancellationToken cancellationToken = default)
    {
        var check = await HostCheck.RunAsync(site.Config, HostCheckMode.Serve, log, adjustRendering: adjustRendering, cancellationToken: cancellationToken);
        var slots = site.Slots.Select(s => new SlotContext(s, check.Hypervisor?.FindSlot(s.Name), check.States[s.Name], check.Devices[s.Name])
        {
            HostPlacement = HostPlacementOf(check, s),
        }).ToList();
        foreach (var slot in slots)
        {
            // Subscribed after the start-up reconcile: a VM found running then was started before the service knew.
            slot.Machine?.StateChanged += (_, e) =>
            {
                if (e.Kind == SlotEventKind.Rebooted || (e.Kind == SlotEventKind.PowerStateChanged && e.PowerState == PowerState.On))
                {
                    slot.MarkReset(DateTimeOffset.UtcNow);
                }
            };
        }
        var state = new NodeState(site, slots, site.Host.HostEndpoint) 
        {
            Disks = check.Disks,
            Recheck = (slot, cancellationToken) => HostCheck.RecheckSlotAsync(site.Config, slot.Slot, slot.State, check.Disks, check.Hypervisor, log, cancellationToken),
            Consoles = site.Host.Console.Enabled ? check.Hypervisor?.Consoles(site.Host.Console.LogLines) : null,
        };
        return new RunningNode(state, check.Hypervisor);
    }

    private static SlotHostPlacement HostPlacementOf(HostCheck check, Slot slot)
    {
        var cpus = check.Placement(slot).Cpus;
        var node = cpus.Count == 0 ? null : check.Inventory.NumaNodes.FirstOrDefault(n => cpus.All(n.Cpus.Contains))?.Id;
        return new SlotHostPlacement(check.Site.Host.HostId, cpus, node, check.Inventory.CpuModel);
    }

    /// <summary>How the host's slots are rendered as domains (test:// URIs get the test driver's domain type).</summary>
    public static DomainRenderOptions RenderOptions(HostConfig host) =>
        new(host.LibvirtUri.StartsWith("test:", StringComparison.Ordinal) ? "test" : host.LibvirtDomainType, host.HostId, host.AllowManagedDetach, host.DomainPrefix)
        {
            StateDirectory = host.StateDirectory,
            SerialLogDirectory = host.SerialLogDirectory,
        };

    /// <summary>
    /// libvirt writes the serial console logs but does not make their directory: the service does, mode 0770 (QEMU's
    /// user, in the service's group, writes there when libvirt's stdio_handler is "file"). If it cannot, the slots still
    /// start; libvirt then reports the missing directory when a slot powers on.
    /// </summary>
    internal static void EnsureSerialLogDirectory(HostConfig host, Serilog.ILogger log)
    {
        if (host.SerialLogDirectory is not { } dir || Directory.Exists(dir))
        {
            return;
        }
        try
        {
            const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute;
            Directory.CreateDirectory(dir, mode);
            File.SetUnixFileMode(dir, mode); // not reduced by the umask
            log.Information("serial console logs go to {Directory}", dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("cannot create the serial console log directory {Directory}: {Reason}", dir, e.Message);
        }
    }

    internal static void LogReconcile(Serilog.ILogger log, SlotReconcileResult result)
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
