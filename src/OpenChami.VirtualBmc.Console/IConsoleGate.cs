namespace OpenChami.VirtualBmc.Console;

/// <summary>What a logged-in account may do on a console.</summary>
public enum ConsoleAccess { Rejected, Busy, View, Interact }

/// <summary>Something the console did that the log or the audit records.</summary>
public enum ConsoleEventKind { LoginFailed, Opened, Closed, Refused, ConnectionLimited, HandshakeFailed }

/// <summary>One console event: who, which slot, from where, and (on close) the bytes each way.</summary>
public sealed record ConsoleEvent(
    ConsoleEventKind Kind,
    string Slot,
    string Source,
    string? Account,
    string Detail,
    long BytesToGuest = 0,
    long BytesFromGuest = 0,
    string? SessionId = null);

/// <summary>
/// The console's port to the service's accounts, lockout and audit: the server implements it with the same
/// authenticator as Redfish (failures counted together) and the same audit log.
/// </summary>
public interface IConsoleGate
{
    /// <summary>Checks user and password; the access the account's role allows, or Rejected/Busy.</summary>
    Task<ConsoleAccess> LoginAsync(string userName, string password, string slot, string source, CancellationToken cancellationToken);

    /// <summary>Records an event (log; audit for logins, opens and closes). Must not throw.</summary>
    void Record(ConsoleEvent consoleEvent);
}
