using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace OpenChami.VirtualBmc.TestSupport;

/// <summary>
/// Validates payloads against the official DMTF JSON schemas of the bundle in <see cref="RepoPaths.RedfishSchemaDir"/>.
/// The DMTF files reference each other in cycles (Resource.json ↔ Resource.v1_x.json), so references are resolved
/// lazily while validating instead of by loading whole schema graphs; http://redfish.dmtf.org/schemas/v1/X.json
/// comes from the bundle and nothing is downloaded. The keywords the DMTF schemas use are implemented: $ref, anyOf,
/// oneOf, allOf, type, enum, const, pattern, numeric and length bounds, properties, patternProperties,
/// additionalProperties, required, items. Annotations (description, readonly, units, ...) are ignored.
/// When the bundle is absent the calling test is skipped with a message saying where it was looked for.
/// </summary>
public static class RedfishSchemas
{
    private const string DmtfBase = "http://redfish.dmtf.org/schemas/v1/";
    private static readonly ConcurrentDictionary<string, JsonElement> Files = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    public static string JsonSchemaDir => Path.Combine(RepoPaths.RedfishSchemaDir, "json-schema");

    public static void SkipIfAbsent() =>
        Skip.IfNot(Directory.Exists(JsonSchemaDir),
            $"DMTF Redfish schema bundle not found at {JsonSchemaDir}: set REDFISH_SCHEMA_DIR to the bundle (CI always has it)");

    /// <summary>
    /// The schema file an @odata.type names. "#ComputerSystem.v1_22_0.ComputerSystem" → the newest errata of v1_22
    /// in the bundle (ComputerSystem.v1_22_4.json: errata change no payload rules); collections → the unversioned file.
    /// </summary>
    public static string SchemaFileFor(string odataType)
    {
        var parts = odataType.TrimStart('#').Split('.');
        if (parts.Length != 3)
        {
            return parts[0] + ".json";
        }
        var minor = parts[1][..parts[1].LastIndexOf('_')];
        var errata = Directory.GetFiles(JsonSchemaDir, $"{parts[0]}.{minor}_*.json")
            .Select(Path.GetFileName)
            .OrderBy(f => int.Parse(f!.Split('.')[1].Split('_')[^1], CultureInfo.InvariantCulture))
            .LastOrDefault();
        return errata ?? $"{parts[0]}.{parts[1]}.json";
    }

    /// <summary>Validates a payload against the schema its @odata.type names (or <paramref name="schemaFile"/>); returns the errors.</summary>
    public static IReadOnlyList<string> Validate(string json, string? schemaFile = null)
    {
        SkipIfAbsent();
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        schemaFile ??= SchemaFileFor(root.GetProperty("@odata.type").GetString()!);
        var errors = new List<string>();
        var schema = File(schemaFile);
        Check(root, schemaFile, schema, "$", errors, depth: 0);
        return errors;
    }

    /// <summary>Asserts the payload is valid for its schema, listing every error otherwise.</summary>
    public static void AssertValid(string json, string? schemaFile = null)
    {
        var errors = Validate(json, schemaFile);
        Assert.True(errors.Count == 0, $"payload is not valid for its DMTF schema:\n{string.Join("\n", errors)}\npayload: {json}");
    }

    private static JsonElement File(string name) => Files.GetOrAdd(name, n =>
    {
        var path = Path.Combine(JsonSchemaDir, n);
        Assert.True(System.IO.File.Exists(path), $"the DMTF bundle has no schema {n}");
        using var document = JsonDocument.Parse(System.IO.File.ReadAllText(path));
        return document.RootElement.Clone();
    });

