using OpenChami.VirtualBmc.Redfish.Payloads;

namespace OpenChami.VirtualBmc.Redfish;

/// <summary>A registry message with its arguments filled in, and the HTTP status it answers with as an error.</summary>
public sealed record RedfishMessage(string MessageId, string Message, IReadOnlyList<string> MessageArgs, string MessageSeverity, string Resolution, int HttpStatus)
{
    public const string MessageODataType = "#Message.v1_3_0.Message";

    public MessageInfo ToInfo() => new(MessageODataType, MessageId, Message, MessageArgs, MessageSeverity, Resolution);

    /// <summary>The error envelope for this message alone.</summary>
    public RedfishError ToError() => RedfishErrors.From([this]);
}

/// <summary>What the registry says of one message, for tests and tools.</summary>
public sealed record MessageDefinition(int NumberOfArgs, string Severity, int HttpStatus, string Template);

public static partial class BaseMessages
{
    private static RedfishMessage Create(string key, int status, string template, string[] args, string severity, string resolution)
    {
        var text = template;
        // Replace from the highest index down so %1 never eats the start of %10.
        for (var i = args.Length; i >= 1; i--)
        {
            text = text.Replace("%" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), args[i - 1], StringComparison.Ordinal);
        }
        return new RedfishMessage($"{RegistryPrefix}.{key}", text, args, severity, resolution, status);
    }
}

/// <summary>Builds the DSP0266 error envelope from one or more messages.</summary>
public static class RedfishErrors
{
    /// <summary>
    /// One message: its id and text are the error's code and message. Several: the code is GeneralError and each
    /// message is listed in @Message.ExtendedInfo (DSP0266 §9.7); the HTTP status is the first message's.
    /// </summary>
    public static RedfishError From(IReadOnlyList<RedfishMessage> messages)
    {
        if (messages.Count == 0)
        {
            throw new ArgumentException("an error needs at least one message", nameof(messages));
        }
        var head = messages.Count == 1 ? messages[0] : BaseMessages.GeneralError();
        // A 64 KiB body can name thousands of bad properties or array elements: the answer lists the first ones and says
        // there were more, so a small request never makes a response hundreds of times its size.
        var listed = messages.Count <= MaxListed
            ? messages.Select(m => m.ToInfo())
            : messages.Take(MaxListed - 1).Select(m => m.ToInfo()).Append(BaseMessages.MaximumErrorsExceeded().ToInfo());
        return new RedfishError(new ErrorBody(head.MessageId, head.Message, listed.ToList()));
    }

    /// <summary>At most this many messages in one error body; the last says when more were found.</summary>
    public const int MaxListed = 32;
}
