using OpenChami.VirtualBmc.Redfish.Payloads;

namespace OpenChami.VirtualBmc.Redfish;

/// <summary>
/// Base registry messages and the HTTP status each one answers with. This hand-written starter set is replaced by
/// code generated from the DMTF Base registry when the Redfish protocol work lands.
/// </summary>
public static class Messages
{
    private const string MessageType = "#Message.v1_1_2.Message";

    public static (int Status, RedfishError Body) ResourceNotFound(string type, string id) =>
        (404, Error("Base.1.22.ResourceNotFound", $"The requested resource of type {type} named '{id}' was not found.",
            [type, id], "Critical", "Provide a valid resource identifier and resubmit the request."));

    public static (int Status, RedfishError Body) ServiceTemporarilyUnavailable(string retryAfterSeconds) =>
        (503, Error("Base.1.22.ServiceTemporarilyUnavailable",
            $"The service is temporarily unavailable.  Retry in {retryAfterSeconds} seconds.", [retryAfterSeconds], "Critical",
            "Wait for the indicated retry duration and retry the operation."));

    public static (int Status, RedfishError Body) InternalError() =>
        (500, Error("Base.1.22.InternalError", "The request failed due to an internal service error.  The service is still operational.",
            [], "Critical", "Resubmit the request.  If the problem persists, consider resetting the service."));

    private static RedfishError Error(string id, string message, IReadOnlyList<string> args, string severity, string resolution) =>
        new(new ErrorBody(id, message, [new MessageInfo(MessageType, id, message, args, severity, resolution)]));
}
