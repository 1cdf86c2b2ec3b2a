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
/// Manager of a slot endpoint. Insert and eject act on the predefined SATA cdrom of the domain.
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

    private static readonly IReadOnlyList<BodyProperty> InsertParameters =
    [
        new("Image", JsonValueKind.String, Required: true),
        new("Inserted", JsonValueKind.True),
        new("WriteProtected", JsonValueKind.True),
        new("TransferMethod", JsonValueKind.String, AllowedValues: ["Stream"]),
        new("TransferProtocolType", JsonValueKind.String, AllowedValues: ["HTTP", "HTTPS"]),
        new("UserName", JsonValueKind.String),
        new("Password", JsonValueKind.String),
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Systems/{id}/VirtualMedia", "VirtualMediaCollection", async context =>
        {
            if (await RequestScope.SlotAsync(context, "ComputerSystem") is { } slot)
            {
                await WriteCollection(context, Paths.SystemMedia(slot.Name), [$"{Paths.SystemMedia(slot.Name)}/{MediaId}"]);
            }
        });
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
            // Show the URL the client inserted (credentials and query never stored), not the cache file it became.
            if (image is not null && slot.MediaSource is { } source && source.LocalPath == image)
            {
                image = source.Url;
            }
            await RedfishResponses.WriteAsync(context, Build(basePath, image), RedfishJsonContext.Wire.VirtualMedia);
        }
        catch (SlotRuntimeException e)
        {
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, slot, "VirtualMedia"));
        }
    }

    private static async Task InsertAsync(HttpContext context, SlotContext slot)
    {
        var document = await JsonBody.ReadOrAnswerAsync(context);
        if (document is null)
        {
            return;
        }
        using (document)
        {
            const string action = "VirtualMedia.InsertMedia";
            var body = document!.RootElement;
            var problems = JsonBody.CheckAction(body, action, InsertParameters);
            if (problems.Count == 0 && body.TryGetProperty("Image", out var imageValue))
            {
                var text = imageValue.GetString()!;
                if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    problems.Add(BaseMessages.ActionParameterValueFormatError(text, "Image", action));
                }
                else if (!string.IsNullOrEmpty(uri.UserInfo))
                {
                    // Credentials in the URL would be shown back in Image and stored in the domain XML.
                    problems.Add(BaseMessages.ActionParameterValueFormatError(uri.GetLeftPart(UriPartial.Scheme) + "***@" + uri.Host, "Image", action));
                }
                else if (body.TryGetProperty("TransferProtocolType", out var protocol) && !string.Equals(protocol.GetString(), uri.Scheme, StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add(BaseMessages.ActionParameterValueConflict("TransferProtocolType", protocol.GetString()!));
                }
            }
            foreach (var name in new[] { "Inserted", "WriteProtected" })
            {
                // Only "insert now, read-only" is offered: the CD is always write-protected and inserted at once.
                if (body.TryGetProperty(name, out var flag) && flag.ValueKind == JsonValueKind.False)
                {
                    problems.Add(BaseMessages.ActionParameterNotSupported(name, action));
                }
            }
            if (body.TryGetProperty("UserName", out _) != body.TryGetProperty("Password", out _))
            {
                problems.Add(BaseMessages.ActionParameterMissing(action, body.TryGetProperty("UserName", out _) ? "Password" : "UserName"));
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
            if (!runtime.CanChangeMedia)
            {
                // Say so before downloading anything (libvirt's test driver cannot change media).
                await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(
                    new SlotRuntimeException(SlotRuntimeErrorKind.NotSupported, "the hypervisor cannot change media"), slot, action));
                return;
            }
            var image = new Uri(body.GetProperty("Image").GetString()!);
            var credentials = body.TryGetProperty("UserName", out var user) && body.TryGetProperty("Password", out var password)
                ? new ImageCredentials(user.GetString()!, password.GetString()!)
                : null;
            var fetcher = context.RequestServices.GetRequiredService<IImageFetcher>();
            try
            {
                // The service downloads the image (address pinning, redirect checks, size cap); QEMU only sees the local file.
                var fetched = await fetcher.FetchAsync(image, credentials, slot.Name, context.RequestAborted);
                await runtime.InsertMediaAsync(fetched.Path, context.RequestAborted);
                slot.MediaSource = (fetched.Path, fetched.SourceUrl.ToString());
                NoContent(context);
            }
            catch (ImageFetchException e)
            {
                await RedfishResponses.WriteErrorAsync(context, MediaErrors.ToMessage(e, image));
            }
            catch (SlotRuntimeException e)
            {
                await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, slot, action));
            }
        }
    }

    private static async Task EjectAsync(HttpContext context, SlotContext slot)
    {
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var (document, error) = await JsonBody.ReadAsync(context.Request);
            using (document)
            {
                var problems = error is not null ? [error] : JsonBody.CheckAction(document!.RootElement, "VirtualMedia.EjectMedia", []);
                if (problems.Count > 0)
                {
                    await RedfishResponses.WriteErrorAsync(context, problems);
                    return;
                }
            }
        }
        if (slot.Runtime is not { } runtime)
        {
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.SlotUnusable(slot));
            return;
        }
        try
        {
            await runtime.EjectMediaAsync(context.RequestAborted);
            context.RequestServices.GetRequiredService<IImageFetcher>().Release(slot.Name);
            slot.MediaSource = null;
            NoContent(context);
        }
        catch (SlotRuntimeException e)
        {
            await RedfishResponses.WriteErrorAsync(context, RuntimeErrors.ToMessage(e, slot, "VirtualMedia.EjectMedia"));
        }
    }

    private static void NoContent(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        context.Response.Headers["OData-Version"] = "4.0";
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
