using System.Text.Json.Serialization;

namespace OpenChami.VirtualBmc.Redfish.Payloads;

/// <summary>The Redfish error envelope (DSP0266 §9.7): <c>{"error": {code, message, @Message.ExtendedInfo}}</c>.</summary>
public sealed record RedfishError([property: JsonPropertyName("error")] ErrorBody Error);

public sealed record ErrorBody(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("@Message.ExtendedInfo")] IReadOnlyList<MessageInfo> ExtendedInfo);

public sealed record MessageInfo(
    [property: JsonPropertyName("@odata.type")] string ODataType,
    string MessageId,
    string Message,
    IReadOnlyList<string> MessageArgs,
    string MessageSeverity,
    string Resolution);

/// <summary>The body of an action that completed: its messages (DSP0266: 200 with @Message.ExtendedInfo).</summary>
public sealed record ActionResult([property: JsonPropertyName("@Message.ExtendedInfo")] IReadOnlyList<MessageInfo> ExtendedInfo);
