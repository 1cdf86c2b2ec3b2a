using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>
/// Typed access to a tree the schema has already accepted, with the source location of every value.
/// Shapes are not re-checked here: the schema did that, so a mismatch is a bug, not operator input.
/// </summary>
internal readonly struct TreeReader(YamlDocument document, JsonNode? node, string pointer)
{
    public string Pointer => pointer;

    public SourceLocation Where => document.At(pointer);

    /// <summary>Where the key <paramref name="key"/> of this mapping was written (its value's place when absent).</summary>
    public SourceLocation KeyWhere(string key) => document.KeyAt($"{pointer}/{key}");

    public bool Has(string key) => node is JsonObject o && o[key] is not null;

    public TreeReader this[string key] => new(document, (node as JsonObject)?[key], $"{pointer}/{key}");

    public IEnumerable<TreeReader> Items()
    {
        if (node is not JsonArray array)
        {
            yield break;
        }
        for (var i = 0; i < array.Count; i++)
        {
            yield return new TreeReader(document, array[i], pointer + "/" + i.ToString(CultureInfo.InvariantCulture));
        }
    }

    public IEnumerable<(string Key, TreeReader Value)> Members()
    {
        if (node is not JsonObject obj)
        {
            yield break;
        }
        foreach (var (key, _) in obj)
        {
            yield return (key, this[key]);
        }
    }

    public string? String(string key) => (node as JsonObject)?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public string? AsString() => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public int? Int(string key) => (node as JsonObject)?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? (int)v.GetValue<long>() : null;

    public bool? Bool(string key) => (node as JsonObject)?[key] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    public string? RawJson(string key) => (node as JsonObject)?[key]?.ToJsonString();

    /// <summary>The subtree under <paramref name="key"/> (a copy), for values kept as data rather than read field by field.</summary>
    public JsonNode? Node(string key) => (node as JsonObject)?[key]?.DeepClone();
}
