using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenChami.VirtualBmc.Server.Audit;

/// <summary>
/// Makes anything a client sends writable as audit JSON: lone surrogates become their visible escape (\ud800), a
/// string JSON cannot decode (an invalid escape, invalid UTF-8) is kept as its raw text, secrets are redacted. Never
/// throws on content: the audit must be able to record a request whatever it carries.
/// </summary>
public static class AuditText
{
    private static readonly HashSet<string> Secret = new(StringComparer.OrdinalIgnoreCase) { "Password", "Token", "X-Auth-Token" };

    /// <summary>The text with every unpaired surrogate written as \uXXXX, so it can be encoded as UTF-8.</summary>
    public static string Clean(string text)
    {
        StringBuilder? cleaned = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var paired = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            if (paired)
            {
                cleaned?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                cleaned ??= new StringBuilder(text, 0, i, text.Length + 8);
                cleaned.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                continue;
            }
            cleaned?.Append(c);
        }
        return cleaned?.ToString() ?? text;
    }

    public static string? CleanOrNull(string? text) => text is null ? null : Clean(text);

    /// <summary>A copy of a JSON tree with every name and string cleaned (see <see cref="Clean(string)"/>).</summary>
    public static JsonNode? Clean(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(Clean(p.Key), Clean(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Clean).ToArray()),
        JsonValue value when value.TryGetValue<string>(out var text) => JsonValue.Create(Clean(text)),
        null => null,
        _ => node.DeepClone(),
    };

    /// <summary>A request body as audit parameters: a cleaned, redacted copy of its JSON, or a note of what it was.</summary>
    public static JsonNode? Parameters(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
            return Copy(document.RootElement, null);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // Malformed JSON (ArgumentException: a duplicate key) is recorded as such; the handler answers it.
            return JsonValue.Create($"(unparsable body, {body.Length} bytes)");
        }
    }

    private static JsonNode? Copy(JsonElement element, string? name)
    {
        if (name is not null && Secret.Contains(name))
        {
            return JsonValue.Create("(redacted)");
        }
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    var key = NameOf(property);
                    obj[key] = Copy(property.Value, key); // a duplicate key (allowed here) keeps the last
                }
                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(Copy(item, null));
                }
                return array;
            case JsonValueKind.String:
                return JsonValue.Create(StringOf(element));
            case JsonValueKind.Null:
                return null;
            default:
                return JsonNode.Parse(element.GetRawText());
        }
    }

    private static string StringOf(JsonElement element)
    {
        try
        {
            return Clean(element.GetString()!);
        }
        catch (InvalidOperationException)
        {
            try
            {
                // An escape that decodes to no text (a lone surrogate): the raw escape is ASCII and says what was sent.
                return "(malformed text) " + Clean(element.GetRawText()[1..^1]);
            }
            catch (InvalidOperationException)
            {
                return "(malformed text: invalid UTF-8)";
            }
        }
    }

    private static string NameOf(JsonProperty property)
    {
        try
        {
            return Clean(property.Name);
        }
        catch (InvalidOperationException)
        {
            return "(malformed name)";
        }
    }
}
