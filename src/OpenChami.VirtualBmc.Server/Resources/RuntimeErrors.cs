using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Media;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.Slots.State;

namespace OpenChami.VirtualBmc.Server.Resources;

// Every status comes from the generator's table (Registries/generate.py). Where the status a client needs is not the
// status of the message that explains the failure, the answer leads with a message of the right status and the
// explaining one follows in @Message.ExtendedInfo.

/// <summary>Maps a failed image download (InsertMedia: a URL the client gave) to Base messages; nothing was attached.</summary>
public static class MediaErrors
{
    public static RedfishMessage[] ToMessages(ImageFetchException e, Uri image, string action)
    {
        // Never echo credentials or query strings (signed URLs carry secrets there).
        var shown = image.GetLeftPart(UriPartial.Path);
        return e.Kind switch
        {
            ImageFetchErrorKind.Refused => [BaseMessages.ActionParameterValueFormatError(shown, "Image", action)],
            ImageFetchErrorKind.Unauthorized => [BaseMessages.ActionParameterValueError("Image", action),
                BaseMessages.ResourceAtUriUnauthorized(shown, "the image server refused the credentials")],
            ImageFetchErrorKind.NotFound => [BaseMessages.ResourceMissingAtURI(shown)],
            ImageFetchErrorKind.TooLarge => [BaseMessages.ActionParameterValueError("Image", action)],
            ImageFetchErrorKind.BadFormat => [BaseMessages.ResourceAtUriInUnknownFormat(shown)],
            ImageFetchErrorKind.LocalFailure => [BaseMessages.InternalError()],
            _ => [BaseMessages.ActionParameterValueError("Image", action), BaseMessages.CouldNotEstablishConnection(shown)],
        };
    }
}

/// <summary>Maps a failed reimage or delete-state to Base messages; the slot's old disk is unchanged in every case.</summary>
public static class DiskErrors
{
    public static RedfishMessage[] ToMessages(DiskProvisioningException e, string action, string? image)
    {
        // The catalog and its image server are the operator's upstream: their failures are 502 (OperationFailed).
        var source = e.ImageSource is { } uri ? (uri.IsFile ? uri.LocalPath : uri.GetLeftPart(UriPartial.Path)) : "";
        return e.Kind switch
        {
            DiskErrorKind.Diskless or DiskErrorKind.NoCatalog => [BaseMessages.ActionNotSupported(action)],
            DiskErrorKind.CatalogUnavailable => [BaseMessages.ServiceTemporarilyUnavailable("60")],
            DiskErrorKind.UnknownImage => [BaseMessages.PropertyValueExternalConflict("Image", image ?? "")],
            DiskErrorKind.FetchFailed => e.FetchKind switch
            {
                ImageFetchErrorKind.ChecksumMismatch or ImageFetchErrorKind.BadFormat => [BaseMessages.OperationFailed(), BaseMessages.ResourceAtUriInUnknownFormat(source)],
                ImageFetchErrorKind.NotFound => [BaseMessages.OperationFailed(), BaseMessages.ResourceMissingAtURI(source)],
                ImageFetchErrorKind.Unauthorized => [BaseMessages.OperationFailed(), BaseMessages.ResourceAtUriUnauthorized(source, "the image server refused the request")],
                ImageFetchErrorKind.TooLarge => [BaseMessages.InsufficientStorage()],
                ImageFetchErrorKind.LocalFailure => [BaseMessages.InternalError()],
                _ => [BaseMessages.CouldNotEstablishConnection(source)],
            },
            _ => [BaseMessages.InternalError()],
        };
    }
}

/// <summary>Maps what the slot runtime and the slot's state say to the Redfish answer a client can act on.</summary>
public static class RuntimeErrors
{
    /// <summary>How long a client waits before retrying a slot whose domain is not reconciled yet (reconnects back off to 30 s).</summary>
    public const string ReconnectRetrySeconds = "5";

    /// <param name="parameter">The action parameter whose value could not be honoured (e.g. ResetType On without a root disk).</param>
    public static RedfishMessage ToMessage(SlotRuntimeException e, SlotContext slot, string action, (string Name, string Value)? parameter = null) => e.Kind switch
    {
        SlotRuntimeErrorKind.NotSupported => BaseMessages.ActionNotSupported(action),
        // The state may have changed under the call (libvirt lost, the domain found foreign): answer what is true now.
        SlotRuntimeErrorKind.Conflict when Refusal(slot, domainOnly: true) is { } refusal => refusal,
        SlotRuntimeErrorKind.Conflict when slot.PowerState == PowerState.Off => BaseMessages.ChassisPowerStateOnRequired(slot.Name),
        SlotRuntimeErrorKind.Conflict => BaseMessages.ResourceInUse(),
        SlotRuntimeErrorKind.Unavailable => BaseMessages.ServiceTemporarilyUnavailable(ReconnectRetrySeconds),
        // The slot's state was deleted: there is no root disk to boot until a reimage makes one.
        SlotRuntimeErrorKind.NotProvisioned => BaseMessages.ActionParameterValueConflict(parameter?.Name ?? "ResetType", parameter?.Value ?? "On"),
        _ => BaseMessages.OperationFailed(),
    };

    /// <summary>
    /// Why the slot takes no action now, or null when it does: its domain not reconciled yet (503 with Retry-After; it
    /// comes back after the reconnect), or the slot not usable (409; its System's Status.Conditions say why).
    /// <paramref name="domainOnly"/>: only the domain must be ours (the disk actions, which may fix the other findings).
    /// </summary>
    public static RedfishMessage? Refusal(SlotContext slot, bool domainOnly)
    {
        var state = slot.Health;
        if (slot.Machine is null || state.Domain is DomainStatus.None or DomainStatus.NotOurs)
        {
            return BaseMessages.ServiceDisabled(Paths.System(slot.Name));
        }
        if (state.Domain == DomainStatus.Unknown)
        {
            // Binding and disk errors outlast the reconnect: those are the answer, not "retry".
            return !domainOnly && state.HasErrors ? BaseMessages.ServiceDisabled(Paths.System(slot.Name)) : BaseMessages.ServiceTemporarilyUnavailable(ReconnectRetrySeconds);
        }
        return domainOnly || state.Usable ? null : BaseMessages.ServiceDisabled(Paths.System(slot.Name));
    }
}
