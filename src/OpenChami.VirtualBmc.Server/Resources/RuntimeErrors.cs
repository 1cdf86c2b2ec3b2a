using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Media;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>Maps a failed image download to the Base message a client can act on; nothing was attached.</summary>
public static class MediaErrors
{
    public static RedfishMessage ToMessage(OpenChami.VirtualBmc.Slots.Media.ImageFetchException e, Uri image)
    {
        // Never echo credentials or query strings (signed URLs carry secrets there).
        var shown = image.GetLeftPart(UriPartial.Path);
        return e.Kind switch
        {
            OpenChami.VirtualBmc.Slots.Media.ImageFetchErrorKind.Refused => BaseMessages.ActionParameterValueFormatError(shown, "Image", "VirtualMedia.InsertMedia"),
            OpenChami.VirtualBmc.Slots.Media.ImageFetchErrorKind.Unauthorized => BaseMessages.ResourceAtUriUnauthorized(shown, "the image server refused the credentials") with { HttpStatus = StatusCodes.Status400BadRequest },
            OpenChami.VirtualBmc.Slots.Media.ImageFetchErrorKind.NotFound => BaseMessages.ResourceMissingAtURI(shown),
            OpenChami.VirtualBmc.Slots.Media.ImageFetchErrorKind.TooLarge => BaseMessages.ActionParameterValueError("Image", "VirtualMedia.InsertMedia"),
            OpenChami.VirtualBmc.Slots.Media.ImageFetchErrorKind.BadFormat => BaseMessages.ResourceAtUriInUnknownFormat(shown),
            OpenChami.VirtualBmc.Slots.Media.ImageFetchErrorKind.LocalFailure => BaseMessages.InternalError(),
            _ => BaseMessages.CouldNotEstablishConnection(shown) with { HttpStatus = StatusCodes.Status400BadRequest },
        };
    }
}

/// <summary>Maps a failed reimage or delete-state to a Base message; the slot's old disk is unchanged in every case.</summary>
public static class DiskErrors
{
    public static RedfishMessage ToMessage(DiskProvisioningException e, string action, string? image)
    {
        var source = e.ImageSource is { } uri ? (uri.IsFile ? uri.LocalPath : uri.GetLeftPart(UriPartial.Path)) : "";
        return e.Kind switch
        {
            DiskErrorKind.Diskless or DiskErrorKind.NoCatalog => BaseMessages.ActionNotSupported(action),
            DiskErrorKind.CatalogUnavailable => BaseMessages.ServiceTemporarilyUnavailable("60"),
            DiskErrorKind.UnknownImage => BaseMessages.ResourceNotFound("CatalogImage", image ?? "") with { HttpStatus = StatusCodes.Status409Conflict },
            DiskErrorKind.FetchFailed => e.FetchKind switch
            {
                ImageFetchErrorKind.ChecksumMismatch or ImageFetchErrorKind.BadFormat => BaseMessages.ResourceAtUriInUnknownFormat(source) with { HttpStatus = StatusCodes.Status502BadGateway },
                ImageFetchErrorKind.NotFound => BaseMessages.ResourceMissingAtURI(source) with { HttpStatus = StatusCodes.Status502BadGateway },
                ImageFetchErrorKind.Unauthorized => BaseMessages.ResourceAtUriUnauthorized(source, "the image server refused the request") with { HttpStatus = StatusCodes.Status502BadGateway },
                ImageFetchErrorKind.TooLarge => BaseMessages.InsufficientStorage(),
                ImageFetchErrorKind.LocalFailure => BaseMessages.InternalError(),
                _ => BaseMessages.CouldNotEstablishConnection(source),
            },
            _ => BaseMessages.InternalError(),
        };
    }
}

/// <summary>Maps what the slot runtime says to the Redfish answer a client can act on.</summary>
public static class RuntimeErrors
{
    public static RedfishMessage ToMessage(SlotRuntimeException e, SlotContext slot, string action) => e.Kind switch
    {
        SlotRuntimeErrorKind.NotSupported => BaseMessages.ActionNotSupported(action) with { HttpStatus = StatusCodes.Status501NotImplemented },
        SlotRuntimeErrorKind.Conflict when slot.PowerState == PowerState.Off =>
            BaseMessages.ChassisPowerStateOnRequired(slot.Name) with { HttpStatus = StatusCodes.Status409Conflict },
        SlotRuntimeErrorKind.Conflict => BaseMessages.ResourceInUse(),
        SlotRuntimeErrorKind.Unavailable => BaseMessages.ServiceTemporarilyUnavailable("10"),
        // The slot's state was deleted: there is no root disk to boot until a reimage makes one.
        SlotRuntimeErrorKind.NotProvisioned => BaseMessages.ResourceNotFound("RootDisk", $"{slot.Name}/root.qcow2") with { HttpStatus = StatusCodes.Status409Conflict },
        _ => BaseMessages.OperationFailed(),
    };

    /// <summary>A slot that failed host validation takes no action; its System's Status.Conditions say why.</summary>
    public static RedfishMessage SlotUnusable(SlotContext slot) =>
        BaseMessages.ServiceDisabled(Paths.System(slot.Name)) with { HttpStatus = StatusCodes.Status409Conflict };
}
