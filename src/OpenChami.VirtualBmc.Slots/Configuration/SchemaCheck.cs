using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>
/// Checks a configuration tree against the project's JSON Schema (schemas/*.schema.json, embedded) and turns each
/// failure into a problem at the operator's line and column, in words rather than schema keywords.
/// </summary>
internal sealed class SchemaCheck
{
    public static readonly SchemaCheck NodeType = new("node-type.schema.json");
    public static readonly SchemaCheck Host = new("host.schema.json");
    public static readonly SchemaCheck Accounts = new("accounts.schema.json");
    public static readonly SchemaCheck AccountChanges = new("account-changes.schema.json");
    public static readonly SchemaCheck ImageCatalog = new("image-catalog.schema.json");
    public static readonly SchemaCheck InventoryExport = new("inventory-export.schema.json");

    private readonly JsonSchema _schema;
    private readonly JsonNode _schemaJson;

    private SchemaCheck(string resourceName)
    {
        var text = ReadSchemaText(resourceName);
        _schemaJson = JsonNode.Parse(text)!;
        // A private registry per schema: the global one would refuse the same $id twice (tests build many hosts).
        _schema = JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }

    public static string ReadSchemaText(string resourceName)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("schemas/" + resourceName)
            ?? throw new InvalidOperationException($"schema {resourceName} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public void Check(YamlDocument document, List<ConfigProblem> problems)
    {
        using var json = JsonDocument.Parse(document.Root?.ToJsonString() ?? "null");
        var result = _schema.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return;
        }
        var seen = new HashSet<(string, string)>();
        foreach (var detail in result.Details ?? [])
        {
            // Branches of oneOf/anyOf fail by design; the combinator reports for them when it fails itself.
            if (detail.Errors is null || detail.IsValid || IsInsideAlternative(detail.EvaluationPath.ToString()))
            {
                continue;
            }
            var pointer = detail.InstanceLocation.ToString();
            foreach (var (keyword, message) in detail.Errors)
            {
                var problem = Describe(document, pointer, keyword, message, detail);
                if (problem is not null && seen.Add((problem.Where.ToString(), problem.Message)))
                {
                    problems.Add(problem);
                }
            }
        }
    }

    private ConfigProblem? Describe(YamlDocument document, string pointer, string keyword, string message, EvaluationResults detail)
    {
        var instance = Resolve(document.Root, pointer);
        var name = pointer.Length == 0 ? "the file" : $"'{Unescape(pointer[(pointer.LastIndexOf('/') + 1)..])}'";
        var schemaNode = SchemaAt(detail);
        if (detail.EvaluationPath.ToString().EndsWith("/additionalProperties", StringComparison.Ordinal))
        {
            return null; // additionalProperties: false — reported per key by CheckUnknownKeys, at the key itself
        }
        switch (keyword)
        {
            case "required":
                var present = instance as JsonObject;
                var missing = (schemaNode?["required"] as JsonArray)?.Select(n => n!.GetValue<string>())
                    .Where(k => present is null || !present.ContainsKey(k)).ToList() ?? [];
                var where = pointer.Length == 0 ? "at the top level" : $"in {PathName(pointer)}";
                return new ConfigProblem(document.At(pointer), ProblemCodes.MissingKey,
                    $"missing key {string.Join(", ", missing.Select(k => $"'{k}'"))} {where}");
            case "additionalProperties" or "propertyNames" or "false":
                return null; // reported per key below, where the unknown key itself is written
            case "type":
                var expected = schemaNode?["type"] switch
                {
                    JsonArray types => string.Join(" or ", types.Select(t => Article(t!.GetValue<string>()))),
                    JsonValue type => Article(type.GetValue<string>()),
                    _ => "another type",
                };
                return new ConfigProblem(document.At(pointer), ProblemCodes.WrongType,
                    $"{name} must be {expected}, not {Describe(instance)}");
            case "enum":
                var allowed = (schemaNode?["enum"] as JsonArray)?.Select(n => n!.ToJsonString().Trim('"')) ?? [];
                return new ConfigProblem(document.At(pointer), ProblemCodes.InvalidValue,
                    $"{name} is {Describe(instance)}; allowed values are {string.Join(", ", allowed)}");
            case "pattern":
                return new ConfigProblem(document.At(pointer), ProblemCodes.InvalidValue,
                    $"{name} is {Describe(instance)}, which is not of the expected form{Hint(schemaNode)}");
            case "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum":
                return new ConfigProblem(document.At(pointer), ProblemCodes.InvalidValue,
                    $"{name} is {Describe(instance)}; it must be {RangeText(schemaNode)}");
            case "minItems" or "maxItems" or "minLength" or "maxLength" or "minProperties":
                return new ConfigProblem(document.At(pointer), ProblemCodes.InvalidValue, $"{name}: {message}");
            case "oneOf" when (schemaNode?["oneOf"]) is JsonArray alternatives:
                var keys = alternatives.Select(a => (a?["required"] as JsonArray)?.FirstOrDefault()?.GetValue<string>()).OfType<string>().ToList();
                return new ConfigProblem(document.At(pointer), ProblemCodes.InvalidValue,
                    $"{name} must have exactly one of {string.Join(", ", keys.Select(k => $"'{k}'"))}");
            default:
                return new ConfigProblem(document.At(pointer), ProblemCodes.InvalidValue, $"{name}: {message}");
        }
    }

