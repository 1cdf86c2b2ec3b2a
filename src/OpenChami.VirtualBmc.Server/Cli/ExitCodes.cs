namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>Process exit codes; documented in `openchami-vbmc --help` and README.</summary>
public static class ExitCodes
{
    /// <summary>Success; for validate: every slot is usable.</summary>
    public const int Ok = 0;

    /// <summary>validate: the configuration loaded but at least one slot failed a host check.</summary>
    public const int SlotsFailed = 1;

    /// <summary>The command line is wrong (unknown verb or option, missing value).</summary>
    public const int Usage = 2;

    /// <summary>A configuration file is unreadable or invalid; every problem is printed with file:line:column.</summary>
    public const int ConfigInvalid = 3;

    /// <summary>The service could not start or stopped on an error (address in use, libvirt unreachable at start, ...).</summary>
    public const int RuntimeFailure = 4;
}
