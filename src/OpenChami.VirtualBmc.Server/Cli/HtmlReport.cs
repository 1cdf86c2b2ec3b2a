using System.Globalization;
using OpenChami.VirtualBmc.Report;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>The --html FILE option of validate and inventory: the audit page written to a file, and how long rendering took.</summary>
internal static class HtmlReport
{
    /// <summary>What happened: nothing asked, written (with its render time for --timings), or failed (reason on stderr).</summary>
    public readonly record struct Outcome(bool Failed, string Timing);

    public static Outcome Write(string? path, Func<TopologyAudit> audit, TextWriter stderr)
    {
        if (path is null)
        {
            return new Outcome(false, "");
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var page = TopologyPage.Render(audit());
        var rendered = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        try
        {
            File.WriteAllBytes(path, page);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: cannot write the HTML report to {path}: {e.Message}");
            return new Outcome(true, "");
        }
        return new Outcome(false, string.Create(CultureInfo.InvariantCulture, $", render html {rendered.TotalMilliseconds:F1} ms ({page.Length} bytes)"));
    }
}
