namespace OpenChami.VirtualBmc.Slots.Catalog;

/// <summary>The host file's <c>console:</c> block: every slot's serial console over SSH on its BMC address.</summary>
public sealed record ConsoleConfig
{
    public bool Enabled { get; init; } = true;

    public int SshPort { get; init; } = 22;

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(60);

    public TimeSpan LoginGrace { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxSessionsPerSlot { get; init; } = 8;

    public int MaxSessionsPerAccount { get; init; } = 8;

    public int MaxUnauthenticated { get; init; } = 16;

    public int LogLines { get; init; } = 1000;
}
