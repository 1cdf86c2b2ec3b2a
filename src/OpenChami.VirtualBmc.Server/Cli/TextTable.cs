namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>The CLI's plain tables: every column but the last padded to its widest cell, two spaces apart.</summary>
internal static class TextTable
{
    public static void Write(TextWriter output, IReadOnlyList<string[]> rows)
    {
        var last = rows[0].Length - 1;
        var widths = Enumerable.Range(0, last).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Take(last).Select((cell, c) => cell.PadRight(widths[c])).Append(row[last])));
        }
    }
}
