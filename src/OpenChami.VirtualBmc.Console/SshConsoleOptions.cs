namespace OpenChami.VirtualBmc.Console;

/// <summary>Limits of the SSH console endpoints (host file <c>console:</c>).</summary>
public sealed record SshConsoleOptions
{
    /// <summary>No bytes either way for this long closes a console session (conman reconnects by itself).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>From connect to a started console (handshake, login, pty and shell requests).</summary>
    public TimeSpan LoginGraceTime { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxSessionsPerSlot { get; init; } = 8;

    public int MaxSessionsPerAccount { get; init; } = 8;

    /// <summary>Connections not yet logged in, over all slots; more are closed at once.</summary>
    public int MaxUnauthenticated { get; init; } = 16;

    /// <summary>Password attempts per connection.</summary>
    public int MaxAuthTries { get; init; } = 3;

    /// <summary>How long a session waits for client input before it forwards console output again.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>One slot's SSH endpoint: the slot's BMC address and the console port; console null when the slot has no VM.</summary>
public sealed record SshConsoleEndpoint(string SlotName, System.Net.IPAddress Address, int Port, OpenChami.VirtualBmc.Slots.Console.ISlotConsole? Console);
