namespace OpenChami.VirtualBmc.Host.Services;

/// <summary>
/// Installed Debian package versions, from dpkg's status database (<c>/var/lib/dpkg/status</c>; the path is
/// injectable for tests). A package is installed when its <c>Status</c> ends in "installed"; anything else, a missing
/// stanza or an unreadable file, is "not installed" (null). The file (~1 MB) is scanned again only when it changed
/// (its time and length), so every read is current without a scan per GET.
/// </summary>
public sealed class DpkgStatus(string path = DpkgStatus.DefaultPath)
{
    public const string DefaultPath = "/var/lib/dpkg/status";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTime Written, long Length, string? Version)> _known = new(StringComparer.Ordinal);

    public string? InstalledVersion(string package)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return null;
        }
        if (_known.TryGetValue(package, out var known) && known.Written == file.LastWriteTimeUtc && known.Length == file.Length)
        {
            return known.Version;
        }
        var version = Scan(package);
        _known[package] = (file.LastWriteTimeUtc, file.Length, version);
        return version;
    }

    private string? Scan(string package)
    {
        IEnumerable<string> lines;
        try
        {
            lines = File.ReadLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        string? name = null, status = null, version = null;
        try
        {
            // Stanzas are separated by a blank line; the file ends without one sometimes, so the end closes the last.
            foreach (var line in lines.Append(""))
            {
                if (line.Length == 0)
                {
                    if (name == package)
                    {
                        return status?.EndsWith(" installed", StringComparison.Ordinal) == true ? version : null;
                    }
                    name = status = version = null;
                }
                else if (line.StartsWith("Package:", StringComparison.Ordinal))
                {
                    name = line["Package:".Length..].Trim();
                }
                else if (line.StartsWith("Status:", StringComparison.Ordinal))
                {
                    status = line["Status:".Length..].Trim();
                }
                else if (line.StartsWith("Version:", StringComparison.Ordinal))
                {
                    version = line["Version:".Length..].Trim();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return null;
    }
}
