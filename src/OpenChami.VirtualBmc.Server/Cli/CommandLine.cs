namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>A verb's parsed options: <c>--name value</c>, <c>--name=value</c> and flags. Unknown options are errors.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    private CommandLine(string verb) => Verb = verb;

    public string Verb { get; }

    public bool Help { get; private set; }

    public static CommandLine Parse(string verb, IReadOnlyList<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flags)
    {
        var line = new CommandLine(verb);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                line.Help = true;
                continue;
            }
            var (name, inline) = arg.Split('=', 2) is [var n, var v] && n.StartsWith("--", StringComparison.Ordinal) ? (n, v) : (arg, null);
            if (flags.Contains(name) && inline is null)
            {
                line._values[name] = null;
            }
            else if (valueOptions.Contains(name))
            {
                var value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"{verb}: option {name} needs a value"));
                line._values[name] = value;
            }
            else
            {
                throw new UsageException($"{verb}: unknown option '{arg}' (see 'openchami-vbmc {verb} --help')");
            }
        }
        return line;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Require(string name) =>
        Get(name) ?? throw new UsageException($"{Verb}: option {name} is required (see 'openchami-vbmc {Verb} --help')");
}

public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }

    public UsageException() { }

    public UsageException(string message, Exception inner) : base(message, inner) { }
}
