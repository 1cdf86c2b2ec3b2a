using System.Text.Json;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Media;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// The slot's one virtual CD drive ("Cd"), under its System and — because Ironic's sushy looks there — under the
/// Manager of a slot endpoint. Insert and eject act on the predefined SATA cdrom of the domain: live where the hypervisor
/// can (QEMU), otherwise in its definition for the next start (libvirt's test driver); see <see cref="MediaChange"/>.
/// </summary>
public static class VirtualMediaResource
{
    public const string MediaId = "Cd";

    public static VirtualMedia Build(string basePath, string? image) => new(
        $"{basePath}/{MediaId}",
        "#VirtualMedia.v1_6_0.VirtualMedia",
        MediaId,
        "Virtual CD",
        ["CD", "DVD"],
        image is null ? "NotConnected" : "URI",
        image is not null,
        image,
        image is null ? null : Path.GetFileName(Uri.TryCreate(image, UriKind.Absolute, out var uri) ? uri.AbsolutePath : image),
        true,
        "Stream",
        Status.EnabledOk,
        new VirtualMediaActions(
            new ActionTarget($"{basePath}/{MediaId}/Actions/VirtualMedia.InsertMedia"),
            new ActionTarget($"{basePath}/{MediaId}/Actions/VirtualMedia.EjectMedia")));

    private const string InsertAction = "VirtualMedia.InsertMedia";

    private static readonly SlotWrite Insert = new(InsertAction, "ComputerSystem", BodyKind.Action,
    [
        new("Image", JsonValueKind.String, Required: true),
        new("Inserted", JsonValueKind.True),
        new("WriteProtected", JsonValueKind.True),
        new("TransferMethod", JsonValueKind.String, AllowedValues: ["Stream"]),
        new("TransferProtocolType", JsonValueKind.String, AllowedValues: ["HTTP", "HTTPS"]),
        new("UserName", JsonValueKind.String),
        new("Password", JsonValueKind.String),
    ], IfMatch: false)
    {
        Check = (body, _) => CheckInsert(body),
    };

