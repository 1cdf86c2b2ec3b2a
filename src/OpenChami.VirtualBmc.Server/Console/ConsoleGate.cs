using System.Text.Json.Nodes;
using OpenChami.VirtualBmc.Console;
using OpenChami.VirtualBmc.Server.Audit;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Console;

/// <summary>
/// The SSH consoles' logins and records, on the service's own authenticator (one failure count and lockout with
/// Redfish) and audit log. Roles: Administrator and Operator type into the console; ReadOnly watches it, because
/// reading the console is what the ReadOnly role may already do through the HostLogger log service.
/// </summary>
public sealed class ConsoleGate(Authenticator authenticator, AuditLog audit, Func<IReadOnlyList<Account>> accounts, TimeProvider time,
    ILogger<ConsoleGate> log) : IConsoleGate
{
    public async Task<ConsoleAccess> LoginAsync(string userName, string password, string slot, string source, CancellationToken cancellationToken)
    {
        var (outcome, account) = await authenticator.VerifyAsync(userName, password, cancellationToken).ConfigureAwait(false);
        return outcome switch
        {
            Authenticator.Outcome.Accepted when account is not null => account.Role == AccountRole.ReadOnly ? ConsoleAccess.View : ConsoleAccess.Interact,
            Authenticator.Outcome.Busy => ConsoleAccess.Busy,
            _ => ConsoleAccess.Rejected,
        };
    }

    public void Record(ConsoleEvent consoleEvent)
    {
        var e = consoleEvent;
        switch (e.Kind)
        {
            case ConsoleEventKind.LoginFailed:
                var locked = e.Account is { } user && authenticator.IsLocked(user);
                log.LogWarning("console {Slot}: failed SSH login from {Source}: {Detail}{Locked}", e.Slot, e.Source, e.Detail, locked ? " (account locked)" : "");
                Audit(e, "login-failed", null, new JsonObject { ["UserName"] = e.Account }, locked ? "failure; account locked" : "failure");
                break;
            case ConsoleEventKind.Opened:
                log.LogInformation("console {Slot}: {Account} from {Source}: {Detail}", e.Slot, e.Account, e.Source, e.Detail);
                Audit(e, "console-opened", e.Account, null, e.Detail);
                break;
            case ConsoleEventKind.Closed:
                log.LogInformation("console {Slot}: {Account} from {Source}: {Detail} ({ToGuest} bytes to the guest, {FromGuest} from it)",
                    e.Slot, e.Account, e.Source, e.Detail, e.BytesToGuest, e.BytesFromGuest);
                Audit(e, "console-closed", e.Account,
                    new JsonObject { ["BytesToGuest"] = e.BytesToGuest, ["BytesFromGuest"] = e.BytesFromGuest }, e.Detail);
                break;
            case ConsoleEventKind.Refused:
                log.LogWarning("console {Slot}: {Account} from {Source}: {Detail}", e.Slot, e.Account ?? "-", e.Source, e.Detail);
                break;
            default:
                log.LogInformation("console {Slot}: connection from {Source}: {Detail}", e.Slot, e.Source, e.Detail);
                break;
        }
    }

    private void Audit(ConsoleEvent e, string kind, string? account, JsonNode? parameters, string result)
    {
        var role = account is null ? null : accounts().FirstOrDefault(a => a.UserName == account)?.Role.ToString();
        var record = new AuditRecord(time.GetUtcNow(), kind, account, role, "ssh", e.Source, e.Slot, "SSH", "console", parameters, null, result, null,
            e.SessionId ?? "-");
        _ = WriteAsync(record);
    }

    private async Task WriteAsync(AuditRecord record)
    {
        try
        {
            await audit.WriteAsync(record).ConfigureAwait(false);
        }
        catch (Exception e) when (AuditLog.IsWriteFailure(e))
        {
            log.LogCritical(e, "cannot write the audit record {Event} of console {Slot}", record.Event, record.Slot);
        }
    }
}