    private static (string File, JsonElement Node) Resolve(string currentFile, string reference)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var target = hash < 0 ? reference : reference[..hash];
        var fragment = hash < 0 ? "" : reference[(hash + 1)..];
        var file = target.Length == 0 ? currentFile
            : target.StartsWith(DmtfBase, StringComparison.Ordinal) ? target[DmtfBase.Length..]
            : target.Contains("://", StringComparison.Ordinal) ? throw new InvalidOperationException($"reference outside the DMTF bundle: {reference}")
            : target;
        var node = File(file);
        foreach (var part in fragment.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node.GetProperty(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));
        }
        return (file, node);
    }

    private static void Check(JsonElement value, string file, JsonElement schema, string path, List<string> errors, int depth)
    {
        if (depth > 64)
        {
            errors.Add($"{path}: schema nesting too deep");
            return;
        }
        if (schema.ValueKind == JsonValueKind.False)
        {
            errors.Add($"{path}: not allowed here");
            return;
        }
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var (targetFile, target) = Resolve(file, reference.GetString()!);
            Check(value, targetFile, target, path, errors, depth + 1);
        }
        if (schema.TryGetProperty("anyOf", out var anyOf) && !anyOf.EnumerateArray().Any(s => Passes(value, file, s, path, depth)))
        {
            errors.Add($"{path}: matches none of the allowed forms (anyOf)");
        }
        if (schema.TryGetProperty("oneOf", out var oneOf) && oneOf.EnumerateArray().Count(s => Passes(value, file, s, path, depth)) != 1)
        {
            errors.Add($"{path}: must match exactly one form (oneOf)");
        }
        if (schema.TryGetProperty("allOf", out var allOf))
        {
            foreach (var s in allOf.EnumerateArray())
            {
                Check(value, file, s, path, errors, depth + 1);
            }
        }
        if (schema.TryGetProperty("type", out var type) && !TypeMatches(value, type))
        {
            errors.Add($"{path}: is {value.ValueKind}, schema wants {type}");
            return;
        }
        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
        {
            errors.Add($"{path}: {value} is not one of {allowed}");
        }
        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value))
        {
            errors.Add($"{path}: must be {constant}");
        }
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                CheckString(value.GetString()!, schema, path, errors);
                break;
            case JsonValueKind.Number:
                CheckNumber(value.GetDouble(), schema, path, errors);
                break;
            case JsonValueKind.Object:
                CheckObject(value, file, schema, path, errors, depth);
                break;
            case JsonValueKind.Array:
                CheckArray(value, file, schema, path, errors, depth);
                break;
        }
    }

    private static bool Passes(JsonElement value, string file, JsonElement schema, string path, int depth)
    {
        var scratch = new List<string>();
        Check(value, file, schema, path, scratch, depth + 1);
        return scratch.Count == 0;
    }

    private static bool TypeMatches(JsonElement value, JsonElement type) => type.ValueKind == JsonValueKind.Array
        ? type.EnumerateArray().Any(t => TypeMatches(value, t.GetString()!))
        : TypeMatches(value, type.GetString()!);

    private static bool TypeMatches(JsonElement value, string type) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => false,
    };

    private static void CheckString(string text, JsonElement schema, string path, List<string> errors)
    {
        if (schema.TryGetProperty("pattern", out var pattern))
        {
            var regex = Patterns.GetOrAdd(pattern.GetString()!, p => new Regex(p, RegexOptions.CultureInvariant));
            if (!regex.IsMatch(text))
            {
                errors.Add($"{path}: '{text}' does not match {pattern}");
            }
        }
        if (schema.TryGetProperty("minLength", out var min) && text.Length < min.GetInt32())
        {
            errors.Add($"{path}: shorter than {min}");
        }
        if (schema.TryGetProperty("maxLength", out var max) && text.Length > max.GetInt32())
        {
            errors.Add($"{path}: longer than {max}");
        }
    }

    private static void CheckNumber(double number, JsonElement schema, string path, List<string> errors)
    {
        if (schema.TryGetProperty("minimum", out var min) && number < min.GetDouble())
        {
            errors.Add($"{path}: {number.ToString(CultureInfo.InvariantCulture)} is below the minimum {min}");
        }
        if (schema.TryGetProperty("maximum", out var max) && number > max.GetDouble())
        {
            errors.Add($"{path}: {number.ToString(CultureInfo.InvariantCulture)} is above the maximum {max}");
        }
    }

    private static void CheckObject(JsonElement value, string file, JsonElement schema, string path, List<string> errors, int depth)
    {
        var properties = schema.TryGetProperty("properties", out var p) ? p : default;
        var patterns = schema.TryGetProperty("patternProperties", out var pp) ? pp.EnumerateObject().ToList() : [];
        var additional = schema.TryGetProperty("additionalProperties", out var ap) ? ap : default;
        foreach (var member in value.EnumerateObject())
        {
            var childPath = $"{path}.{member.Name}";
            var matched = false;
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(member.Name, out var propertySchema))
            {
                matched = true;
                Check(member.Value, file, propertySchema, childPath, errors, depth + 1);
            }
            foreach (var pattern in patterns)
            {
                if (Patterns.GetOrAdd(pattern.Name, n => new Regex(n, RegexOptions.CultureInvariant)).IsMatch(member.Name))
                {
                    matched = true;
                    Check(member.Value, file, pattern.Value, childPath, errors, depth + 1);
                }
            }
            if (!matched && additional.ValueKind != JsonValueKind.Undefined)
            {
                if (additional.ValueKind == JsonValueKind.False)
                {
                    errors.Add($"{childPath}: property not defined by the schema");
                }
                else
                {
                    Check(member.Value, file, additional, childPath, errors, depth + 1);
                }
            }
        }
        if (schema.TryGetProperty("required", out var required))
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!).Where(n => !value.TryGetProperty(n, out _)))
            {
                errors.Add($"{path}: required property {name} is missing");
            }
        }
    }

    private static void CheckArray(JsonElement value, string file, JsonElement schema, string path, List<string> errors, int depth)
    {
        if (schema.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Object)
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Check(item, file, items, $"{path}[{i++}]", errors, depth + 1);
            }
        }
        if (schema.TryGetProperty("minItems", out var min) && value.GetArrayLength() < min.GetInt32())
        {
            errors.Add($"{path}: fewer than {min} items");
        }
        if (schema.TryGetProperty("maxItems", out var max) && value.GetArrayLength() > max.GetInt32())
        {
            errors.Add($"{path}: more than {max} items");
        }
    }
}
