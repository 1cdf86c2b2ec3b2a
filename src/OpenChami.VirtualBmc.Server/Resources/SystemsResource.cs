using System.Runtime.CompilerServices;
using System.Text.Json;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.Slots.State;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>/redfish/v1/Systems, the ComputerSystem of each slot (Id = slot name), its Reset action and Boot PATCH.</summary>
public static class SystemsResource
{
    public static readonly IReadOnlyList<string> ResetTypes = Enum.GetNames<ResetType>();
    public static readonly IReadOnlyList<string> OverrideEnabledValues = Enum.GetNames<BootOverrideEnabled>();

    public static ResourceCollection Collection(EndpointScope scope) =>
        ResourceCollection.Of(Paths.Systems, "#ComputerSystemCollection.ComputerSystemCollection", "Computer System Collection",
            scope.Slots.Select(s => Paths.System(s.Name)));

    public static ComputerSystem Build(NodeType nodeType, SlotContext slot, BootOverride boot) => Build(nodeType, slot, boot, slot.PowerState);

    public static ComputerSystem Build(NodeType nodeType, SlotContext slot, BootOverride boot, PowerState power, PowerRestorePolicy? policy = null, IReadOnlyList<BootSource>? order = null)
    {
        var s = slot.Slot;
        var id = s.Name;
        var firmware = s.Template.Firmware;
        return new ComputerSystem(
            Paths.System(id),
            "#ComputerSystem.v1_22_0.ComputerSystem",
            id,
            $"{nodeType.Name} {id}",
            $"VM slot {id} of node type {nodeType.Name}" + (s.Template.Profile is { } p ? $" (profile {p})" : ""),
            s.Host.SystemType.ToString(),
            "OpenCHAMI",
            s.Template.Profile ?? nodeType.Name,
            s.Identity.SerialNumber,
            s.Identity.Uuid.ToString(),
            $"vBMC {ServiceVersion.Text} {(firmware == Firmware.Uefi ? "UEFI" : "BIOS")}",
            power.ToString(),
            new Boot(
                boot.Enabled.ToString(),
                boot.Target.ToString(),
                BootModes.Of(boot.Mode),
                OverrideEnabledValues,
                AllowedTargets(firmware),
                [BootModes.Of(firmware)],
                firmware == Firmware.Uefi ? boot.HttpBootUri ?? "" : null)
            {
                WriteableProperties = firmware == Firmware.Uefi ? BootWriteableUefi : BootWriteable,
                BootOrder = (order ?? BootOrder.Default).Select(BootOptionsResource.Reference).ToList(),
                BootOptions = new ODataId(Paths.BootOptions(id)),
            },
            SystemInventoryResource.Summary(s.Template),
            new MemorySummary(s.Template.Memory.SizeGiB, Status.EnabledOk),
            Console.ConsoleAdvertisement.SerialConsole(slot),
            StatusOf(slot),
            new ODataId(Paths.SystemNics(id)),
            new ODataId(Paths.SystemMedia(id)),
            slot.Devices.Select(d => new ODataId(Paths.PCIeDevice(id, d.Binding.Name))).ToList(),
            slot.Devices.Count,
            new ComputerSystemLinks([new ODataId(Paths.ChassisMember(id))], [new ODataId(Paths.Manager)]),
            new ComputerSystemActions(new ResetAction(Paths.Reset(id), Paths.ResetActionInfo(id), ResetTypes), new ComputerSystemOemActions(
                new OemAction(Paths.OemAction(id, Paths.ReimageAction), "Reimage: power off, fresh root disk from the catalog image, identity kept (Administrator)"),
                new OemAction(Paths.OemAction(id, Paths.DeleteStateAction), "Delete state: power off, remove root disk and local seed (Administrator)")))
            {
                SetDefaultBootOrder = new ActionTarget(Paths.SetDefaultBootOrder(id)),
            },
            new SystemOem(new SystemOemOpenChami(
                "#OpenCHAMIComputerSystem.v1_0_0.OpenCHAMIComputerSystem",
                nodeType.Name,
                id,
                s.Template.Profile,
                s.Image,
                slot.Health.Usable,
                slot.Health.Findings.Select(f => new OemFinding(f.Code, f.Severity.ToString(), f.Device, f.Message)).ToList(),
                slot.HostPlacement.HostId)),
            new ODataId(Paths.Processors(id)), new ODataId(Paths.Memory(id)), new ODataId(Paths.Storage(id)), new ODataId(Paths.SimpleStorage(id)),
            policy?.ToString(),
            slot.LastResetTime?.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture))
        {
            LogServices = new ODataId(HostLoggerResource.LogServices(id)),
            Bios = new ODataId(Paths.Bios(id)),
            SecureBoot = s.Template.Firmware == Firmware.Uefi ? new ODataId(Paths.SecureBoot(id)) : null,
        };
    }

    public static IReadOnlyList<string> AllowedTargets(Firmware firmware) =>
        firmware == Firmware.Uefi ? ["None", "Pxe", "Hdd", "Cd", "UefiHttp"] : ["None", "Pxe", "Hdd", "Cd"];

    /// <summary>A slot that failed validation is present but UnavailableOffline/Critical, each finding a Condition.</summary>
    public static Status StatusOf(SlotContext slot) => slot.Health.Usable
        ? (slot.Health.Findings.Count == 0 ? Status.EnabledOk : new Status("Enabled", "Warning", Conditions(slot)))
        : new Status("UnavailableOffline", "Critical", Conditions(slot));

    private static List<Condition> Conditions(SlotContext slot) =>
        slot.Health.Findings.Select(f => new Condition(
            ValidationFindingMessageId,
            $"Host validation check {f.Code} failed for {(f.Device is null ? "the slot" : "device " + f.Device)}: {f.Message}",
            [f.Code, f.Device ?? "", f.Message],
            f.Severity == FindingSeverity.Error ? "Critical" : "Warning")).ToList();

    /// <summary>The project's OEM message for a validation finding (args: code, device, detail); see docs/redfish.md.</summary>
    public const string ValidationFindingMessageId = "OpenCHAMIVbmc.1.0.SlotValidationFinding";

    public static ActionInfo ResetActionInfo(string id) => new(
        Paths.ResetActionInfo(id), "#ActionInfo.v1_4_0.ActionInfo", "ResetActionInfo", "Reset Action Info",
        [new ActionParameter("ResetType", true, "String", ResetTypes)]);

    /// <summary>
    /// A slot's ComputerSystem as served: payload, bytes, ETag and schema link, made once per change of what it shows
    /// (power state, boot override, node type) and reused by every GET until then — reads neither call libvirt (the
    /// runtime caches both), nor serialize, nor hash.
    /// </summary>
    public sealed record Representation(PowerState Power, BootOverride Boot, NodeType NodeType, int Version, ComputerSystem Payload, byte[] Bytes, string ETag, string? DescribedBy)
    {
        public PowerRestorePolicy? Policy { get; init; }

        public IReadOnlyList<BootSource> Order { get; init; } = BootOrder.Default;

        public DateTimeOffset? LastReset { get; init; }
    }

    private static readonly ConditionalWeakTable<SlotContext, Representation> Representations = new();

    public static async Task<Representation> CurrentAsync(HttpContext context, SlotContext slot)
    {
        var power = slot.PowerState;
        // A usable slot's override is cached by the runtime; otherwise — or when libvirt went away under the call — what
        // was last known, without calling libvirt: reads answer while actions wait for the reconcile.
        var lastKnown = slot.Machine?.KnownBootOverride ?? BootOverride.Default(BootOverride.ModeOf(slot.Slot.Template.Firmware));
        BootOverride boot;
        try
        {
            boot = slot.Runtime is { } runtime ? await runtime.GetBootOverrideAsync(context.RequestAborted) : lastKnown;
        }
        catch (SlotRuntimeException e) when (!slot.Health.Usable || e.Kind == SlotRuntimeErrorKind.Unavailable)
        {
            boot = lastKnown;
        }
        PowerRestorePolicy? policy;
        try
        {
            policy = slot.Runtime is { } usable ? await usable.GetPowerRestorePolicyAsync(context.RequestAborted) : slot.Machine?.KnownPowerRestorePolicy;
        }
        catch (SlotRuntimeException e) when (!slot.Health.Usable || e.Kind == SlotRuntimeErrorKind.Unavailable)
        {
            policy = slot.Machine?.KnownPowerRestorePolicy;
        }
        IReadOnlyList<BootSource> order;
        try
        {
            order = slot.Runtime is { } usable ? await usable.GetBootOrderAsync(context.RequestAborted) : slot.Machine?.KnownBootOrder ?? BootOrder.Default;
        }
        catch (SlotRuntimeException e) when (!slot.Health.Usable || e.Kind == SlotRuntimeErrorKind.Unavailable)
        {
            order = slot.Machine?.KnownBootOrder ?? BootOrder.Default;
        }
        var nodeType = RequestScope.Node(context).Site.NodeType;
        var version = slot.Version;
        if (Representations.TryGetValue(slot, out var known) && known.Power == power && known.Boot == boot && ReferenceEquals(known.NodeType, nodeType) && known.Version == version
            && known.Policy == policy && known.LastReset == slot.LastResetTime && BootOrder.AreEqual(known.Order, order))
        {
            return known;
        }
        var payload = Build(nodeType, slot, boot, power, policy, order);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(payload, RedfishJsonContext.Wire.ComputerSystem);
        var made = new Representation(power, boot, nodeType, version, payload, bytes, RedfishResponses.ETagOf(bytes), RedfishResponses.DescribedBy(payload))
        {
            Policy = policy,
            LastReset = slot.LastResetTime,
            Order = order,
        };
        Representations.AddOrUpdate(slot, made);
        return made;
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        SystemInventoryResource.Map(app);
        BootOptionsResource.Map(app);
        BiosResource.Map(app);
        SecureBootResource.Map(app);
        app.MapRedfishGet(Paths.Systems, "ComputerSystemCollection", context =>
            RedfishResponses.WriteAsync(context, Collection(RequestScope.Of(context)), RedfishJsonContext.Wire.ResourceCollection));
        app.MapRedfishGet("/redfish/v1/Systems/{id}", "ComputerSystem", GetSystemAsync);
        app.MapRedfishPatch("/redfish/v1/Systems/{id}", "ComputerSystem", PatchSystemAsync);
        app.MapRedfishGet("/redfish/v1/Systems/{id}/ResetActionInfo", "ActionInfo", context => SlotRequests.ReadAsync(context, "ActionInfo", slot =>
            RedfishResponses.WriteAsync(context, ResetActionInfo(slot.Name), RedfishJsonContext.Wire.ActionInfo)));
        app.MapRedfishPost("/redfish/v1/Systems/{id}/Actions/ComputerSystem.Reset", "ComputerSystem", ResetAsync);
        app.MapRedfishPost("/redfish/v1/Systems/{id}/Actions/ComputerSystem.SetDefaultBootOrder", "ComputerSystem", context =>
            SlotRequests.WriteAsync(context, SetDefaultBootOrder, async request =>
            {
                await request.Machine.SetBootOrderAsync(BootOrder.Default, request.Aborted);
                RedfishResponses.NoContent(context);
            }));
        // Administrator only: a reimage or delete-state destroys the slot's disk, which the registry's ComputerSystem
        // POST privilege (ConfigureComponents, which Operators hold for power control) should not reach.
        app.MapRedfishAdministratorPost("/redfish/v1/Systems/{id}/Actions/Oem/" + Paths.ReimageAction, "ComputerSystem", context =>
            DiskActionAsync(context, Paths.ReimageAction, ReimageAsync));
        app.MapRedfishAdministratorPost("/redfish/v1/Systems/{id}/Actions/Oem/" + Paths.DeleteStateAction, "ComputerSystem", context =>
            DiskActionAsync(context, Paths.DeleteStateAction, DeleteStateAsync));
    }

    private static Task GetSystemAsync(HttpContext context) =>
        SlotRequests.ReadAsync(context, "ComputerSystem", async slot =>
        {
            var current = await CurrentAsync(context, slot);
            await RedfishResponses.WriteSerializedAsync(context, current.Bytes, current.ETag, current.DescribedBy);
        });

    private static readonly string[] BootWriteable = ["BootSourceOverrideEnabled", "BootSourceOverrideTarget", "BootSourceOverrideMode", "BootOrder"];

    private static readonly SlotWrite SetDefaultBootOrder = new("ComputerSystem.SetDefaultBootOrder", "ComputerSystem", BodyKind.OptionalAction, []);
    private static readonly string[] BootWriteableUefi = [.. BootWriteable, "HttpBootUri"];

    private static readonly SlotWrite PatchSystem = new("ComputerSystem", "ComputerSystem", BodyKind.Patch,
    [
        new("Boot", JsonValueKind.Object),
        new("PowerRestorePolicy", JsonValueKind.String, AllowedValues: Enum.GetNames<PowerRestorePolicy>()),
        .. new[]
        {
            "Id", "Name", "Description", "SystemType", "Manufacturer", "Model", "SerialNumber", "UUID", "BiosVersion", "PowerState",
            "ProcessorSummary", "MemorySummary", "SerialConsole", "Status", "EthernetInterfaces", "VirtualMedia", "PCIeDevices",
            "Links", "Actions", "Oem", "Processors", "Memory", "Storage", "SimpleStorage",
        }.Select(name => new BodyProperty(name, JsonValueKind.Undefined, Writable: false)),
    ])
    {
        Check = (body, slot) => body.TryGetProperty("Boot", out var boot) && boot.ValueKind == JsonValueKind.Object
            ? JsonBody.CheckPatch(boot,
            [
                new("BootSourceOverrideTarget", JsonValueKind.String, AllowedValues: AllowedTargets(slot.Slot.Template.Firmware)),
                new("BootSourceOverrideEnabled", JsonValueKind.String, AllowedValues: OverrideEnabledValues),
                new("BootSourceOverrideMode", JsonValueKind.String, AllowedValues: [BootModes.Of(slot.Slot.Template.Firmware)]),
                new("HttpBootUri", JsonValueKind.String, Writable: slot.Slot.Template.Firmware == Firmware.Uefi),
                new("BootOrder", JsonValueKind.Array),
                .. new[] { "BootOptions" }.Select(name => new BodyProperty(name, JsonValueKind.Undefined, Writable: false)),
            ], "Boot/").Concat(HttpBootUriProblems(boot)).Concat(BootOrderProblems(boot))
            : [],
    };

    /// <summary>BootOrder: references of the slot's boot options, each at most once, at least one.</summary>
    private static IEnumerable<RedfishMessage> BootOrderProblems(JsonElement boot)
    {
        if (!boot.TryGetProperty("BootOrder", out var order) || order.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }
        if (order.GetArrayLength() == 0)
        {
            yield return BaseMessages.ArraySizeTooShort("Boot/BootOrder", 1);
            yield break;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in order.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                yield return BaseMessages.PropertyValueTypeError(item.GetRawText(), "Boot/BootOrder");
            }
            else if (BootOptionsResource.DeviceOf(item.GetString()!) is null)
            {
                yield return BaseMessages.PropertyValueNotInList(item.GetString()!, "Boot/BootOrder");
            }
            else if (!seen.Add(item.GetString()!))
            {
                yield return BaseMessages.PropertyValueIncorrect("Boot/BootOrder", item.GetString()!);
            }
        }
    }

    /// <summary>HttpBootUri: empty (clears it) or an absolute http/https URI, which the guest's firmware fetches.</summary>
    private static IEnumerable<RedfishMessage> HttpBootUriProblems(JsonElement boot) =>
        boot.TryGetProperty("HttpBootUri", out var u) && u.ValueKind == JsonValueKind.String && u.GetString() is { Length: > 0 } text
            && !(Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0)
            ? [BaseMessages.PropertyValueFormatError(text, "Boot/HttpBootUri")]
            : [];

    private static Task PatchSystemAsync(HttpContext context) => SlotRequests.WriteAsync(context, PatchSystem, async request =>
    {
        if (request.Body.TryGetProperty("Boot", out var boot) && !await PatchBootAsync(context, request, boot))
        {
            return;
        }
        if (request.Body.TryGetProperty("PowerRestorePolicy", out var policy))
        {
            await request.Machine.SetPowerRestorePolicyAsync(Enum.Parse<PowerRestorePolicy>(policy.GetString()!), request.Aborted);
        }
        var after = await CurrentAsync(context, request.Slot);
        await RedfishResponses.WriteSerializedAsync(context, after.Bytes, after.ETag, after.DescribedBy);
    });

    /// <summary>The Boot part of a PATCH; false after answering an error.</summary>
    private static async Task<bool> PatchBootAsync(HttpContext context, SlotRequest request, JsonElement boot)
    {
        var current = await request.Machine.GetBootOverrideAsync(request.Aborted);
        var target = boot.TryGetProperty("BootSourceOverrideTarget", out var t) ? Enum.Parse<BootSource>(t.GetString()!) : current.Target;
        var uri = boot.TryGetProperty("HttpBootUri", out var u) ? u.GetString() is { Length: > 0 } given ? given : null : current.HttpBootUri;
        if (target != BootSource.UefiHttp && boot.TryGetProperty("HttpBootUri", out _) && uri is not null)
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.PropertyValueConflict("Boot/HttpBootUri", "Boot/BootSourceOverrideTarget"));
            return false;
        }
        if (boot.TryGetProperty("BootOrder", out var order))
        {
            await request.Machine.SetBootOrderAsync(order.EnumerateArray().Select(r => BootOptionsResource.DeviceOf(r.GetString()!)!.Value).ToList(), request.Aborted);
            if (!boot.EnumerateObject().Any(p => p.Name.StartsWith("BootSource", StringComparison.Ordinal) || p.Name == "HttpBootUri"))
            {
                return true; // only the order: the override stays as it is
            }
        }
        var wanted = current with
        {
            Target = target,
            Enabled = boot.TryGetProperty("BootSourceOverrideEnabled", out var e) ? Enum.Parse<BootOverrideEnabled>(e.GetString()!) : current.Enabled,
            // The URI belongs to UefiHttp: another target drops it.
            HttpBootUri = target == BootSource.UefiHttp ? uri : null,
        };
        await request.Machine.SetBootOverrideAsync(wanted, request.Aborted);
        return true;
    }

    private static readonly SlotWrite Reset = new("ComputerSystem.Reset", "ComputerSystem", BodyKind.Action,
        [new("ResetType", JsonValueKind.String, AllowedValues: ResetTypes, Required: true)]);

    private static Task ResetAsync(HttpContext context) => SlotRequests.WriteAsync(context, Reset, async request =>
    {
        var type = request.Body.GetProperty("ResetType").GetString()!;
        try
        {
            var reset = Enum.Parse<ResetType>(type);
            var wasOff = request.Machine.PowerState == PowerState.Off;
            await request.Machine.ResetAsync(reset, request.Aborted);
            // LastResetTime: a restart, or a power-on that found the slot off (On while on changes nothing).
            if (reset is ResetType.ForceRestart or ResetType.GracefulRestart or ResetType.PowerCycle || (wasOff && request.Machine.PowerState == PowerState.On))
            {
                request.Slot.MarkReset(DateTimeOffset.UtcNow);
            }
        }
        catch (SlotRuntimeException e) when (e.Kind == SlotRuntimeErrorKind.NotProvisioned)
        {
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, request.Slot, Reset.Name, ("ResetType", type)));
            return;
        }
        RedfishResponses.NoContent(context);
    });

    /// <summary>
    /// The OEM disk actions: an empty body (unknown parameters refused), If-Match like Reset, run to completion before
    /// the answer (a first download of a large base image makes the call slow; the service fetches the base images of
    /// its slots at start, so a reimage usually only revalidates and writes a 256 KiB overlay). 200 with Base Success.
    /// Only the domain must be ours: a reimage is how a slot whose disk failed becomes usable again.
    /// </summary>
    private static Task DiskActionAsync(HttpContext context, string action, Func<SlotDiskProvisioner, SlotContext, ISlotRuntime, CancellationToken, Task<string>> run) =>
        SlotRequests.WriteAsync(context, new SlotWrite(action, "ComputerSystem", BodyKind.Action, [], DomainOnly: true), async request =>
        {
            var audit = context.Features.Get<OpenChami.VirtualBmc.Server.Audit.AuditScope>();
            var log = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("OpenChami.VirtualBmc.Server.SlotDisks");
            if (RequestScope.Node(context).Disks is not { } disks)
            {
                await RedfishResponses.WriteErrorAsync(context, BaseMessages.ActionNotSupported(action));
                return;
            }
            string detail;
            try
            {
                detail = await run(disks, request.Slot, request.Machine, request.Aborted);
            }
            catch (Exception e) when (e is DiskProvisioningException or SlotRuntimeException)
            {
                log.LogError("slot {Slot}: {Action} failed: {Message}", request.Slot.Name, action, e.Message);
                audit?.Detail = e.Message;
                throw;
            }
            log.LogInformation("slot {Slot}: {Action}: {Detail}", request.Slot.Name, action, detail);
            audit?.Detail = detail;
            await RedfishResponses.WriteAsync(context, new ActionResult([BaseMessages.Success().ToInfo()]), RedfishJsonContext.Wire.ActionResult);
        });

    private static async Task<string> ReimageAsync(SlotDiskProvisioner disks, SlotContext slot, ISlotRuntime machine, CancellationToken cancellationToken)
    {
        var result = await disks.ReimageAsync(slot.Slot, machine, cancellationToken);
        // A fresh disk clears what was wrong with the old one; the slot may become usable without a restart.
        slot.State.Replace(FindingSource.Disk, []);
        return $"reimaged: {result.RootDisk} on base image {result.Base.Sha256} (was {result.PowerBefore}, now Off)"
            + (result.SeedProblem is { } problem ? $"; seed not rewritten: {problem}" : "");
    }

    private static async Task<string> DeleteStateAsync(SlotDiskProvisioner disks, SlotContext slot, ISlotRuntime machine, CancellationToken cancellationToken)
    {
        var result = await disks.DeleteStateAsync(slot.Slot, machine, cancellationToken);
        if (slot.Slot.Image is not null)
        {
            slot.State.Replace(FindingSource.Disk, [new ValidationFinding(FindingCodes.DiskMissing, FindingSeverity.Warning, slot.Name, null, "a root disk", "none",
                "the slot's state was deleted: it has no root disk and is not started until it is reimaged (or the service restarts and makes one)")]);
        }
        return $"deleted: {(result.Removed.Count == 0 ? "nothing (no state)" : string.Join(", ", result.Removed))} (was {result.PowerBefore}, now Off)";
    }
}
