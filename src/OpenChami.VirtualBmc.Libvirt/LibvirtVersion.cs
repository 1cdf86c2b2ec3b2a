using OpenChami.VirtualBmc.Libvirt.Native;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>The version of the libvirt library this process loaded (virGetVersion: no connection needed).</summary>
public static class LibvirtVersion
{
    private static readonly Lazy<string?> Loaded = new(Read);

    /// <summary>"major.minor.release", or null when the library cannot be loaded.</summary>
    public static string? Library => Loaded.Value;

    private static string? Read()
    {
        try
        {
            return NativeMethods.virGetVersion(out var version, IntPtr.Zero, IntPtr.Zero) < 0 ? null : Format(version);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>libvirt encodes a version as major * 1,000,000 + minor * 1,000 + release.</summary>
    public static string Format(ulong version) => $"{version / 1_000_000}.{version / 1_000 % 1_000}.{version % 1_000}";
}
