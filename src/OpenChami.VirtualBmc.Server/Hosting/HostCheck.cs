using OpenChami.VirtualBmc.Host;
using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Inventory;
using OpenChami.VirtualBmc.Slots.Placement;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.Slots.State;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>What a caller of the host check may look at and change.</summary>
/// <param name="Disks">Check each slot's root disk (image in the catalog, base image at hand, overlay intact).</param>
/// <param name="Domains">Check each slot's libvirt domain (ours, in sync with the template).</param>
/// <param name="Provision">Make the root disks, define missing domains and keep the hypervisor running (serve).</param>
public sealed record HostCheckMode(bool Disks, bool Domains, bool Provision)
{
    /// <summary>validate: every check, nothing changed (a missing domain is no finding: serve defines it).</summary>
    public static readonly HostCheckMode ReadOnly = new(Disks: true, Domains: true, Provision: false);

    /// <summary>render: the bindings only; libvirt is not contacted.</summary>
    public static readonly HostCheckMode BindingsOnly = new(Disks: false, Domains: false, Provision: false);

    /// <summary>slot reimage/delete-state: the domain is reconciled (defined if missing) to act on it; disks are the command's.</summary>
    public static readonly HostCheckMode Domain = new(Disks: false, Domains: true, Provision: true);

    /// <summary>serve: every check, disks made, domains defined, the hypervisor kept running.</summary>
    public static readonly HostCheckMode Serve = new(Disks: true, Domains: true, Provision: true);
}

/// <summary>
/// The one host check, used by validate, serve, slot and render: reads the host's sysfs, validates every slot's device
/// bindings, checks (or makes) root disks, and checks (or defines) libvirt domains — each slot's outcome written to its
/// <see cref="SlotState"/>. Dispose it to stop the hypervisor it started (<see cref="HostCheckMode.Provision"/>).
/// </summary>
public sealed class HostCheck : IAsyncDisposable
{
    private HostCheck(SiteConfiguration site, HostInventory inventory, IReadOnlyDictionary<string, SlotState> states,
        IReadOnlyDictionary<string, IReadOnlyList<BoundDevice>> devices, Func<Slot, SlotPlacement> placement, SlotSerializer serializer, SlotDiskProvisioner disks)
    {
        Site = site;
        Inventory = inventory;
        States = states;
        Devices = devices;
        Placement = placement;
        Serializer = serializer;
        Disks = disks;
    }

    public SiteConfiguration Site { get; }

    /// <summary>How long reading the host's sysfs took (validate --timings).</summary>
    public TimeSpan ReadHost { get; private init; }

    public HostInventory Inventory { get; }

