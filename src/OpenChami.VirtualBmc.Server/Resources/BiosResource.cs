using System.Text.Json;
using OpenChami.VirtualBmc.Host.Services;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// Systems/{id}/Bios: the slot's firmware attributes as its VM runs with them (off: as its next start uses them), and
/// Bios/Settings, where a PATCH of the settable ones goes; they reach the VM's definition at once and the VM at its next
/// power-on (@Redfish.Settings SupportedApplyTimes OnReset), like a real BIOS setup. The other attributes say what the
/// template decided and are read-only. Names and types: <see cref="BiosRegistry"/>.
/// </summary>
public static class BiosResource
{
    private const string BiosType = "#Bios.v1_2_3.Bios";

    /// <summary>A slot with no domain of ours (it failed validation before one was defined): what its first start would use.</summary>
    private static readonly FirmwareView Undefined = new(FirmwareSettings.Default, null, false);

    public static async Task<Bios> CurrentAsync(SlotContext slot, ISlotRuntime? machine, DpkgStatus packages, CancellationToken cancellationToken)
    {
        var view = machine is null ? Undefined : await machine.GetFirmwareAsync(FirmwareDefinition.Current, cancellationToken);
        var id = slot.Name;
        var (package, version) = UpdateServiceResource.FirmwarePackage(slot.Slot.Template.Firmware, packages);
        var attributes = Attributes(slot.Slot, view) with { FirmwareVersion = version is null ? "" : $"{package} {version}" };
        return new Bios(Paths.Bios(id), BiosType, "Bios", "BIOS", $"Firmware attributes of slot {id} as its VM runs with them",
            BiosRegistry.Id + "." + BiosRegistry.Version, attributes, new BiosActions(new ActionTarget(Paths.ResetBios(id))))
        {
            Settings = new RedfishSettings("#Settings.v1_4_0.Settings", new ODataId(Paths.BiosSettings(id)), ["OnReset"]),
        };
    }

    public static async Task<Bios> PendingAsync(SlotContext slot, ISlotRuntime? machine, CancellationToken cancellationToken)
    {
        var settings = (machine is null ? Undefined : await machine.GetFirmwareAsync(FirmwareDefinition.NextStart, cancellationToken)).Settings;
        return new Bios(Paths.BiosSettings(slot.Name), BiosType, "Settings", "BIOS pending settings",
            $"Firmware settings slot {slot.Name} starts with at its next power-on", BiosRegistry.Id + "." + BiosRegistry.Version,
            Settable(settings), null);
    }

    private static BiosAttributes Settable(FirmwareSettings settings) =>
        new(settings.BootMenu ? "Enabled" : "Disabled", settings.BootMenuTimeoutSeconds);

    private static BiosAttributes Attributes(Slot slot, FirmwareView view)
    {
        var template = slot.Template;
        var uefi = template.Firmware == Firmware.Uefi;
        return Settable(view.Settings) with
        {
            FirmwareType = uefi ? "UEFI" : "BIOS",
            BootMode = BootModes.Of(template.Firmware),
            FirmwareImage = view.Loader ?? "",
            // A resolved loader says whether the build is a secure-boot one, else the definition's request (what SecureBoot
            // reports as SecureBootCurrentBoot); SeaBIOS has no secure boot.
            SecureBoot = view.SecureBoot ? "Enabled" : !uefi || view.Loader is not null || view.SecureBootRequested is not null ? "Disabled" : "Unknown",
            NumaPolicy = template.Cpu.NumaPolicy.ToString(),
            NumaNode = template.Cpu.NumaNode,
            Hugepages = template.Memory.Hugepages,
            HugepageSize = !template.Memory.Hugepages ? "None" : template.Memory.EffectivePageSize == HugepageSize.TwoMiB ? "2MiB" : "1GiB",
        };
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Systems/{id}/Bios", "Bios", context => ReadAsync(context, async (slot, machine) =>
            await RedfishResponses.WriteAsync(context, await CurrentAsync(slot, machine, context.RequestServices.GetRequiredService<DpkgStatus>(), context.RequestAborted),
                RedfishJsonContext.Wire.Bios)));
        app.MapRedfishGet("/redfish/v1/Systems/{id}/Bios/Settings", "Bios", context => ReadAsync(context, async (slot, machine) =>
            await RedfishResponses.WriteAsync(context, await PendingAsync(slot, machine, context.RequestAborted), RedfishJsonContext.Wire.Bios)));
        app.MapRedfishPatch("/redfish/v1/Systems/{id}/Bios/Settings", "Bios", PatchSettingsAsync);
        app.MapRedfishPost("/redfish/v1/Systems/{id}/Bios/Actions/Bios.ResetBios", "Bios", context =>
            SlotRequests.WriteAsync(context, ResetBios, async request =>
            {
                await request.Machine.SetFirmwareSettingsAsync(FirmwareSettings.Default, request.Aborted);
                RedfishResponses.NoContent(context);
            }));
        BiosRegistry.Map(app);
    }

    private static Task ReadAsync(HttpContext context, Func<SlotContext, ISlotRuntime?, Task> read) =>
        SlotRequests.ReadAsync(context, "Bios", slot => SlotRequests.ReadDefinitionAsync(context, slot, machine => read(slot, machine)));

    private static readonly SlotWrite ResetBios = new("Bios.ResetBios", "Bios", BodyKind.OptionalAction, []);

    private static readonly SlotWrite PatchSettings = new("Bios", "Bios", BodyKind.Patch,
    [
        new("Attributes", JsonValueKind.Object),
        .. new[] { "Id", "Name", "Description", "AttributeRegistry", "Actions" }.Select(name => new BodyProperty(name, JsonValueKind.Undefined, Writable: false)),
    ], IfMatch: false)
    {
        Check = (body, _) => body.TryGetProperty("Attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object
            ? BiosRegistry.Problems(attributes)
            : [],
    };

    private static Task PatchSettingsAsync(HttpContext context) => SlotRequests.WriteAsync(context, PatchSettings, async request =>
    {
        var pending = await PendingAsync(request.Slot, request.Machine, request.Aborted);
        if (!await SlotRequests.IfMatchHoldsOrAnswerAsync(context, pending, RedfishJsonContext.Wire.Bios))
        {
            return;
        }
        var current = new FirmwareSettings(pending.Attributes.BootMenu == "Enabled", pending.Attributes.BootMenuTimeoutSeconds);
        if (!request.Body.TryGetProperty("Attributes", out var attributes))
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.NoOperation());
            return;
        }
        var wanted = BiosRegistry.Apply(current, attributes);
        if (!wanted.BootMenu && wanted.BootMenuTimeoutSeconds != 0)
        {
            if (attributes.TryGetProperty("BootMenuTimeoutSeconds", out _))
            {
                await RedfishResponses.WriteErrorAsync(context, BaseMessages.PropertyValueConflict("Attributes/BootMenuTimeoutSeconds", "Attributes/BootMenu"));
                return;
            }
            wanted = wanted with { BootMenuTimeoutSeconds = 0 }; // a disabled menu has no timeout
        }
        await request.Machine.SetFirmwareSettingsAsync(wanted, request.Aborted);
        await RedfishResponses.WriteAsync(context, await PendingAsync(request.Slot, request.Machine, request.Aborted), RedfishJsonContext.Wire.Bios);
    });
}
