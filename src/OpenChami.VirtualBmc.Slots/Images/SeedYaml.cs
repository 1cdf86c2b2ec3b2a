using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OpenChami.VirtualBmc.Slots.Images;

/// <summary>
/// Writes a JSON tree as block-style YAML for cloud-init. Keys keep their order, lines are never folded and the
/// newline is "\n", so one tree always gives the same bytes. cloud-init reads YAML 1.1 (PyYAML), where plain
/// <c>yes</c>, <c>on</c>, <c>52:54:00:12:34:56</c> (base 60) or <c>2024-01-01</c> are not strings; every string that
/// is not plainly a word is therefore quoted.
/// </summary>
internal static class SeedYaml
{
    public static string Write(JsonNode? tree)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(text, new EmitterSettings().WithBestIndent(2).WithBestWidth(int.MaxValue).WithNewLine("\n"));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, tree);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject map:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, isImplicit: true, MappingStyle.Block));
                foreach (var (key, value) in map)
                {
                    Text(emitter, key);
                    Emit(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray list:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, isImplicit: true, SequenceStyle.Block));
                foreach (var item in list)
                {
                    Emit(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                Text(emitter, value.GetValue<string>());
                break;
            case null:
                Plain(emitter, "null");
                break;
            default:
                // Numbers and booleans: their JSON spelling is also their YAML spelling.
                Plain(emitter, node.ToJsonString());
                break;
        }
    }

    private static void Text(IEmitter emitter, string value)
    {
        // Multi-line text as a literal block (scripts stay readable) unless it holds characters a block cannot keep (\r).
        var style = IsPlainWord(value) ? ScalarStyle.Plain
            : value.Contains('\n', StringComparison.Ordinal) && !value.Any(c => char.IsControl(c) && c is not '\n' and not '\t') ? ScalarStyle.Literal
            : ScalarStyle.DoubleQuoted;
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value, style, isPlainImplicit: style == ScalarStyle.Plain, isQuotedImplicit: true));
    }

    private static void Plain(IEmitter emitter, string value) =>
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));

    /// <summary>
    /// Safe unquoted in YAML 1.1 and 1.2: starts with a letter or '/', then letters, digits and <c>_ . / @ + -</c> or
    /// inner spaces, and is none of the words YAML 1.1 reads as booleans or null. No ':' (base 60, keys), no leading
    /// digit (numbers, dates), no indicator characters.
    /// </summary>
    internal static bool IsPlainWord(string value)
    {
        if (value.Length == 0 || !(char.IsAsciiLetter(value[0]) || value[0] == '/') || value[^1] == ' ')
        {
            return false;
        }
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or '@' or '+' or '-' or ' '))
            {
                return false;
            }
        }
        return !Yaml11Words.Contains(value);
    }

    private static readonly HashSet<string> Yaml11Words = new(StringComparer.OrdinalIgnoreCase)
    {
        "y", "n", "yes", "no", "true", "false", "on", "off", "null",
    };
}