    /// <summary>Unknown keys, found by walking the tree beside the schema: one problem per key, at the key.</summary>
    public void CheckUnknownKeys(YamlDocument document, List<ConfigProblem> problems) =>
        WalkUnknown(document, document.Root, _schemaJson, "", problems);

    private void WalkUnknown(YamlDocument document, JsonNode? node, JsonNode? schema, string pointer, List<ConfigProblem> problems)
    {
        schema = Deref(schema);
        if (schema is null || node is null)
        {
            return;
        }
        if (node is JsonObject obj)
        {
            var properties = schema["properties"] as JsonObject;
            var additional = Deref(schema["additionalProperties"]);
            foreach (var (key, value) in obj)
            {
                var childPointer = pointer + "/" + key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
                if (properties?[key] is { } propertySchema)
                {
                    WalkUnknown(document, value, propertySchema, childPointer, problems);
                }
                else if (additional is JsonValue v && v.GetValueKind() == JsonValueKind.False)
                {
                    var known = properties?.Select(p => p.Key).ToList() ?? [];
                    problems.Add(new ConfigProblem(document.KeyAt(childPointer), ProblemCodes.UnknownKey,
                        $"unknown key '{key}'{Suggest(key, known)}; allowed here: {string.Join(", ", known)}"));
                }
                else if (additional is JsonObject)
                {
                    WalkUnknown(document, value, additional, childPointer, problems);
                }
            }
        }
        else if (node is JsonArray array && schema["items"] is { } items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                WalkUnknown(document, array[i], items, $"{pointer}/{i}", problems);
            }
        }
    }

    private JsonNode? Deref(JsonNode? schema)
    {
        while (schema is JsonObject o && o["$ref"] is JsonValue reference)
        {
            schema = ResolveSchemaPointer(reference.GetValue<string>().TrimStart('#'));
        }
        return schema;
    }

    private JsonNode? SchemaAt(EvaluationResults detail)
    {
        var fragment = detail.SchemaLocation.Fragment;
        return ResolveSchemaPointer(Uri.UnescapeDataString(fragment.TrimStart('#')));
    }

    private JsonNode? ResolveSchemaPointer(string pointer) => Resolve(_schemaJson, pointer);

    private static JsonNode? Resolve(JsonNode? root, string pointer)
    {
        var node = root;
        if (string.IsNullOrEmpty(pointer))
        {
            return node;
        }
        foreach (var raw in pointer.TrimStart('/').Split('/'))
        {
            var part = Unescape(raw);
            node = node switch
            {
                JsonObject o => o[part],
                JsonArray a when int.TryParse(part, out var i) && i < a.Count => a[i],
                _ => null,
            };
        }
        return node;
    }

    private static bool IsInsideAlternative(string evaluationPath) =>
        evaluationPath.Contains("/oneOf/", StringComparison.Ordinal) || evaluationPath.Contains("/anyOf/", StringComparison.Ordinal);

    /// <summary>"/vmSlots/1/devices/0" → "vmSlots[1].devices[0]": how an operator finds the entry.</summary>
    private static string PathName(string pointer)
    {
        var text = new System.Text.StringBuilder();
        foreach (var part in pointer.TrimStart('/').Split('/'))
        {
            if (int.TryParse(part, System.Globalization.CultureInfo.InvariantCulture, out var index))
            {
                text.Append('[').Append(index).Append(']');
            }
            else
            {
                text.Append(text.Length > 0 ? "." : "").Append(Unescape(part));
            }
        }
        return text.ToString();
    }

    private static string Unescape(string part) => part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    private static string Describe(JsonNode? value) => value switch
    {
        null => "empty",
        JsonObject => "a mapping",
        JsonArray => "a list",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => $"'{v.GetValue<string>()}' (text)",
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => $"{v.ToJsonString()} (a boolean)",
        _ => $"{value.ToJsonString()} (a number)",
    };

    private static string Article(string type) => type switch
    {
        "integer" => "a whole number",
        "number" => "a number",
        "string" => "text",
        "boolean" => "true or false",
        "object" => "a mapping of keys to values",
        "array" => "a list",
        _ => type,
    };

    private static string Hint(JsonNode? schema) =>
        schema?["description"] is JsonValue d ? $" ({d.GetValue<string>()})" : "";

    private static string RangeText(JsonNode? schema)
    {
        var min = schema?["minimum"]?.ToJsonString();
        var max = schema?["maximum"]?.ToJsonString();
        return (min, max) switch
        {
            ({ } lo, { } hi) => $"between {lo} and {hi}",
            ({ } lo, null) => $"at least {lo}",
            (null, { } hi) => $"at most {hi}",
            _ => "in range",
        };
    }

    /// <summary>"did you mean" for a typo: the known key at the smallest edit distance, if it is close.</summary>
    internal static string Suggest(string key, IEnumerable<string> known)
    {
        var best = known.Select(k => (k, d: EditDistance(key.ToLowerInvariant(), k.ToLowerInvariant()))).OrderBy(t => t.d).FirstOrDefault();
        return best.k is not null && best.d <= Math.Max(2, key.Length / 3) ? $" (did you mean '{best.k}'?)" : "";
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
