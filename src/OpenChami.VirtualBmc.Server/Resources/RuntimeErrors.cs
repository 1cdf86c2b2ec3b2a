using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Resources;

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
        _ => BaseMessages.OperationFailed(),
    };

    /// <summary>A slot that failed host validation takes no action; its System's Status.Conditions say why.</summary>
    public static RedfishMessage SlotUnusable(SlotContext slot) =>
        BaseMessages.ServiceDisabled(Paths.System(slot.Name)) with { HttpStatus = StatusCodes.Status409Conflict };
}
