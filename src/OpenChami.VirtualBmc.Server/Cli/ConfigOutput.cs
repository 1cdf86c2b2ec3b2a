using System.Text.Json;
using System.Text.Json.Serialization;
using OpenChami.VirtualBmc.Slots.Configuration;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>How configuration problems are shown: compiler-style lines for people, JSON for tools.</summary>
public static partial class ConfigOutput
{
    public static void WriteProblems(IReadOnlyList<ConfigProblem> problems, bool json, TextWriter stdout, TextWriter stderr)
    {
        if (json)
        {
            WriteJson(stdout, new ValidationJson(false, problems.Select(p => new ProblemJson(p.Where.File, p.Where.Line, p.Where.Column, p.Code, p.Message)).ToList(), []));
            return;
        }
        foreach (var problem in problems)
        {
            stderr.WriteLine(problem.ToString());
        }
        stderr.WriteLine($"{problems.Count} configuration problem{(problems.Count == 1 ? "" : "s")}; nothing was started");
    }

    public static void WriteJson(TextWriter stdout, ValidationJson value) =>
        stdout.WriteLine(JsonSerializer.Serialize(value, CliJsonContext.Default.ValidationJson));

    public sealed record ValidationJson(bool ConfigValid, IReadOnlyList<ProblemJson> ConfigProblems, IReadOnlyList<string> Slots);

    public sealed record ProblemJson(string File, int Line, int Column, string Code, string Message);

    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
    [JsonSerializable(typeof(ValidationJson))]
    internal sealed partial class CliJsonContext : JsonSerializerContext;
}
