using System.Text.Json;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// Systems/{id}/SecureBoot of a UEFI slot (a BIOS slot has none: 404). SecureBootEnable is what the VM's next power-on
/// uses (like a real BMC, the running VM keeps its firmware; the first start after a change gets a fresh NVRAM of the
/// matching OVMF build). It is writable unless the slot's template pins it (<c>secureBoot:</c> in the node type).
/// SecureBootCurrentBoot is how the running VM booted (Disabled when it is off). SecureBootMode: the secure-boot build
/// starts from the Microsoft-enrolled variable store, which has a Platform Key and no DeployedMode set, so UEFI puts it in
/// UserMode; the build without secure boot has no Platform Key: SetupMode.
/// </summary>
public static class SecureBootResource
{
    private const string SecureBootType = "#SecureBoot.v1_1_2.SecureBoot";

    private static readonly IReadOnlyList<string> Writeable = ["SecureBootEnable"];

    public static SecureBoot Payload(SlotContext slot, SecureBootState state, PowerState power)
    {
        var id = slot.Name;
        var secureFirmware = state.CurrentBoot || (power == PowerState.Off && state.Enabled);
        return new SecureBoot(Paths.SecureBoot(id), SecureBootType, "SecureBoot", "UEFI Secure Boot",
            state.Pinned
                ? $"Secure boot of slot {id}, pinned by its template"
                : $"Secure boot of slot {id}; a change applies at its next power-on",
            state.Enabled, state.CurrentBoot ? "Enabled" : "Disabled", secureFirmware ? "UserMode" : "SetupMode",
            state.Pinned ? [] : Writeable);
    }

    /// <summary>A slot with no domain of ours (it failed validation before one was defined): what its template says.</summary>
    private static SecureBootState FromTemplate(Slot slot) =>
        new(slot.Template.SecureBoot ?? false, false, slot.Template.SecureBoot is not null);

    private static async Task<SecureBoot> ReadAsync(SlotContext slot, ISlotRuntime? machine, CancellationToken cancellationToken) =>
        machine is null
            ? Payload(slot, FromTemplate(slot.Slot), PowerState.Off)
            : Payload(slot, await machine.GetSecureBootAsync(cancellationToken), machine.PowerState);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Systems/{id}/SecureBoot", "SecureBoot", context =>
            SlotRequests.ReadAsync(context, "SecureBoot", async slot =>
            {
                if (await NotUefiAsync(context, slot))
                {
                    return;
                }
                await SlotRequests.ReadDefinitionAsync(context, slot, async machine =>
                    await RedfishResponses.WriteAsync(context, await ReadAsync(slot, machine, context.RequestAborted), RedfishJsonContext.Wire.SecureBoot));
            }));
        app.MapRedfishPatch("/redfish/v1/Systems/{id}/SecureBoot", "SecureBoot", PatchAsync);
    }

    private static async Task<bool> NotUefiAsync(HttpContext context, SlotContext slot)
    {
        if (slot.Slot.Template.Firmware == Firmware.Uefi)
        {
            return false;
        }
        await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("SecureBoot", Paths.SecureBoot(slot.Name)));
        return true;
    }

    private static readonly SlotWrite Patch = new("SecureBoot", "SecureBoot", BodyKind.Patch,
    [
        new("SecureBootEnable", JsonValueKind.True),
        .. new[] { "Id", "Name", "Description", "SecureBootCurrentBoot", "SecureBootMode", "SecureBootDatabases", "Actions" }
            .Select(name => new BodyProperty(name, JsonValueKind.Undefined, Writable: false)),
    ], IfMatch: false)
    {
        // A template that pins secure boot makes it template: not the operator's to switch.
        Check = (body, slot) => slot.Slot.Template.SecureBoot is not null && body.TryGetProperty("SecureBootEnable", out _)
            ? [BaseMessages.PropertyNotWritable("SecureBootEnable")]
            : [],
    };

    private static async Task PatchAsync(HttpContext context)
    {
        if (await RequestScope.SlotAsync(context, "SecureBoot") is not { } slot || await NotUefiAsync(context, slot))
        {
            return;
        }
        await SlotRequests.WriteAsync(context, Patch, async request =>
        {
            var before = await ReadAsync(request.Slot, request.Machine, request.Aborted);
            if (!await SlotRequests.IfMatchHoldsOrAnswerAsync(context, before, RedfishJsonContext.Wire.SecureBoot))
            {
                return;
            }
            var wanted = request.Body.GetProperty("SecureBootEnable").GetBoolean();
            if (wanted != before.SecureBootEnable)
            {
                await request.Machine.SetSecureBootAsync(wanted, request.Aborted);
            }
            await RedfishResponses.WriteAsync(context, await ReadAsync(request.Slot, request.Machine, request.Aborted), RedfishJsonContext.Wire.SecureBoot);
        }, slot);
    }
}
