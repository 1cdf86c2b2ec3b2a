using System.Text.Json;
using OpenChami.VirtualBmc.Redfish;

namespace OpenChami.VirtualBmc.Server.Protocol;

/// <summary>What a request body may contain: each property's JSON kind, whether it may be written, and its allowed values.</summary>
public sealed record BodyProperty(string Name, JsonValueKind Kind, bool Writable = true, IReadOnlyList<string>? AllowedValues = null, bool Required = false);

/// <summary>
/// Strict request-body reading: malformed JSON, duplicate keys, unknown properties, read-only properties, wrong
/// types and values outside the allowed list each get their own Base message — every problem at once.
/// </summary>
public static class JsonBody
{
    private static readonly JsonDocumentOptions Options = new() { AllowDuplicateProperties = false, MaxDepth = 16 };

    public static async Task<(JsonDocument? Document, RedfishMessage? Error)> ReadAsync(HttpRequest request)
    {
        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, BaseMessages.HeaderInvalid($"Content-Type: {type}"));
        }
        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, Options, request.HttpContext.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !IsWellFormedText(document.RootElement))
            {
                document.Dispose();
                return (null, BaseMessages.MalformedJSON());
            }
            return (document, null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // InvalidOperationException: a property name that is not text, met by the duplicate-key check.
            return (null, BaseMessages.MalformedJSON());
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, BaseMessages.PayloadTooLarge());
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            // A body the transport could not read (a malformed chunked encoding): the client's fault, answered 400.
            return (null, BaseMessages.MalformedJSON());
        }
    }

    /// <summary>
    /// Whether every name and string decodes to text: JSON allows an escaped lone surrogate ("\ud800") and the parser
    /// does not check UTF-8 inside strings, but neither is text, and reading one later throws. Checked once here, so
    /// handlers only ever see well-formed strings.
    /// </summary>
    public static bool IsWellFormedText(JsonElement element)
    {
        try
        {
            return Walk(element);
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        static bool Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in e.EnumerateObject())
                    {
                        if (!IsText(property.Name) || !Walk(property.Value))
                        {
                            return false;
                        }
                    }
                    return true;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray())
                    {
                        if (!Walk(item))
                        {
                            return false;
                        }
                    }
                    return true;
                case JsonValueKind.String:
                    return IsText(e.GetString()!);
                default:
                    return true;
            }
        }

        static bool IsText(string s)
        {
            for (var i = 0; i < s.Length; i++)
            {
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(s[i]))
                {
                    return false;
                }
            }
            return true;
        }
    }

    /// <summary>The body as a JSON object, or null after answering the request with the reason it is not one.</summary>
    public static async Task<JsonDocument?> ReadOrAnswerAsync(HttpContext context)
    {
        var (document, error) = await ReadAsync(context.Request);
        if (error is not null)
        {
            await RedfishResponses.WriteErrorAsync(context, error);
        }
        return document;
    }

    /// <summary>
    /// An action's body, read and checked against its parameters; or null after answering with every problem. The
    /// caller disposes the document.
    /// </summary>
    public static async Task<JsonDocument?> ReadActionOrAnswerAsync(HttpContext context, string action, IReadOnlyList<BodyProperty> parameters)
    {
        var document = await ReadOrAnswerAsync(context);
        if (document is null)
        {
            return null;
        }
        var problems = CheckAction(document.RootElement, action, parameters);
        if (problems.Count == 0)
        {
            return document;
        }
        document.Dispose();
        await RedfishResponses.WriteErrorAsync(context, problems);
        return null;
    }

    /// <summary>Checks a PATCH body against the resource's properties. Returns every problem; empty when the body is acceptable.</summary>
    public static List<RedfishMessage> CheckPatch(JsonElement body, IReadOnlyList<BodyProperty> properties, string prefix = "")
    {
        var problems = new List<RedfishMessage>();
        var anyProperty = false;
        foreach (var member in body.EnumerateObject())
        {
            var path = prefix + member.Name;
            if (member.Name.StartsWith("@odata.", StringComparison.Ordinal))
            {
                continue;
            }
            anyProperty = true;
            var known = properties.FirstOrDefault(p => p.Name == member.Name);
            if (known is null)
            {
                problems.Add(BaseMessages.PropertyUnknown(path));
            }
            else if (!known.Writable)
            {
                problems.Add(BaseMessages.PropertyNotWritable(path));
            }
            else
            {
                CheckValue(member.Value, known, path, problems, isAction: null);
            }
        }
        if (!anyProperty && prefix.Length == 0)
        {
            problems.Add(BaseMessages.NoOperation());
        }
        return problems;
    }

    /// <summary>
    /// Checks the body of a POST that makes a resource (a session, an account): like a PATCH, but every
    /// <see cref="BodyProperty.Required"/> property must be there, and an empty body is a missing property, not NoOperation.
    /// </summary>
    public static List<RedfishMessage> CheckCreate(JsonElement body, IReadOnlyList<BodyProperty> properties)
    {
        var problems = CheckPatch(body, properties);
        problems.RemoveAll(p => p.MessageId == BaseMessages.NoOperation().MessageId);
        problems.AddRange(properties.Where(p => p.Required && !body.TryGetProperty(p.Name, out _)).Select(p => BaseMessages.PropertyMissing(p.Name)));
        return problems;
    }

    /// <summary>Checks an action body against its parameters.</summary>
    public static List<RedfishMessage> CheckAction(JsonElement body, string action, IReadOnlyList<BodyProperty> parameters)
    {
        var problems = new List<RedfishMessage>();
        foreach (var member in body.EnumerateObject())
        {
            var known = parameters.FirstOrDefault(p => p.Name == member.Name);
            if (known is null)
            {
                problems.Add(BaseMessages.ActionParameterUnknown(action, member.Name));
            }
            else
            {
                CheckValue(member.Value, known, member.Name, problems, action);
            }
        }
        foreach (var missing in parameters.Where(p => p.Required && !body.TryGetProperty(p.Name, out _)))
        {
            problems.Add(BaseMessages.ActionParameterMissing(action, missing.Name));
        }
        return problems;
    }

    private static void CheckValue(JsonElement value, BodyProperty property, string path, List<RedfishMessage> problems, string? isAction)
    {
        var kindMatches = property.Kind switch
        {
            JsonValueKind.True or JsonValueKind.False => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            var kind => value.ValueKind == kind,
        };
        var shown = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
        if (!kindMatches)
        {
            problems.Add(isAction is null
                ? BaseMessages.PropertyValueTypeError(shown, path)
                : BaseMessages.ActionParameterValueTypeError(shown, path, isAction));
            return;
        }
        if (property.AllowedValues is { } allowed && value.ValueKind == JsonValueKind.String && !allowed.Contains(value.GetString()!))
        {
            problems.Add(isAction is null
                ? BaseMessages.PropertyValueNotInList(shown, path)
                : BaseMessages.ActionParameterValueNotInList(shown, path, isAction));
        }
    }
}
