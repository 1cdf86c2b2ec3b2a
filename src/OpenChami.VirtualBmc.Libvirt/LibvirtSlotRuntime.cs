using System.Xml.Linq;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.Slots.State;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>One slot's VM on libvirt. Created by <see cref="LibvirtHypervisor"/>.</summary>
internal sealed class LibvirtSlotRuntime : ISlotRuntime
{
    private readonly LibvirtHypervisor _hypervisor;
    private int _state = (int)PowerState.Off;

    internal LibvirtSlotRuntime(LibvirtHypervisor hypervisor, Slot slot, string domainName, SlotState state)
    {
        _hypervisor = hypervisor;
        Slot = slot;
        DomainName = domainName;
        State = state;
    }

    /// <summary>The slot's state (its one owner is the core): reconcile results go there; actions ask it first.</summary>
    internal SlotState State { get; }

    public string SlotName => Slot.Name;

    /// <summary>
    /// libvirt's test driver has no UpdateDevice: media are recorded in the domain's persistent definition (DefineXML)
    /// and reach the VM at its next start. Elsewhere (QEMU) the CD-ROM changes live and in the definition.
    /// </summary>
    public MediaChange MediaChange => OnTestDriver ? MediaChange.NextStart : MediaChange.Live;

    /// <summary>libvirt's test driver: no QEMU, no NVRAM, no live device changes.</summary>
    private bool OnTestDriver => _hypervisor.Uri.StartsWith("test:", StringComparison.Ordinal);

    public PowerState PowerState => (PowerState)Volatile.Read(ref _state);

    public event EventHandler<SlotEventArgs>? StateChanged;

    internal Slot Slot { get; }

    internal string DomainName { get; }

    internal Guid Uuid => Slot.Identity.Uuid;

    /// <summary>A Once boot override waits for the next start (saves a metadata read on every Started event).</summary>
    internal volatile bool OncePending;

    /// <summary>The run id of the domain when the pending Once override was set (uint.MaxValue: it was off).</summary>
    internal uint OnceSetDuringRun = uint.MaxValue;

    /// <summary>
    /// The boot override as last read or written under this slot's turn (null: unknown, read from libvirt by the next
    /// caller), so reads of the ComputerSystem do not call libvirt. Filled only inside <c>RunSlotAsync</c> bodies, which
    /// the per-slot serializer orders with every change; forgotten on reconciliation, resync and Defined/Undefined events.
    /// </summary>
    private volatile BootOverride? _boot;

    internal void ForgetBootOverride()
    {
        _boot = null;
        _order = null;
        _policy = null;
    }

    /// <summary>The persistent boot order as last read or written; kept like <see cref="_boot"/>, from the same metadata.</summary>
    private volatile IReadOnlyList<BootSource>? _order;

    public IReadOnlyList<BootSource>? KnownBootOrder => _order;

    private PowerRestorePolicy? _policy;

    public PowerRestorePolicy? KnownPowerRestorePolicy => _policy;

    public Task<PowerRestorePolicy> GetPowerRestorePolicyAsync(CancellationToken cancellationToken = default) =>
        State.Current.DomainActionable && _policy is { } known
            ? Task.FromResult(known)
            : _hypervisor.RunSlotAsync(this, "read power restore policy", (_, dom) =>
                (_policy = DomainXml.ParsePolicy(dom.GetMetadata(DomainXml.PolicyNamespace))).Value, cancellationToken);

    public Task SetPowerRestorePolicyAsync(PowerRestorePolicy policy, CancellationToken cancellationToken = default) =>
        _hypervisor.RunSlotAsync(this, "set power restore policy", (_, dom) =>
        {
            _policy = null;
            dom.SetMetadata(DomainXml.PolicyElement(policy), DomainXml.PolicyKey, DomainXml.PolicyNamespace);
            _policy = policy;
            return true;
        }, cancellationToken);

    public BootOverride? KnownBootOverride => _boot;