    private static readonly SlotWrite Eject = new("VirtualMedia.EjectMedia", "ComputerSystem", BodyKind.OptionalAction, [], IfMatch: false);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Systems/{id}/VirtualMedia", "VirtualMediaCollection", context => SlotRequests.ReadAsync(context, "ComputerSystem", slot =>
            WriteCollection(context, Paths.SystemMedia(slot.Name), [$"{Paths.SystemMedia(slot.Name)}/{MediaId}"])));
        app.MapRedfishGet("/redfish/v1/Systems/{id}/VirtualMedia/{media}", "VirtualMedia", async context =>
        {
            if (await RequestScope.SlotAsync(context, "ComputerSystem") is { } slot && await MediaExists(context))
            {
                await WriteMedia(context, slot, Paths.SystemMedia(slot.Name));
            }
        });
        app.MapRedfishPost("/redfish/v1/Systems/{id}/VirtualMedia/{media}/Actions/VirtualMedia.InsertMedia", "VirtualMedia", async context =>
        {
            if (await RequestScope.SlotAsync(context, "ComputerSystem") is { } slot && await MediaExists(context))
            {
                await InsertAsync(context, slot);
            }
        });
        app.MapRedfishPost("/redfish/v1/Systems/{id}/VirtualMedia/{media}/Actions/VirtualMedia.EjectMedia", "VirtualMedia", async context =>
        {
            if (await RequestScope.SlotAsync(context, "ComputerSystem") is { } slot && await MediaExists(context))
            {
                await EjectAsync(context, slot);
            }
        });

        // Under the Manager: the slot endpoint's drive itself; on the host endpoint, links to each System's drive.
        app.MapRedfishGet("/redfish/v1/Managers/{managerId}/VirtualMedia", "VirtualMediaCollection", async context =>
        {
            if (await ManagerExists(context))
            {
                var scope = RequestScope.Of(context);
                await WriteCollection(context, Paths.ManagerMedia, scope.IsHostEndpoint
                    ? scope.Slots.Select(s => $"{Paths.SystemMedia(s.Name)}/{MediaId}")
                    : [$"{Paths.ManagerMedia}/{MediaId}"]);
            }
        });
        app.MapRedfishGet("/redfish/v1/Managers/{managerId}/VirtualMedia/{media}", "VirtualMedia", async context =>
        {
            if (await ManagerSlot(context) is { } slot)
            {
                await WriteMedia(context, slot, Paths.ManagerMedia);
            }
        });
        app.MapRedfishPost("/redfish/v1/Managers/{managerId}/VirtualMedia/{media}/Actions/VirtualMedia.InsertMedia", "VirtualMedia", async context =>
        {
            if (await ManagerSlot(context) is { } slot)
            {
                await InsertAsync(context, slot);
            }
        });
        app.MapRedfishPost("/redfish/v1/Managers/{managerId}/VirtualMedia/{media}/Actions/VirtualMedia.EjectMedia", "VirtualMedia", async context =>
        {
            if (await ManagerSlot(context) is { } slot)
            {
                await EjectAsync(context, slot);
            }
        });
    }

    private static Task WriteCollection(HttpContext context, string path, IEnumerable<string> members) =>
        RedfishResponses.WriteAsync(context,
            ResourceCollection.Of(path, "#VirtualMediaCollection.VirtualMediaCollection", "Virtual Media Collection", members),
            RedfishJsonContext.Wire.ResourceCollection);

    private static async Task WriteMedia(HttpContext context, SlotContext slot, string basePath)
    {
        try
        {
            var image = slot.Runtime is { } runtime ? await runtime.GetInsertedMediaAsync(context.RequestAborted) : null;
            // Show the URL the client inserted (credentials and query never stored), not the cache file it became; after a
            // restart, the URL the image cache says the slot's file came from (without its query).
            if (image is not null && slot.State.MediaSource is { } source && source.LocalPath == image)
            {
                image = source.Url;
            }
            else if (image is not null && context.RequestServices.GetRequiredService<IImageFetcher>().HeldBy(slot.Name) is { } held && held.Path == image)
            {
                image = held.Source;
            }
            await RedfishResponses.WriteAsync(context, Build(basePath, image), RedfishJsonContext.Wire.VirtualMedia);
        }
        catch (SlotRuntimeException e)
        {
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, slot, "VirtualMedia"));
        }
    }

    private static IEnumerable<RedfishMessage> CheckInsert(JsonElement body)
    {
        // A missing Image, or one of the wrong type, is reported by the parameter check.
        if (body.TryGetProperty("Image", out var imageValue) && imageValue.ValueKind == JsonValueKind.String && CheckImage(imageValue.GetString()!, body) is { } problem)
        {
            yield return problem;
        }
        foreach (var name in new[] { "Inserted", "WriteProtected" })
        {
            // Only "insert now, read-only" is offered: the CD is always write-protected and inserted at once.
            if (body.TryGetProperty(name, out var flag) && flag.ValueKind == JsonValueKind.False)
            {
                yield return BaseMessages.ActionParameterNotSupported(name, InsertAction);
            }
        }
        if (body.TryGetProperty("UserName", out _) != body.TryGetProperty("Password", out _))
        {
            yield return BaseMessages.ActionParameterMissing(InsertAction, body.TryGetProperty("UserName", out _) ? "Password" : "UserName");
        }
    }

    private static RedfishMessage? CheckImage(string text, JsonElement body)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return BaseMessages.ActionParameterValueFormatError(text, "Image", InsertAction);
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            // Credentials in the URL would be shown back in Image and stored in the domain XML.
            return BaseMessages.ActionParameterValueFormatError(uri.GetLeftPart(UriPartial.Scheme) + "***@" + uri.Host, "Image", InsertAction);
        }
        return body.TryGetProperty("TransferProtocolType", out var protocol) && !string.Equals(protocol.GetString(), uri.Scheme, StringComparison.OrdinalIgnoreCase)
            ? BaseMessages.ActionParameterValueConflict("TransferProtocolType", protocol.GetString()!)
            : null;
    }

    private static Task InsertAsync(HttpContext context, SlotContext slot) => SlotRequests.WriteAsync(context, Insert, async request =>
    {
        var body = request.Body;
        var image = new Uri(body.GetProperty("Image").GetString()!);
        var credentials = body.TryGetProperty("UserName", out var user) && body.TryGetProperty("Password", out var password)
            ? new ImageCredentials(user.GetString()!, password.GetString()!)
            : null;
        var fetcher = context.RequestServices.GetRequiredService<IImageFetcher>();
        try
        {
            // The service downloads the image (address pinning, redirect checks, size cap); QEMU only sees the local file.
            var fetched = await fetcher.FetchAsync(image, credentials, slot.Name, request.Aborted);
            await request.Machine.InsertMediaAsync(fetched.Path, request.Aborted);
            slot.State.MediaSource = (fetched.Path, fetched.SourceUrl.ToString());
            Note(context, request.Machine, "inserted");
            RedfishResponses.NoContent(context);
        }
        catch (ImageFetchException e)
        {
            await RedfishResponses.WriteErrorAsync(context, MediaErrors.ToMessages(e, image, InsertAction));
        }
    }, slot);

    private static Task EjectAsync(HttpContext context, SlotContext slot) => SlotRequests.WriteAsync(context, Eject, async request =>
    {
        await request.Machine.EjectMediaAsync(request.Aborted);
        context.RequestServices.GetRequiredService<IImageFetcher>().Release(slot.Name);
        slot.State.MediaSource = null;
        Note(context, request.Machine, "ejected");
        RedfishResponses.NoContent(context);
    }, slot);

    /// <summary>
    /// A runtime that changes media for the next start (libvirt's test driver) succeeds like one that changes them live:
    /// the change is in the VM's definition, and the audit says when the VM sees it.
    /// </summary>
    private static void Note(HttpContext context, ISlotRuntime machine, string what)
    {
        if (machine.MediaChange == MediaChange.NextStart)
        {
            context.Features.Get<Audit.AuditScope>()?.Detail = machine.PowerState == PowerState.Off
                ? $"{what}: recorded in the domain definition"
                : $"{what}: recorded in the domain definition; the running VM sees it at its next start";
        }
    }

    private static async Task<bool> MediaExists(HttpContext context)
    {
        var media = (string?)context.Request.RouteValues["media"];
        if (media == MediaId)
        {
            return true;
        }
        await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("VirtualMedia", media ?? ""));
        return false;
    }

    private static async Task<bool> ManagerExists(HttpContext context)
    {
        if ((string?)context.Request.RouteValues["managerId"] == Paths.ManagerId)
        {
            return true;
        }
        await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("Manager", (string?)context.Request.RouteValues["managerId"] ?? ""));
        return false;
    }

    /// <summary>The slot behind the Manager's drive: only a slot endpoint has one (the host endpoint links Systems' drives).</summary>
    private static async Task<SlotContext?> ManagerSlot(HttpContext context)
    {
        if (!await ManagerExists(context) || !await MediaExists(context))
        {
            return null;
        }
        var scope = RequestScope.Of(context);
        if (scope.IsHostEndpoint)
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("VirtualMedia", MediaId));
            return null;
        }
        return scope.Slots[0];
    }
}
