namespace OpenChami.VirtualBmc.Host.Services;

/// <summary>
/// Installed Debian package versions, from dpkg's status database (<c>/var/lib/dpkg/status</c>; the path is
/// injectable for tests). A package is installed when its <c>Status</c> ends in "installed"; anything else, a missing
/// stanza or an unreadable file, is "not installed" (null).
/// </summary>
public sealed class DpkgStatus(string path = DpkgStatus.DefaultPath)
{
    public const string DefaultPath = "/var/lib/dpkg/status";

    public string? InstalledVersion(string package)
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
