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
/// Start-up in order: check each slot's host bindings, make the root disks of the slots that passed (an overlay on the
/// verified catalog image; existing disks are kept), give those slots their VM on libvirt (defining missing domains,
/// reporting drift), and compose the state the Redfish layer serves. A slot that fails validation is served, marked
/// unusable, and gets no domain; one whose disk cannot be made is marked unusable with the reason but keeps its
/// domain, so a reimage can fix it while the service runs. The service starts even when every slot fails.
/// </summary>
public static class NodeComposer
{
    /// <param name="adjustRendering">Test tiers only: extra rendering (a serial log file, a boot disk) for real guests.</param>
    public static async Task<RunningNode> StartAsync(LoadedSite site, Serilog.ILogger log,
        Func<DomainRenderOptions, DomainRenderOptions>? adjustRendering = null, CancellationToken cancellationToken = default)
    {
        var binding = HostBinding.Check(site.Config, log);
        var usable = site.Slots.Where(s => binding.Health[s.Name].Usable).ToList();

        var health = binding.Health.ToDictionary(p => p.Key, p => p.Value);
        var serializer = SlotDisks.Serializer(site.Host);
        var disks = SlotDisks.Create(site.Host, serializer);
        await EnsureDisksAsync(disks, usable, health, log, cancellationToken);
        LibvirtHypervisor? hypervisor = null;
        if (usable.Count > 0)
        {
            var host = site.Host;
            EnsureSerialLogDirectory(host, log);
            var rendering = RenderOptions(host);
            hypervisor = new LibvirtHypervisor(
                new LibvirtHypervisorOptions(host.LibvirtUri, adjustRendering?.Invoke(rendering) ?? rendering),
                usable,
                binding.Placement,
                serializer);
            try
            {
                foreach (var result in await hypervisor.StartAsync(cancellationToken))
                {
                    LogReconcile(log, result);
                    if (ReconcileFinding(result) is { } finding)
                    {
                        // Check 7 of host validation: a domain that differs from its template is not served as usable.
                        var before = health[result.SlotName];
                        health[result.SlotName] = new SlotHealth(false, [.. before.Findings, finding]);
                    }
                }
            }
            catch (SlotRuntimeException e) when (e.Kind == SlotRuntimeErrorKind.Unavailable)
            {
                log.Warning("libvirt at {Uri} is not reachable ({Reason}); serving anyway, reconnecting in the background", host.LibvirtUri, e.Message);
            }
        }
        var slots = site.Slots.Select(s => new SlotContext(
            s,
            hypervisor?.FindSlot(s.Name),
            health[s.Name],
            binding.Devices[s.Name])).ToList();
        var state = new NodeState(site, slots, site.Host.HostEndpoint)
        {
            Disks = disks,
            Consoles = site.Host.Console.Enabled ? hypervisor?.Consoles(site.Host.Console.LogLines) : null,
            NotReadyReason = () => hypervisor is not null && hypervisor.LastReconcile.Count == 0 ? $"libvirt at {site.Host.LibvirtUri} not reached yet" : null,
        };
        return new RunningNode(state, hypervisor);
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
    private static void EnsureSerialLogDirectory(HostConfig host, Serilog.ILogger log)
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

    /// <summary>
    /// Root disks for the slots that passed host validation, made before their domains are defined. The catalog is read
    /// once. A slot whose disk cannot be made gets the finding (its code is the one validate uses) and is not usable.
    /// </summary>
    private static async Task EnsureDisksAsync(SlotDiskProvisioner disks, List<Slot> slots, Dictionary<string, SlotHealth> health,
        Serilog.ILogger log, CancellationToken cancellationToken)
    {
        if (slots.Count == 0)
        {
            return;
        }
        var lookup = slots.Any(s => s.Image is not null) ? await disks.LookupAsync(cancellationToken) : null;
        if (lookup is { Configured: true, Images: null })
        {
            log.Error("image catalog {Catalog} cannot be read: {Reason}", lookup.Source, lookup.Error);
        }
        foreach (var slot in slots)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                var result = await disks.EnsureAsync(slot, lookup, cancellationToken);
                if (result.Outcome == EnsureOutcome.Created)
                {
                    log.Information("slot {Slot}: root disk {Disk} made on base image {Sha256} ({Elapsed:F0} ms)", slot.Name, result.RootDisk,
                        result.Base!.Sha256, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
            catch (DiskProvisioningException e)
            {
                log.Error("slot {Slot}: {Code}: {Message}; the slot is not usable until it is reimaged or the service restarted", slot.Name,
                    SlotDisks.Finding(e).Code, e.Message);
                var before = health[slot.Name];
                health[slot.Name] = new SlotHealth(false, [.. before.Findings, SlotDisks.Finding(e)]);
            }
            catch (SlotRuntimeException e)
            {
                // The slot's lock is held by another process (an operator's reimage): leave the disk to it.
                log.Error("slot {Slot}: root disk not checked: {Message}", slot.Name, e.Message);
                var before = health[slot.Name];
                health[slot.Name] = new SlotHealth(false, [.. before.Findings, new SlotFindingView(FindingCodes.DiskProvisionFailed, "Error", null, e.Message)]);
            }
        }
    }

    /// <summary>Drift, a foreign domain of the same name, or a failure to define: the slot cannot be trusted to act.</summary>
    public static SlotFindingView? ReconcileFinding(SlotReconcileResult result) => result.Outcome switch
    {
        ReconcileOutcome.Drifted => new SlotFindingView("DOMAIN_DRIFT", "Error", null,
            $"libvirt domain {result.DomainName} differs from the slot's template (left as it is): {string.Join("; ", result.Drift)}; undefine it to let the service define it again, or fix the template"),
        ReconcileOutcome.Foreign => new SlotFindingView("DOMAIN_FOREIGN", "Error", null,
            $"a libvirt domain named {result.DomainName} exists but is not this service's (no slot metadata); it was not touched: rename or remove it"),
        ReconcileOutcome.Failed => new SlotFindingView("DOMAIN_DEFINE_FAILED", "Error", null, $"libvirt domain {result.DomainName}: {result.Message}"),
        _ => null,
    };

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
    ValidationReport Report,
    IReadOnlyDictionary<string, SlotHealth> Health,
    IReadOnlyDictionary<string, IReadOnlyList<BoundDevice>> Devices,
    Func<Slot, SlotPlacement> Placement)
{
    /// <summary>Reads the host's sysfs, validates every slot, and plans CPUs and device addresses for the usable ones.</summary>
    public static HostBinding Check(SiteConfiguration site, Serilog.ILogger log)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var inventory = new SysfsInventorySource(site.Host.SysfsRoot).Read();
        var recorder = new ResolutionRecorder();
        var report = BindingValidator.Validate(site, inventory, [recorder]);
        log.Information("host validation of {Root}: {Summary} ({Elapsed:F1} ms)", site.Host.SysfsRoot, report.Summary,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        foreach (var finding in report.Findings)
        {
            log.Write(finding.Severity == FindingSeverity.Error ? Serilog.Events.LogEventLevel.Error : Serilog.Events.LogEventLevel.Warning,
                "slot {Slot}: {Code} {Device}: {Message}", finding.Slot, finding.Code, finding.Device ?? "-", finding.Message);
        }

        var health = report.Slots.ToDictionary(s => s.Slot, s => new SlotHealth(s.IsUsable,
            s.Findings.Select(f => new SlotFindingView(f.Code, f.Severity.ToString(), f.Device, f.Message)).ToList()));
        var devices = site.Slots.ToDictionary(s => s.Name, s => (IReadOnlyList<BoundDevice>)(recorder.Devices.GetValueOrDefault(s.Name) ?? [])
            .Select(d => new BoundDevice(d.Binding, d.Function?.Address, Hex(d.Function?.VendorId), Hex(d.Function?.DeviceId)))
            .ToList());
        var cpus = CpuPlan.Allocate(site, inventory, recorder.Devices);
        return new HostBinding(report, health, devices, slot => new SlotPlacement(
            cpus[slot.Name],
            devices[slot.Name].Where(d => d.HostAddress is not null).ToDictionary(d => d.Binding.Name, d => d.HostAddress!.Value)));
    }

    private static string? Hex(int? id) => id is { } v ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"0x{v:x4}") : null;
}
