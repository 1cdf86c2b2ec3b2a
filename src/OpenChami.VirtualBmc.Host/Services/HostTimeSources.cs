namespace OpenChami.VirtualBmc.Host.Services;

/// <summary>The NTP servers a time daemon's configuration names, and which daemon's files named them.</summary>
public sealed record TimeSources(IReadOnlyList<string> Servers, IReadOnlyList<string> Daemons)
{
    public bool Configured => Servers.Count > 0;
}

/// <summary>
/// Reads the NTP servers the host's time daemons are configured with, from their configuration files only (no daemon
/// is asked, nothing is run): systemd-timesyncd (<c>/etc/systemd/timesyncd.conf</c> and <c>timesyncd.conf.d/*.conf</c>,
/// <c>NTP=</c>, else <c>FallbackNTP=</c>), chrony (<c>/etc/chrony/chrony.conf</c>, <c>/etc/chrony.conf</c>,
/// <c>/etc/chrony/conf.d/*.conf</c>, <c>/etc/chrony/sources.d/*.sources</c>: <c>server</c>/<c>pool</c> lines) and
/// ntpsec/ntp (<c>/etc/ntpsec/ntp.conf</c>, <c>/etc/ntp.conf</c>: <c>server</c>/<c>pool</c> lines). The root is
/// injectable so tests read a temporary tree. A file that cannot be read counts as absent.
/// </summary>
public sealed class HostTimeSources(string root = "/")
{
    public TimeSources Read()
    {
        var servers = new List<string>();
        var daemons = new List<string>();
        Add("systemd-timesyncd", Timesyncd(), servers, daemons);
        Add("chrony", ServerLines(["etc/chrony/chrony.conf", "etc/chrony.conf", .. Matching("etc/chrony/conf.d", "*.conf"), .. Matching("etc/chrony/sources.d", "*.sources")]),
            servers, daemons);
        Add("ntpsec", ServerLines(["etc/ntpsec/ntp.conf", "etc/ntp.conf"]), servers, daemons);
        return new TimeSources(servers, daemons);
    }

    private static void Add(string daemon, List<string> found, List<string> servers, List<string> daemons)
    {
        if (found.Count == 0)
        {
            return;
        }
        daemons.Add(daemon);
        servers.AddRange(found.Where(s => !servers.Contains(s, StringComparer.OrdinalIgnoreCase)));
    }

    /// <summary>systemd's drop-in rule: later files override; an empty assignment resets the list.</summary>
    private List<string> Timesyncd()
    {
        List<string> ntp = [], fallback = [];
        foreach (var line in Lines(["etc/systemd/timesyncd.conf", .. Matching("etc/systemd/timesyncd.conf.d", "*.conf")]))
        {
            if (Assignment(line, "NTP") is { } servers)
            {
                ntp = servers;
            }
            else if (Assignment(line, "FallbackNTP") is { } fallbacks)
            {
                fallback = fallbacks;
            }
        }
        return ntp.Count > 0 ? ntp : fallback;
    }

    private static List<string>? Assignment(string line, string key)
    {
        var equals = line.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && line[..equals].Trim() == key
            ? line[(equals + 1)..].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries).ToList()
            : null;
    }

    /// <summary>chrony's and ntpd's <c>server NAME [options]</c> and <c>pool NAME [options]</c>.</summary>
    private List<string> ServerLines(IEnumerable<string> files) =>
        Lines(files)
            .Select(l => l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length >= 2 && words[0] is "server" or "pool")
            .Select(words => words[1])
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();

    /// <summary>The meaningful lines of the files that exist, comments and blank lines dropped.</summary>
    private IEnumerable<string> Lines(IEnumerable<string> relativeFiles)
    {
        foreach (var relative in relativeFiles)
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(Path.Combine(root, relative));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var raw in lines)
            {
                var line = raw.Trim();
                if (line.Length > 0 && line[0] is not ('#' or ';' or '!' or '%' or '['))
                {
                    yield return line;
                }
            }
        }
    }

    private List<string> Matching(string relativeDirectory, string pattern)
    {
        var directory = Path.Combine(root, relativeDirectory);
        try
        {
            return Directory.Exists(directory)
                ? Directory.GetFiles(directory, pattern).Order(StringComparer.Ordinal).Select(f => Path.GetRelativePath(root, f)).ToList()
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