    /// <summary>Each slot's state, in configuration order of <see cref="SiteConfiguration.Slots"/>.</summary>
    public IReadOnlyDictionary<string, SlotState> States { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<BoundDevice>> Devices { get; }

    /// <summary>Each slot's template devices and the host functions they resolved to (the audit page and validate --html).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ResolvedDevice>> Resolved { get; private init; } =
        new Dictionary<string, IReadOnlyList<ResolvedDevice>>(StringComparer.Ordinal);

    /// <summary>Host CPUs and device addresses of a slot that passed its bindings.</summary>
    public Func<Slot, SlotPlacement> Placement { get; }

    public SlotSerializer Serializer { get; }

    public SlotDiskProvisioner Disks { get; }

    /// <summary>The running hypervisor (<see cref="HostCheckMode.Provision"/> with at least one slot that passed).</summary>
    public LibvirtHypervisor? Hypervisor { get; private set; }

    /// <summary>Every slot's findings now, as validate prints them.</summary>
    public ValidationReport Report => new([.. Site.Slots.Select(s => new SlotValidation(s.Name, States[s.Name].Current.Findings))]);

    /// <param name="only">Check only these slots (null: all). The others are left out of <see cref="States"/>' checks of disks and domains.</param>
    /// <param name="adjustRendering">Test tiers only: extra rendering (a serial log file, a boot disk) for real guests.</param>
    public static async Task<HostCheck> RunAsync(SiteConfiguration site, HostCheckMode mode, Serilog.ILogger log, IReadOnlyCollection<string>? only = null,
        Func<DomainRenderOptions, DomainRenderOptions>? adjustRendering = null, CancellationToken cancellationToken = default)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (mode.Domains)
        {
            _ = LibvirtHypervisor.LoadLibraryInBackground(); // beside the sysfs read: both are on the way to serving
        }
        var inventory = new SysfsInventorySource(site.Host.SysfsRoot).Read();
        var readHost = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var recorder = new ResolutionRecorder();
        var bindings = BindingValidator.Validate(site, inventory, [recorder]);
        log.Information("host validation of {Root}: {Summary} ({Elapsed:F1} ms)", site.Host.SysfsRoot, bindings.Summary,
            System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        foreach (var finding in bindings.Findings)
        {
            Log(log, finding);
        }
        var states = site.Slots.ToDictionary(s => s.Name, s => new SlotState(s.Name));
        foreach (var slot in site.Slots)
        {
            states[slot.Name].Replace(FindingSource.Binding, bindings.For(slot.Name)!.Findings);
        }
        var devices = site.Slots.ToDictionary(s => s.Name, s => (IReadOnlyList<BoundDevice>)(recorder.Devices.GetValueOrDefault(s.Name) ?? [])
            .Select(d => new BoundDevice(d.Binding, d.Function?.Address, Hex(d.Function?.VendorId), Hex(d.Function?.DeviceId)))
            .ToList());
        var cpus = CpuPlan.Allocate(site, inventory, recorder.Devices);
        SlotPlacement Placement(Slot slot) => new(
            cpus[slot.Name],
            devices[slot.Name].Where(d => d.HostAddress is not null).ToDictionary(d => d.Binding.Name, d => d.HostAddress!.Value));
        var serializer = SlotDisks.Serializer(site.Host);
        var check = new HostCheck(site, inventory, states, devices, Placement, serializer, SlotDisks.Create(site.Host, serializer)) { ReadHost = readHost, Resolved = recorder.Devices };

        var checkedSlots = site.Slots.Where(s => only is null || only.Contains(s.Name)).ToList();
        var passed = checkedSlots.Where(s => !states[s.Name].Current.HasErrors).ToList();
        foreach (var slot in site.Slots.Where(s => states[s.Name].Current.HasErrors))
        {
            states[slot.Name].NoDomain();
        }
        if (mode.Disks)
        {
            await check.CheckDisksAsync(checkedSlots, passed, inventory, mode.Provision, log, cancellationToken);
        }
        if (mode.Domains && passed.Count > 0)
        {
            await check.CheckDomainsAsync(passed, mode.Provision, log, adjustRendering, cancellationToken);
        }
        return check;
    }

    /// <summary>
    /// One slot's host check again while the service runs (a Manager.Reset of its BMC): sysfs reread, its bindings
    /// validated, its root disk checked (not made: a reimage does that), its domain reconciled by the running hypervisor
    /// — each result written to its state. Returns a one-line summary for the audit.
    /// </summary>
    public static async Task<string> RecheckSlotAsync(SiteConfiguration site, Slot slot, SlotState state, SlotDiskProvisioner? disks,
        LibvirtHypervisor? hypervisor, Serilog.ILogger log, CancellationToken cancellationToken = default)
    {
        var inventory = new SysfsInventorySource(site.Host.SysfsRoot).Read();
        var bindings = BindingValidator.Validate(site, inventory).For(slot.Name)!.Findings;
        state.Replace(FindingSource.Binding, bindings);
        if (disks is not null && !state.Current.HasErrors)
        {
            var catalog = slot.Image is not null ? await disks.LookupAsync(cancellationToken) : new CatalogLookup(null, null, null);
            state.Replace(FindingSource.Disk, new ImageCheck(catalog, disks).Check(new SlotCheckContext(slot, site, inventory, [])).ToList());
        }
        var reconcile = "domain not reconciled (the slot has no domain)";
        if (hypervisor is not null)
        {
            try
            {
                if (await hypervisor.ReconcileSlotAsync(slot.Name, cancellationToken) is { } result)
                {
                    reconcile = $"domain {result.Outcome}";
                }
            }
            catch (SlotRuntimeException e) when (e.Kind == SlotRuntimeErrorKind.Unavailable)
            {
                reconcile = $"domain unknown: {e.Message}";
            }
        }
        var findings = state.Current.Findings;
        findings.ToList().ForEach(f => Log(log, f));
        return $"slot {slot.Name}: {findings.Count} finding(s), {reconcile}, usable {state.Current.Usable}";
    }

    /// <summary>The catalog is read once; ImageCheck's findings for every slot, then (provisioning) a disk for each slot that passed.</summary>
    private async Task CheckDisksAsync(List<Slot> slots, List<Slot> passed, HostInventory inventory, bool provision, Serilog.ILogger log, CancellationToken cancellationToken)
    {
        var catalog = slots.Any(s => s.Image is not null) ? await Disks.LookupAsync(cancellationToken) : new CatalogLookup(null, null, null);
        if (catalog is { Configured: true, Images: null })
        {
            log.Error("image catalog {Catalog} cannot be read: {Reason}", catalog.Source, catalog.Error);
        }
        var images = new ImageCheck(catalog, Disks);
        foreach (var slot in slots)
        {
            var findings = images.Check(new SlotCheckContext(slot, Site, inventory, [])).ToList();
            findings.ForEach(f => Log(log, f));
            States[slot.Name].Replace(FindingSource.Disk, findings);
        }
        if (!provision)
        {
            return;
        }
        foreach (var slot in passed.Where(s => !States[s.Name].Current.HasErrors))
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                var result = await Disks.EnsureAsync(slot, catalog, cancellationToken);
                if (result.Outcome == EnsureOutcome.Created)
                {
                    log.Information("slot {Slot}: root disk {Disk} made on base image {Sha256} ({Elapsed:F0} ms)", slot.Name, result.RootDisk,
                        result.Base!.Sha256, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
            catch (DiskProvisioningException e)
            {
                log.Error("slot {Slot}: {Code}: {Message}; the slot is not usable until it is reimaged or the service restarted", slot.Name, DiskFindings.CodeOf(e), e.Message);
                States[slot.Name].Replace(FindingSource.Disk, [.. States[slot.Name].Current.DiskFindings, DiskFindings.For(slot.Name, e)]);
            }
            catch (SlotRuntimeException e)
            {
                // The slot's lock is held by another process (an operator's reimage): leave the disk to it.
                log.Error("slot {Slot}: root disk not checked: {Message}", slot.Name, e.Message);
                States[slot.Name].Replace(FindingSource.Disk, [.. States[slot.Name].Current.DiskFindings,
                    new ValidationFinding(FindingCodes.DiskProvisionFailed, FindingSeverity.Error, slot.Name, null, "the slot's lock", "held", e.Message)]);
            }
        }
    }

    /// <summary>
    /// Read-only: one connection, each domain compared (a missing one is no finding). Provisioning: the hypervisor of
    /// the slots that passed their bindings (disk problems keep the domain, so a reimage can fix them while it runs); it
    /// reconciles now and after every reconnect, each result written to the slot's state.
    /// </summary>
    private async Task CheckDomainsAsync(List<Slot> slots, bool provision, Serilog.ILogger log, Func<DomainRenderOptions, DomainRenderOptions>? adjustRendering,
        CancellationToken cancellationToken)
    {
        var host = Site.Host;
        var rendering = NodeComposer.RenderOptions(host);
        var options = new LibvirtHypervisorOptions(host.LibvirtUri, adjustRendering?.Invoke(rendering) ?? rendering);
        if (!provision)
        {
            try
            {
                foreach (var result in LibvirtHypervisor.Check(options, slots, Placement))
                {
                    States[result.SlotName].Reconciled(result, DateTimeOffset.UtcNow);
                }
            }
            catch (SlotRuntimeException e) when (e.Kind == SlotRuntimeErrorKind.Unavailable)
            {
                slots.ForEach(s => States[s.Name].DomainUnknown(host.LibvirtUri, e.Message));
            }
            return;
        }
        NodeComposer.EnsureSerialLogDirectory(host, log);
        Hypervisor = new LibvirtHypervisor(options, slots, Placement, Serializer, States);
        try
        {
            foreach (var result in await Hypervisor.StartAsync(cancellationToken))
            {
                NodeComposer.LogReconcile(log, result);
            }
            await ApplyPowerRestoreAsync(slots, log, cancellationToken);
        }
        catch (SlotRuntimeException e) when (e.Kind == SlotRuntimeErrorKind.Unavailable)
        {
            log.Warning("libvirt at {Uri} is not reachable ({Reason}); serving anyway, reconnecting in the background", host.LibvirtUri, e.Message);
        }
    }

    /// <summary>Serve: a usable slot found Off whose PowerRestorePolicy is AlwaysOn is powered on (the others are left as they are).</summary>
    private async Task ApplyPowerRestoreAsync(List<Slot> slots, Serilog.ILogger log, CancellationToken cancellationToken)
    {
        foreach (var slot in slots.Where(s => States[s.Name].Current.Usable))
        {
            if (Hypervisor!.FindSlot(slot.Name) is not { } runtime)
            {
                continue;
            }
            try
            {
                if (runtime.PowerState == PowerState.Off && await runtime.GetPowerRestorePolicyAsync(cancellationToken) == PowerRestorePolicy.AlwaysOn)
                {
                    await runtime.ResetAsync(ResetType.On, cancellationToken);
                    log.Information("slot {Slot}: powered on at start (PowerRestorePolicy AlwaysOn)", slot.Name);
                }
            }
            catch (SlotRuntimeException e)
            {
                log.Warning("slot {Slot}: PowerRestorePolicy not applied: {Message}", slot.Name, e.Message);
            }
        }
    }

    private static void Log(Serilog.ILogger log, ValidationFinding finding) =>
        log.Write(finding.Severity == FindingSeverity.Error ? Serilog.Events.LogEventLevel.Error : Serilog.Events.LogEventLevel.Warning,
            "slot {Slot}: {Code} {Device}: {Message}", finding.Slot, finding.Code, finding.Device ?? "-", finding.Message);

    private static string? Hex(int? id) => id is { } v ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"0x{v:x4}") : null;

    public async ValueTask DisposeAsync()
    {
        if (Hypervisor is not null)
        {
            await Hypervisor.DisposeAsync();
        }
    }
}
