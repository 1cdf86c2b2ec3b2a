namespace OpenChami.VirtualBmc.Host.Preparation;

/// <summary>
/// Where the preparer's writes go. <c>path</c> is the kernel path (<c>/sys/...</c>); an implementation maps it onto
/// its root. A write the kernel refuses throws (<see cref="IOException"/> carrying the errno text).
/// </summary>
public interface ISysfsWriter
{
    void Write(string path, string value);
}

/// <summary>
/// Writes to sysfs under <c>root</c> (<c>/</c> on a real host). Each value goes out in one <c>write(2)</c> on an existing
/// attribute (sysfs parses the buffer of a single write; a missing attribute is never created).
/// </summary>
public sealed class SysfsWriter : ISysfsWriter
{
    private readonly string root;

    public SysfsWriter(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        this.root = Path.GetFullPath(root);
    }

    /// <summary>The file a kernel path names under this writer's root.</summary>
    public string Resolve(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!path.StartsWith("/sys/", StringComparison.Ordinal) || path.Contains("/../", StringComparison.Ordinal))
        {
            throw new ArgumentException($"not a sysfs path: {path}", nameof(path));
        }
        return Path.Combine(root, path[1..]);
    }

    public void Write(string path, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var file = Resolve(path);
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"{path} does not exist", file);
        }
        var bytes = System.Text.Encoding.ASCII.GetBytes(value);
        using var stream = new FileStream(file, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        stream.Write(bytes, 0, bytes.Length);
    }
}
