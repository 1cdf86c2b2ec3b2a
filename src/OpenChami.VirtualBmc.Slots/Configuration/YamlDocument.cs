using System.Globalization;
using System.Text.Json.Nodes;
using OpenChami.VirtualBmc.Slots.Catalog;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>
/// A YAML file read into a JSON tree, remembering where every value and key stood, so that schema and rule
/// failures (which speak JSON pointers) can be reported with the operator's line and column.
/// </summary>
internal sealed class YamlDocument
{
    private readonly Dictionary<string, SourceLocation> _valueMarks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceLocation> _keyMarks = new(StringComparer.Ordinal);

    private YamlDocument(string file) => File = file;

    public string File { get; }

    public JsonNode? Root { get; private set; }

    /// <summary>Reads the text; syntax problems (and duplicate keys, which YAML forbids) are added to <paramref name="problems"/>.</summary>
    public static YamlDocument? Parse(string file, string text, List<ConfigProblem> problems)
    {
        if (TabIndentation(file, text) is { Count: > 0 } tabs)
        {
            problems.AddRange(tabs);
            return null;
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var message = e.InnerException?.Message ?? e.Message;
            // YamlDotNet prefixes its own "(Lin: x, Col: y, ...)" marks; ours come from Start.
            var closing = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith("(Line", StringComparison.Ordinal) && closing > 0)
            {
                message = message[(closing + 3)..];
            }
            var code = message.Contains("Duplicate key", StringComparison.OrdinalIgnoreCase) ? ProblemCodes.DuplicateKey : ProblemCodes.YamlSyntax;
            problems.Add(new ConfigProblem(new SourceLocation(file, (int)e.Start.Line, (int)e.Start.Column), code, message));
            return null;
        }
        var document = new YamlDocument(file);
        if (stream.Documents.Count == 0)
        {
            problems.Add(new ConfigProblem(SourceLocation.StartOf(file), ProblemCodes.YamlSyntax, "the file is empty"));
            return null;
        }
        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode.Start;
            problems.Add(new ConfigProblem(new SourceLocation(file, (int)second.Line, (int)second.Column), ProblemCodes.YamlSyntax,
                "the file holds more than one YAML document; put one configuration in a file"));
            return null;
        }
        document.Root = document.Convert(stream.Documents[0].RootNode, "", problems);
        return document;
    }

    /// <summary>
    /// Tabs in indentation: YAML forbids them and YamlDotNet reports them at the end of the line before, so find
    /// them first and point at the tab itself. A document that is one flow collection (JSON, such as the inventory
    /// export) has no indentation: tabs there are plain white space.
    /// </summary>
    private static List<ConfigProblem> TabIndentation(string file, string text)
    {
        var problems = new List<ConfigProblem>();
        if (text.TrimStart().StartsWith('{') || text.TrimStart().StartsWith('['))
        {
            return problems;
        }
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indent)
            {
                problems.Add(new ConfigProblem(new SourceLocation(file, i + 1, tab + 1), ProblemCodes.YamlSyntax,
                    "a tab in the indentation; YAML indents with spaces only"));
            }
        }
        return problems;
    }

    /// <summary>Where the value at a JSON pointer was written (the nearest written ancestor if it was not).</summary>
    public SourceLocation At(string pointer)
    {
        for (var p = pointer; ; p = p[..p.LastIndexOf('/')])
        {
            if (_valueMarks.TryGetValue(p, out var mark))
            {
                return mark;
            }
            if (p.Length == 0)
            {
                return SourceLocation.StartOf(File);
            }
        }
    }

    /// <summary>Where the key of the member at a JSON pointer was written, falling back to its value.</summary>
    public SourceLocation KeyAt(string pointer) => _keyMarks.TryGetValue(pointer, out var mark) ? mark : At(pointer);

    private SourceLocation Mark(YamlNode node) => new(File, (int)node.Start.Line, (int)node.Start.Column);

    private JsonNode? Convert(YamlNode node, string pointer, List<ConfigProblem> problems)
    {
        _valueMarks[pointer] = Mark(node);
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in map.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        problems.Add(new ConfigProblem(Mark(keyNode), ProblemCodes.YamlSyntax, "a key must be a plain name"));
                        continue;
                    }
                    var childPointer = pointer + "/" + EscapePointer(key);
                    _keyMarks[childPointer] = Mark(keyNode);
                    obj[key] = Convert(valueNode, childPointer, problems);
                }
                return obj;
            case YamlSequenceNode seq:
                var array = new JsonArray();
                for (var i = 0; i < seq.Children.Count; i++)
                {
                    array.Add(Convert(seq.Children[i], pointer + "/" + i.ToString(CultureInfo.InvariantCulture), problems));
                }
                return array;
            case YamlScalarNode scalar:
                return ConvertScalar(scalar);
            default:
                problems.Add(new ConfigProblem(Mark(node), ProblemCodes.YamlSyntax, "unsupported YAML node"));
                return null;
        }
    }

    /// <summary>YAML 1.2 core schema typing for plain scalars; quoted scalars are always strings.</summary>
    private static JsonValue? ConvertScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain || scalar.Tag == "tag:yaml.org,2002:str")
        {
            return JsonValue.Create(value);
        }
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (IsDecimalInteger(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }
        if (LooksLikeFloat(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            return JsonValue.Create(real);
        }
        return JsonValue.Create(value);
    }

    private static bool IsDecimalInteger(string s)
    {
        var start = s.Length > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
        return s.Length > start && s.AsSpan(start).IndexOfAnyExceptInRange('0', '9') < 0;
    }

    private static bool LooksLikeFloat(string s) =>
        s.Length > 0 && (char.IsAsciiDigit(s[0]) || s[0] is '-' or '+' or '.') && s.AsSpan().IndexOfAnyExcept(FloatChars) < 0;

    private static readonly System.Buffers.SearchValues<char> FloatChars = System.Buffers.SearchValues.Create("0123456789.eE+-");

    private static string EscapePointer(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