    /// <summary>Only a reconciled domain of ours is touched: Unavailable until the reconcile, Conflict when it is not ours.</summary>
    internal void EnsureActionable()
    {
        var state = State.Current;
        switch (state.Domain)
        {
            case DomainStatus.Ours:
                return;
            case DomainStatus.Unknown:
                throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable, $"slot {SlotName}: its domain is not reconciled yet (libvirt at {_hypervisor.Uri} not reached)");
            default:
                throw new SlotRuntimeException(SlotRuntimeErrorKind.Conflict,
                    $"slot {SlotName}: its domain is not this service's to act on: {string.Join("; ", state.DomainFindings.Select(f => f.Message))}");
        }
    }

    internal void Observe(PowerState state)
    {
        if (Interlocked.Exchange(ref _state, (int)state) != (int)state)
        {
            Raise(SlotEventKind.PowerStateChanged);
        }
    }

    internal void Raise(SlotEventKind kind)
    {
        try
        {
            StateChanged?.Invoke(this, new SlotEventArgs(SlotName, kind, PowerState));
        }
#pragma warning disable CA1031 // a subscriber's bug must not stop event delivery
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    public async Task ResetAsync(ResetType type, CancellationToken cancellationToken = default)
    {
        var state = await _hypervisor.RunSlotAsync(this, $"reset {type}", (conn, dom) =>
        {
            var before = PowerStateMapping.FromDomainState(dom.GetState().State);
            var operations = ResetPlan.For(type, before);
            if (type == ResetType.ForceRestart && before != PowerState.Off && (BootConfigPending(dom) || FirmwareChangePending(dom)))
            {
                // A hard reset keeps the running configuration (and firmware); a changed boot order or secure boot, or an
                // HTTP boot URI for the firmware, needs a cold start.
                operations = [PowerOperation.Destroy, PowerOperation.Start];
            }
            foreach (var operation in operations)
            {
                Apply(conn, dom, operation);
            }
            return dom.GetState().State;
        }, cancellationToken).ConfigureAwait(false);
        Observe(PowerStateMapping.FromDomainState(state));
    }

    private void Apply(LibvirtConnection conn, LibvirtDomain dom, PowerOperation operation)
    {
        switch (operation)
        {
            case PowerOperation.Start:
                EnsureRootDisk();
                StartWithFirmware(conn, dom);
                RevertOnceOverride(conn, dom);
                break;
            case PowerOperation.Destroy:
                dom.Destroy();
                break;
            case PowerOperation.Shutdown:
                dom.Shutdown();
                break;
            case PowerOperation.Reboot:
                dom.Reboot();
                break;
            case PowerOperation.Reset:
                dom.Reset();
                break;
            case PowerOperation.InjectNmi:
                dom.InjectNmi();
                break;
            default:
                throw new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported, $"operation {operation} is not supported");
        }
    }

    /// <summary>
    /// A slot with an image whose root disk was deleted (delete-state) is not started: the guest would find no disk, and
    /// QEMU would fail with a less helpful message (libvirt's test driver would not fail at all). Reimage gives it one.
    /// </summary>
    private void EnsureRootDisk()
    {
        if (_hypervisor.DomainOptions.StateDirectory is { } state && Slot.Image is not null
            && !File.Exists(OpenChami.VirtualBmc.Slots.Images.SlotStorage.For(state, SlotName).RootDisk))
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.NotProvisioned,
                $"slot {SlotName} has no root disk (its state was deleted); reimage it to give it a fresh one (openchami-vbmc slot reimage, or the OpenCHAMIComputerSystem.Reimage action)");
        }
    }

    /// <summary>
    /// libvirt makes a UEFI slot's NVRAM file at its first start but not the directory it is in (the slot's state
    /// directory, which a diskless slot has no other reason to have); group-readable like the provisioner's, for QEMU.
    /// </summary>
    private static void EnsureNvramDirectory(string? nvram)
    {
        if (nvram is not null && Path.GetDirectoryName(nvram) is { } directory)
        {
            try
            {
                Directory.CreateDirectory(directory, OpenChami.VirtualBmc.Slots.Images.SlotStorage.DirectoryMode);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SlotRuntimeException(SlotRuntimeErrorKind.Failed, $"cannot make the directory of the VM's NVRAM {nvram}: {e.Message}", e);
            }
        }
    }

    /// <summary>The secure boot the slot's next power-on uses: the template's pin, else the operator's choice, else off.</summary>
    private bool EffectiveSecureBoot(SlotMetadata? metadata) =>
        Slot.Template.Firmware == Firmware.Uefi && (Slot.Template.SecureBoot ?? metadata?.SecureBoot ?? false);

    /// <summary>Secure boot changed since the VM's NVRAM was last created at a start through the BMC.</summary>
    private bool SecureBootPending(SlotMetadata? metadata) =>
        metadata is not null && Slot.Template.Firmware == Firmware.Uefi && (metadata.NvramSecureBoot ?? false) != EffectiveSecureBoot(metadata);

    /// <summary>The next start must go through the firmware: a secure-boot change, or an HTTP boot URI to hand over.</summary>
    private bool FirmwareChangePending(LibvirtDomain dom)
    {
        var metadata = DomainXml.ParseMetadata(dom.GetMetadata(DomainXml.MetadataNamespace));
        return SecureBootPending(metadata) || (!OnTestDriver && HttpBootUri(metadata) is not null);
    }

    /// <summary>
    /// Starts the VM. When secure boot changed since its NVRAM was last created, the NVRAM is recreated from the matching
    /// firmware's template (VIR_DOMAIN_START_RESET_NVRAM; the enrolled keys and variables of the other build would not
    /// fit), except on libvirt's test driver, which has no NVRAM and refuses the flag; then the metadata records it.
    /// </summary>
    private void StartWithFirmware(LibvirtConnection conn, LibvirtDomain dom)
    {
        var metadata = DomainXml.ParseMetadata(dom.GetMetadata(DomainXml.MetadataNamespace));
        var pending = SecureBootPending(metadata);
        var nvram = DomainXml.NvramOf(XDocument.Parse(dom.GetXmlDesc(inactive: true)));
        EnsureNvramDirectory(nvram);
        if (!OnTestDriver && HttpBootUri(metadata) is { } uri)
        {
            HandHttpBootUriToFirmware(dom, nvram, uri, resetNvram: pending);
            dom.Create();
        }
        else if (pending && !OnTestDriver)
        {
            dom.Create(LibvirtDomain.StartResetNvram);
        }
        else
        {
            dom.Create();
        }
        if (pending)
        {
            Redefine(conn, dom, metadata! with { NvramSecureBoot = EffectiveSecureBoot(metadata) });
        }
    }

    /// <summary>The URI of an active UefiHttp override on a UEFI slot, which the next power-on hands to the firmware.</summary>
    private string? HttpBootUri(SlotMetadata? metadata) =>
        Slot.Template.Firmware == Firmware.Uefi && metadata?.BootOverride is { Target: BootSource.UefiHttp, HttpBootUri: { Length: > 0 } uri }
            ? uri
            : null;

    /// <summary>
    /// Writes the HTTP boot URI into the VM's NVRAM as the boot option its firmware takes next (BootNext, consumed by that
    /// one boot). The domain is off. libvirt picks the firmware, and makes the NVRAM from its variable template, only at a
    /// start: when the file is missing, a secure-boot change needs it recreated, or this service may not rewrite it, the
    /// domain is started paused (no vCPU runs) and destroyed, and a file libvirt made for another owner is replaced by a
    /// copy of the same template.
    /// </summary>
    private void HandHttpBootUriToFirmware(LibvirtDomain dom, string? nvram, string uri, bool resetNvram)
    {
        if (nvram is null)
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported,
                $"slot {SlotName}: its domain names no NVRAM file, so the HTTP boot URI cannot be handed to its firmware (the service gives it one at start-up when stateDirectory is set)");
        }
        try
        {
            if (resetNvram || !CanRewrite(nvram))
            {
                dom.Create(LibvirtDomain.StartPaused | (resetNvram ? LibvirtDomain.StartResetNvram : 0));
                string? template;
                try
                {
                    template = DomainXml.NvramTemplateOf(XDocument.Parse(dom.GetXmlDesc()));
                }
                finally
                {
                    dom.Destroy();
                }
                if (!CanRewrite(nvram))
                {
                    if (template is null)
                    {
                        throw new SlotRuntimeException(SlotRuntimeErrorKind.Failed, $"slot {SlotName}: libvirt named no NVRAM template for its firmware");
                    }
                    ReplaceFile(nvram, File.ReadAllBytes(template));
                }
            }
            var store = EfiVariableStore.Parse(File.ReadAllBytes(nvram));
            store.SetHttpBootNext(uri);
            ReplaceFile(nvram, store.ToArray());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.Failed, $"slot {SlotName}: cannot hand the HTTP boot URI to its firmware through {nvram}: {e.Message}", e);
        }
    }

    private static bool CanRewrite(string path)
    {
        try
        {
            using var _ = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whole-file replace through a temporary file and a rename, so a crash leaves the old NVRAM or the new one.</summary>
    private static void ReplaceFile(string path, byte[] content)
    {
        var temporary = path + ".new";
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>From the domain's metadata and running definition; a BIOS slot has none (always off).</summary>
    public Task<SecureBootState> GetSecureBootAsync(CancellationToken cancellationToken = default) =>
        _hypervisor.RunSlotAsync(this, "read secure boot", (_, dom) =>
        {
            var metadata = DomainXml.ParseMetadata(dom.GetMetadata(DomainXml.MetadataNamespace));
            var running = dom.GetState().State is not (DomainRunState.ShutOff or DomainRunState.Crashed);
            var current = running && Slot.Template.Firmware == Firmware.Uefi && DomainXml.FirmwareOf(XDocument.Parse(dom.GetXmlDesc())).SecureBoot;
            return new SecureBootState(EffectiveSecureBoot(metadata), current, Slot.Template.SecureBoot is not null);
        }, cancellationToken);

    public Task SetSecureBootAsync(bool enabled, CancellationToken cancellationToken = default)
    {
        if (Slot.Template.Firmware != Firmware.Uefi)
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported, $"slot {SlotName} boots BIOS firmware, which has no secure boot");
        }
        if (Slot.Template.SecureBoot is { } pinned)
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported,
                $"slot {SlotName}: its template pins secureBoot: {(pinned ? "enabled" : "disabled")}; change the node type to change it");
        }
        return _hypervisor.RunSlotAsync(this, "set secure boot", (conn, dom) =>
        {
            var metadata = OurMetadata(dom);
            Redefine(conn, dom, metadata with { SecureBoot = enabled });
            return true;
        }, cancellationToken);
    }

    /// <summary>The next start would boot differently: a changed boot order or boot menu, or media recorded for the next start.</summary>
    private static bool BootConfigPending(LibvirtDomain dom)
    {
        static string Order(XDocument xml) =>
            string.Join(",", xml.Root?.Element("os")?.Elements("boot").Select(b => b.Attribute("dev")?.Value) ?? [])
            + "|" + DomainXml.FirmwareOf(xml).Settings;
        var live = XDocument.Parse(dom.GetXmlDesc());
        var persistent = XDocument.Parse(dom.GetXmlDesc(inactive: true));
        return Order(live) != Order(persistent) || VirtualMedia.Inserted(live) != VirtualMedia.Inserted(persistent);
    }

    /// <summary>After a start that used a Once override, the persistent config goes back to the default boot order.</summary>
    private bool RevertOnceOverride(LibvirtConnection conn, LibvirtDomain dom)
    {
        var metadata = DomainXml.ParseMetadata(dom.GetMetadata(DomainXml.MetadataNamespace));
        if (metadata?.BootOverride is not { Enabled: BootOverrideEnabled.Once })
        {
            OncePending = false;
            return false;
        }
        // Unknown while the definition changes: a read meanwhile goes to libvirt, queued behind this revert, instead of
        // answering the override the definition no longer has.
        _boot = null;
        Redefine(conn, dom, metadata with { BootOverride = null });
        _boot = BootOverride.Default(DomainXml.BootModeOf(Slot));
        OncePending = false;
        return true;
    }

    internal async Task RevertOnceOverrideQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _hypervisor.RunSlotAsync(this, "revert boot override", RevertOnceOverride, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SlotRuntimeException or OperationCanceledException or ObjectDisposedException)
        {
            // Best effort for starts made outside the BMC; the next start through the BMC reverts it too.
        }
    }

    /// <summary>
    /// Redefines the persistent domain as <paramref name="wanted"/> says: its boot override and order in &lt;os&gt;&lt;boot&gt;,
    /// the operator's secure boot (the template's pin stays as rendered), and the metadata itself; the rest of the
    /// definition is kept.
    /// </summary>
    private void Redefine(LibvirtConnection conn, LibvirtDomain dom, SlotMetadata wanted)
    {
        var xml = XDocument.Parse(dom.GetXmlDesc(inactive: true));
        DomainXml.SetBootOrder(xml, wanted.BootOverride, wanted.BootOrder);
        if (Slot.Template is { Firmware: Firmware.Uefi, SecureBoot: null } && wanted.SecureBoot is { } secure)
        {
            DomainXml.SetSecureBoot(xml.Root!, secure);
        }
        DomainXml.SetMetadata(xml, DomainXml.Metadata(wanted));
        using var _ = conn.Define(xml.ToString(SaveOptions.DisableFormatting));
    }

    private SlotMetadata OurMetadata(LibvirtDomain dom) =>
        DomainXml.ParseMetadata(dom.GetMetadata(DomainXml.MetadataNamespace))
            ?? throw new SlotRuntimeException(SlotRuntimeErrorKind.Conflict, $"slot {SlotName}: its domain lost our metadata");

    /// <summary>From the cache when known (no libvirt call); otherwise read from the domain's metadata with the override.</summary>
    public Task<IReadOnlyList<BootSource>> GetBootOrderAsync(CancellationToken cancellationToken = default)
    {
        if (State.Current.DomainActionable && _order is { } cached)
        {
            return Task.FromResult(cached);
        }
        return _hypervisor.RunSlotAsync(this, "read boot order", (_, dom) =>
        {
            var metadata = DomainXml.ParseMetadata(dom.GetMetadata(DomainXml.MetadataNamespace));
            _boot = metadata?.BootOverride ?? BootOverride.Default(DomainXml.BootModeOf(Slot));
            return _order = metadata?.BootOrder ?? BootOrder.Default;
        }, cancellationToken);
    }

    public Task SetBootOrderAsync(IReadOnlyList<BootSource> order, CancellationToken cancellationToken = default)
    {
        if (BootOrder.Problem(order) is { } problem)
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported, $"slot {SlotName}: {problem}");
        }
        IReadOnlyList<BootSource> copy = [.. order];
        return _hypervisor.RunSlotAsync(this, "set boot order", (conn, dom) =>
        {
            var metadata = OurMetadata(dom);
            _order = null; // unknown if the redefinition fails half-way
            Redefine(conn, dom, metadata with { BootOrder = copy });
            _order = copy;
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Current: the running VM's definition (libvirt fills in the loader it chose at start); off, the persistent one.
    /// NextStart: the persistent definition.
    /// </summary>
    public Task<FirmwareView> GetFirmwareAsync(FirmwareDefinition definition, CancellationToken cancellationToken = default) =>
        _hypervisor.RunSlotAsync(this, "read firmware", (_, dom) =>
            DomainXml.FirmwareOf(XDocument.Parse(dom.GetXmlDesc(inactive: definition == FirmwareDefinition.NextStart))), cancellationToken);

    public Task SetFirmwareSettingsAsync(FirmwareSettings settings, CancellationToken cancellationToken = default)
    {
        if (settings.BootMenuTimeoutSeconds is < 0 or > FirmwareSettings.MaxBootMenuTimeoutSeconds || (!settings.BootMenu && settings.BootMenuTimeoutSeconds != 0))
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported, $"slot {SlotName}: boot menu settings {settings} cannot be applied");
        }
        return _hypervisor.RunSlotAsync(this, "set firmware settings", (conn, dom) =>
        {
            OurMetadata(dom);
            var xml = XDocument.Parse(dom.GetXmlDesc(inactive: true));
            DomainXml.SetFirmwareSettings(xml, settings);
            using var _ = conn.Define(xml.ToString(SaveOptions.DisableFormatting));
            return true;
        }, cancellationToken);
    }

    /// <summary>From the cache when known (no libvirt call); otherwise read from the domain's metadata and remembered.</summary>
    public Task<BootOverride> GetBootOverrideAsync(CancellationToken cancellationToken = default)
    {
        if (State.Current.DomainActionable && _boot is { } cached)
        {
            return Task.FromResult(cached);
        }
        return _hypervisor.RunSlotAsync(this, "read boot override", (_, dom) =>
        {
            var metadata = DomainXml.ParseMetadata(dom.GetMetadata(DomainXml.MetadataNamespace));
            _order = metadata?.BootOrder ?? BootOrder.Default;
            return _boot = metadata?.BootOverride ?? BootOverride.Default(DomainXml.BootModeOf(Slot));
        }, cancellationToken);
    }

    public Task SetBootOverrideAsync(BootOverride value, CancellationToken cancellationToken = default)
    {
        var mode = DomainXml.BootModeOf(Slot);
        if (value.Mode != mode)
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported,
                $"slot {SlotName} boots {mode} firmware; BootSourceOverrideMode {value.Mode} is not supported");
        }
        if (value.Target == BootSource.UefiHttp && mode != BootMode.Uefi)
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported, $"slot {SlotName}: UefiHttp needs UEFI firmware");
        }
        var effective = value.IsActive ? value : null;
        return _hypervisor.RunSlotAsync(this, "set boot override", (conn, dom) =>
        {
            var metadata = OurMetadata(dom);
            _boot = null; // unknown if the redefinition fails half-way
            Redefine(conn, dom, metadata with { BootOverride = effective });
            _boot = effective ?? BootOverride.Default(mode);
            OnceSetDuringRun = dom.RunId;
            OncePending = effective?.Enabled == BootOverrideEnabled.Once;
            return true;
        }, cancellationToken);
    }

    /// <summary>Live: what the VM has; NextStart: what is recorded for its next start (the persistent definition).</summary>
    public Task<string?> GetInsertedMediaAsync(CancellationToken cancellationToken = default) =>
        _hypervisor.RunSlotAsync(this, "read virtual media",
            (_, dom) => VirtualMedia.Inserted(XDocument.Parse(dom.GetXmlDesc(inactive: MediaChange == MediaChange.NextStart))), cancellationToken);

    public Task InsertMediaAsync(string image, CancellationToken cancellationToken = default)
    {
        var disk = VirtualMedia.CdromXml(image);
        return UpdateCdromAsync(disk, "insert virtual media", cancellationToken);
    }

    public Task EjectMediaAsync(CancellationToken cancellationToken = default) =>
        UpdateCdromAsync(VirtualMedia.CdromXml(null), "eject virtual media", cancellationToken);

    private async Task UpdateCdromAsync(XElement disk, string what, CancellationToken cancellationToken)
    {
        try
        {
            await _hypervisor.RunSlotAsync(this, what, (conn, dom) =>
            {
                if (MediaChange == MediaChange.NextStart)
                {
                    // The persistent definition with the CD-ROM changed (the metadata and everything else kept); the
                    // drift check compares only that the CD-ROM is there, so this is not drift.
                    var xml = XDocument.Parse(dom.GetXmlDesc(inactive: true));
                    VirtualMedia.Record(xml, disk);
                    using var _ = conn.Define(xml.ToString(SaveOptions.DisableFormatting));
                    return true;
                }
                var running = dom.GetState().State is not (DomainRunState.ShutOff or DomainRunState.Crashed);
                dom.UpdateDevice(disk.ToString(SaveOptions.DisableFormatting),
                    LibvirtDomain.AffectConfig | (running ? LibvirtDomain.AffectLive : 0));
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (SlotRuntimeException e) when (e.Kind == SlotRuntimeErrorKind.NotSupported && e.InnerException is LibvirtException { Code: LibvirtErrorCode.NoSupport })
        {
            throw new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported,
                $"slot {SlotName}: virtual media is not available on this libvirt driver ({_hypervisor.Connections.Uri}): it cannot change a CD-ROM (virDomainUpdateDeviceFlags)",
                e.InnerException);
        }
    }
}
