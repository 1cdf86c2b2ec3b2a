using System.Runtime.InteropServices;

namespace OpenChami.VirtualBmc.Console.Native;

internal static partial class Libc
{
    /// <summary>A second descriptor of the same socket: libssh owns (and closes) it, .NET keeps its own.</summary>
    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int dup(int fd);

    [LibraryImport("libc.so.6")]
    public static partial int close(int fd);
}
