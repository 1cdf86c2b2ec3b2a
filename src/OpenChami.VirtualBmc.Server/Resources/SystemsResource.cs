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

    public static ComputerSystem Build(NodeType nodeType, SlotContext slot, BootOverride boot, PowerState power)
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
            $"vBMC {Cli.Cli.VersionText} {(firmware == Firmware.Uefi ? "UEFI" : "BIOS")}",
            power.ToString(),
            new Boot(
                boot.Enabled.ToString(),
                boot.Target.ToString(),
                boot.Mode == BootMode.Uefi ? "UEFI" : "Legacy",
                OverrideEnabledValues,
                AllowedTargets(firmware),
                [firmware == Firmware.Uefi ? "UEFI" : "Legacy"]),
            new ProcessorSummary(1, s.Template.Cpu.Cores, s.Template.Cpu.Cores, "QEMU Virtual CPU", Status.EnabledOk),
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
                new OemAction(Paths.OemAction(id, Paths.DeleteStateAction), "Delete state: power off, remove root disk and local seed (Administrator)"))),
            new SystemOem(new SystemOemOpenChami(
                "#OpenCHAMIComputerSystem.v1_0_0.OpenCHAMIComputerSystem",
                nodeType.Name,
                id,
                s.Template.Profile,
                s.Image,
                slot.Health.Usable,
                slot.Health.Findings.Select(f => new OemFinding(f.Code, f.Severity, f.Device, f.Message)).ToList())))
        {
            LogServices = new ODataId(HostLoggerResource.LogServices(id)),
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
            f.Severity == "Error" ? "Critical" : "Warning")).ToList();

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
    public sealed record Representation(PowerState Power, BootOverride Boot, NodeType NodeType, int Version, ComputerSystem Payload, byte[] Bytes, string ETag, string? DescribedBy);

    private static readonly ConditionalWeakTable<SlotContext, Representation> Representations = new();

    public static async Task<Representation> CurrentAsync(HttpContext context, SlotContext slot)
    {
        var power = slot.PowerState;
        var boot = slot.Runtime is { } runtime
            ? await runtime.GetBootOverrideAsync(context.RequestAborted)
            : BootOverride.Default(slot.Slot.Template.Firmware == Firmware.Uefi ? BootMode.Uefi : BootMode.Legacy);
        var nodeType = RequestScope.Node(context).Site.NodeType;
        var version = slot.Version;
        if (Representations.TryGetValue(slot, out var known) && known.Power == power && known.Boot == boot && ReferenceEquals(known.NodeType, nodeType) && known.Version == version)
        {
            return known;
        }
        var payload = Build(nodeType, slot, boot, power);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(payload, RedfishJsonContext.Wire.ComputerSystem);
        var made = new Representation(power, boot, nodeType, version, payload, bytes, RedfishResponses.ETagOf(bytes), RedfishResponses.DescribedBy(payload));
        Representations.AddOrUpdate(slot, made);
        return made;
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet(Paths.Systems, "ComputerSystemCollection", context =>
            RedfishResponses.WriteAsync(context, Collection(RequestScope.Of(context)), RedfishJsonContext.Wire.ResourceCollection));
        app.MapRedfishGet("/redfish/v1/Systems/{id}", "ComputerSystem", GetSystemAsync);
        app.MapRedfishPatch("/redfish/v1/Systems/{id}", "ComputerSystem", PatchSystemAsync);
        app.MapRedfishGet("/redfish/v1/Systems/{id}/ResetActionInfo", "ActionInfo", async context =>
        {
            if (await RequestScope.SlotAsync(context, "ActionInfo") is { } slot)
            {
                await RedfishResponses.WriteAsync(context, ResetActionInfo(slot.Name), RedfishJsonContext.Wire.ActionInfo);
            }
        });
        app.MapRedfishPost("/redfish/v1/Systems/{id}/Actions/ComputerSystem.Reset", "ComputerSystem", ResetAsync);
        // Administrator only: a reimage or delete-state destroys the slot's disk, which the registry's ComputerSystem
        // POST privilege (ConfigureComponents, which Operators hold for power control) should not reach.
        app.MapRedfishAdministratorPost("/redfish/v1/Systems/{id}/Actions/Oem/" + Paths.ReimageAction, "ComputerSystem", context =>
            DiskActionAsync(context, Paths.ReimageAction, ReimageAsync));
        app.MapRedfishAdministratorPost("/redfish/v1/Systems/{id}/Actions/Oem/" + Paths.DeleteStateAction, "ComputerSystem", context =>
            DiskActionAsync(context, Paths.DeleteStateAction, DeleteStateAsync));
    }

    private static async Task GetSystemAsync(HttpContext context)
    {
        if (await RequestScope.SlotAsync(context, "ComputerSystem") is not { } slot)
        {
            return;
        }
        try
        {
            var current = await CurrentAsync(context, slot);
            await RedfishResponses.WriteSerializedAsync(context, current.Bytes, current.ETag, current.DescribedBy);
        }
        catch (SlotRuntimeException e)
        {
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, slot, "ComputerSystem"));
        }
    }

    private static readonly IReadOnlyList<BodyProperty> SystemProperties =
    [
        new("Boot", JsonValueKind.Object),
        .. new[]
        {
            "Id", "Name", "Description", "SystemType", "Manufacturer", "Model", "SerialNumber", "UUID", "BiosVersion", "PowerState",
            "ProcessorSummary", "MemorySummary", "SerialConsole", "Status", "EthernetInterfaces", "VirtualMedia", "PCIeDevices",
            "Links", "Actions", "Oem",
        }.Select(name => new BodyProperty(name, JsonValueKind.Undefined, Writable: false)),
    ];

    private static async Task PatchSystemAsync(HttpContext context)
    {
        if (await RequestScope.SlotAsync(context, "ComputerSystem") is not { } slot)
        {
            return;
        }
        var document = await JsonBody.ReadOrAnswerAsync(context);
        if (document is null)
        {
            return;
        }
        using (document)
        {
            var body = document!.RootElement;
            var firmware = slot.Slot.Template.Firmware;
            var bootProperties = new List<BodyProperty>
            {
                new("BootSourceOverrideTarget", JsonValueKind.String, AllowedValues: AllowedTargets(firmware)),
                new("BootSourceOverrideEnabled", JsonValueKind.String, AllowedValues: OverrideEnabledValues),
                new("BootSourceOverrideMode", JsonValueKind.String, AllowedValues: [firmware == Firmware.Uefi ? "UEFI" : "Legacy"]),
            };
            var problems = JsonBody.CheckPatch(body, SystemProperties);
            if (body.TryGetProperty("Boot", out var boot) && boot.ValueKind == JsonValueKind.Object)
            {
                problems.AddRange(JsonBody.CheckPatch(boot, bootProperties, "Boot/"));
            }
            if (problems.Count > 0)
            {
                await RedfishResponses.WriteErrorAsync(context, problems);
                return;
            }
            if (slot.Runtime is not { } runtime)
            {
                await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.SlotUnusable(slot));
                return;
            }
            try
            {
                if (!await IfMatchHoldsOrAnswerAsync(context, slot))
                {
                    return;
                }
                var current = await runtime.GetBootOverrideAsync(context.RequestAborted);
                var wanted = current with
                {
                    Target = boot.TryGetProperty("BootSourceOverrideTarget", out var t) ? Enum.Parse<BootSource>(t.GetString()!) : current.Target,
                    Enabled = boot.TryGetProperty("BootSourceOverrideEnabled", out var e) ? Enum.Parse<BootOverrideEnabled>(e.GetString()!) : current.Enabled,
                };
                await runtime.SetBootOverrideAsync(wanted, context.RequestAborted);
                var after = await CurrentAsync(context, slot);
                await RedfishResponses.WriteSerializedAsync(context, after.Bytes, after.ETag, after.DescribedBy);
            }
            catch (SlotRuntimeException e)
            {
                await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, slot, "ComputerSystem"));
            }
        }
    }

    /// <summary>True when If-Match is absent or names the System's current ETag; otherwise answers 412 and returns false.</summary>
    private static async Task<bool> IfMatchHoldsOrAnswerAsync(HttpContext context, SlotContext slot)
    {
        if (context.Request.Headers.IfMatch.Count == 0)
        {
            return true;
        }
        var current = await CurrentAsync(context, slot);
        if (RedfishResponses.IfMatchHolds(context.Request, current.ETag))
        {
            return true;
        }
        await RedfishResponses.WriteErrorAsync(context, BaseMessages.PreconditionFailed());
        return false;
    }

    private static readonly IReadOnlyList<BodyProperty> ResetParameters = [new("ResetType", JsonValueKind.String, AllowedValues: ResetTypes, Required: true)];

    private static async Task ResetAsync(HttpContext context)
    {
        if (await RequestScope.SlotAsync(context, "ComputerSystem") is not { } slot)
        {
            return;
        }
        using var document = await JsonBody.ReadActionOrAnswerAsync(context, "ComputerSystem.Reset", ResetParameters);
        if (document is null)
        {
            return;
        }
        if (slot.Runtime is not { } runtime)
        {
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.SlotUnusable(slot));
            return;
        }
        var type = Enum.Parse<ResetType>(document.RootElement.GetProperty("ResetType").GetString()!);
        try
        {
            if (!await IfMatchHoldsOrAnswerAsync(context, slot))
            {
                return;
            }
            await runtime.ResetAsync(type, context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            context.Response.Headers["OData-Version"] = "4.0";
        }
        catch (SlotRuntimeException e)
        {
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, slot, "ComputerSystem.Reset"));
        }
    }

    /// <summary>
    /// The OEM disk actions: an empty body (unknown parameters refused), If-Match like Reset, run to completion before
    /// the answer (a first download of a large base image makes the call slow; the service fetches the base images of
    /// its slots at start, so a reimage usually only revalidates and writes a 256 KiB overlay). 200 with Base Success.
    /// </summary>
    private static async Task DiskActionAsync(HttpContext context, string action, Func<SlotDiskProvisioner, SlotContext, ISlotRuntime, CancellationToken, Task<string>> run)
    {
        if (await RequestScope.SlotAsync(context, "ComputerSystem") is not { } slot)
        {
            return;
        }
        using (var document = await JsonBody.ReadActionOrAnswerAsync(context, action, []))
        {
            if (document is null)
            {
                return;
            }
        }
        var audit = context.Features.Get<OpenChami.VirtualBmc.Server.Audit.AuditScope>();
        if (RequestScope.Node(context).Disks is not { } disks)
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.ActionNotSupported(action));
            return;
        }
        // A slot that failed host validation has no VM of ours that could be powered off first: not touched.
        if (slot.Machine is not { } machine)
        {
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.SlotUnusable(slot));
            return;
        }
        try
        {
            if (!await IfMatchHoldsOrAnswerAsync(context, slot))
            {
                return;
            }
            var detail = await run(disks, slot, machine, context.RequestAborted);
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("OpenChami.VirtualBmc.Server.SlotDisks")
                .LogInformation("slot {Slot}: {Action}: {Detail}", slot.Name, action, detail);
            if (audit is not null)
            {
                audit.Detail = detail;
            }
            await RedfishResponses.WriteAsync(context, new ActionResult([BaseMessages.Success().ToInfo()]), RedfishJsonContext.Wire.ActionResult);
        }
        catch (DiskProvisioningException e)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("OpenChami.VirtualBmc.Server.SlotDisks")
                .LogError("slot {Slot}: {Action} failed: {Message}", slot.Name, action, e.Message);
            if (audit is not null)
            {
                audit.Detail = e.Message;
            }
            var message = DiskErrors.ToMessage(e, action, slot.Slot.Image);
            if (message.HttpStatus == StatusCodes.Status503ServiceUnavailable)
            {
                context.Response.Headers.RetryAfter = "60";
            }
            await RedfishResponses.WriteErrorAsync(context, message);
        }
        catch (SlotRuntimeException e)
        {
            if (audit is not null)
            {
                audit.Detail = e.Message;
            }
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, slot, action));
        }
    }

    private static async Task<string> ReimageAsync(SlotDiskProvisioner disks, SlotContext slot, ISlotRuntime machine, CancellationToken cancellationToken)
    {
        var result = await disks.ReimageAsync(slot.Slot, machine, cancellationToken);
        // A fresh disk clears what was wrong with the old one; the slot may become usable without a restart.
        slot.UpdateFindings(SlotDisks.Codes, []);
        return $"reimaged: {result.RootDisk} on base image {result.Base.Sha256} (was {result.PowerBefore}, now Off)"
            + (result.SeedProblem is { } problem ? $"; seed not rewritten: {problem}" : "");
    }

    private static async Task<string> DeleteStateAsync(SlotDiskProvisioner disks, SlotContext slot, ISlotRuntime machine, CancellationToken cancellationToken)
    {
        var result = await disks.DeleteStateAsync(slot.Slot, machine, cancellationToken);
        if (slot.Slot.Image is not null)
        {
            slot.UpdateFindings(new HashSet<string>(StringComparer.Ordinal) { SlotDisks.DiskMissing },
                [new SlotFindingView(SlotDisks.DiskMissing, "Warning", null, "the slot's state was deleted: it has no root disk and is not started until it is reimaged (or the service restarts and makes one)")]);
        }
        return $"deleted: {(result.Removed.Count == 0 ? "nothing (no state)" : string.Join(", ", result.Removed))} (was {result.PowerBefore}, now Off)";
    }
}
