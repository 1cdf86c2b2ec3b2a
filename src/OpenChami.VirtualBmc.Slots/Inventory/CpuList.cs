using System.Globalization;

namespace OpenChami.VirtualBmc.Slots.Inventory;

/// <summary>The kernel's list format (<c>0-31,64-95</c>) used by cpulist, node/online and cpu/online.</summary>
public static class CpuList
{
    /// <summary>Parses a list; malformed parts are skipped rather than thrown on (sysfs is read, not trusted to be tidy).</summary>
    public static IReadOnlySet<int> Parse(string text)
    {
        var result = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var single))
                {
                    result.Add(single);
                }
            }
            else if (int.TryParse(part.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                     && int.TryParse(part.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var to)
                     && from <= to)
            {
                for (var i = from; i <= to; i++)
                {
                    result.Add(i);
                }
            }
        }
        return result;
    }

    /// <summary>Formats a set back into ranges: {0,1,2,5} → "0-2,5".</summary>
    public static string Format(IEnumerable<int> cpus)
    {
        var parts = new List<string>();
        int? start = null, prev = null;
        foreach (var c in cpus.Distinct().Order())
        {
            if (prev is { } p && c == p + 1)
            {
                prev = c;
                continue;
            }
            if (start is { } s) parts.Add(Range(s, prev!.Value));
            start = prev = c;
        }
        if (start is { } last) parts.Add(Range(last, prev!.Value));
        return string.Join(',', parts);

        static string Range(int a, int b) => a == b ? a.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{a}-{b}");
    }
}
