using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace OpenChami.VirtualBmc.Slots.Images;

/// <summary>
/// The state directory is written as root: nothing in it may lead elsewhere. Every path the service writes is checked
/// without following links (statx with AT_SYMLINK_NOFOLLOW): a symbolic link, an entry owned by another user, a
/// directory anyone may write to, or a file of the wrong kind (a directory where a lock file belongs) is refused with
/// the reason, never followed and never a crash.
/// </summary>
public static partial class StatePath
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1, StatxMode = 0x2, StatxUid = 0x8;
    private const int TypeMask = 0xF000, Directory = 0x4000, Regular = 0x8000, Symlink = 0xA000;

    public enum Kind { Directory, File }

    /// <summary>
    /// Why <paramref name="path"/> must not be used as a <paramref name="kind"/> of the state directory <paramref name="root"/>;
    /// null when fine or absent. Trusted owners: root, this process's user, and the owner of the state directory itself
    /// (the service's user, when an administrator runs the CLI as root). Checked without following links, from the
    /// state directory down: a link anywhere on the way is refused.
    /// </summary>
    public static string? RefusalUnder(string root, string path, Kind kind)
    {
        root = Path.TrimEndingDirectorySeparator(root);
        if (Stat(root) is not { } top)
        {
            return null; // made later, by us
        }
        if (top.Error is { } error)
        {
            return $"{root} {error}";
        }
        var trusted = new HashSet<uint> { 0, geteuid(), top.Uid };
        var chain = new List<(string Path, Kind Kind)>();
        for (var at = path; at.Length > root.Length && at.StartsWith(root, StringComparison.Ordinal); at = Path.GetDirectoryName(at)!)
        {
            chain.Add((at, chain.Count == 0 ? kind : Kind.Directory));
        }
        chain.Add((root, Kind.Directory));
        chain.Reverse();
        foreach (var (at, k) in chain)
        {
            if (Stat(at) is not { } info)
            {
                return null; // the rest is made by us
            }
            if (info.Error is { } e)
            {
                return $"{at} {e}";
            }
            if (info.Type == Symlink)
            {
                return $"{at} is a symbolic link; the state directory never follows links";
            }
            if (info.Type != (k == Kind.Directory ? Directory : Regular))
            {
                return $"{at} is not a {(k == Kind.Directory ? "directory" : "regular file")}";
            }
            if (!trusted.Contains(info.Uid))
            {
                return $"{at} is owned by uid {info.Uid}, neither root, the service (uid {geteuid()}) nor the state directory's owner";
            }
            if ((info.Mode & 0x2) != 0)
            {
                return $"{at} is writable by anyone (mode {Convert.ToString(info.Mode & 0xFFF, 8)})";
            }
        }
        return null;
    }

    private sealed record Info(uint Uid, int Mode, int Type, string? Error);

    private static Info? Stat(string path)
    {
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxMode | StatxUid, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == 2 ? null : new Info(0, 0, 0, $"cannot be examined (errno {errno})"); // ENOENT: absent
        }
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
        return new Info(BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(20)), mode, mode & TypeMask, null);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
