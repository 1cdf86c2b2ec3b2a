using System.Globalization;
using System.Text.RegularExpressions;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>What an account change asks for; null fields stay as they are.</summary>
public sealed record AccountEdit(string? Password = null, AccountRole? Role = null, bool? Enabled = null, bool? PasswordChangeRequired = null);

/// <summary>
/// The one writer of the accounts in force: the accounts file (configuration management's) with the changes made over
/// Redfish on top, kept in <c>&lt;stateDirectory&gt;/account-changes.yaml</c> (written whole and renamed, so a crash
/// leaves the old file or the new one). Changes are made one at a time; each is on disk before it takes effect, so
/// SIGHUP and a restart keep it. The accounts file is never written: a change the file overrides later is dropped
/// (<see cref="AccountChanges"/>).
/// </summary>
public sealed partial class AccountDirectory(NodeState node, Serilog.ILogger log) : IDisposable
{
    public const int MinPasswordLength = 12;
    public const int MaxPasswordLength = 128;
    public const int MaxAccounts = 64;

    private readonly SemaphoreSlim _turn = new(1, 1);
    private IReadOnlyList<Account> _fileAccounts = node.Site.FileAccounts;
    private List<AccountChange> _changes = [.. node.Site.AccountChanges];
    private string _changesFile = node.Site.AccountChangesFile;

    public Account? Find(string userName) => node.Accounts.FirstOrDefault(a => a.UserName == userName);

    /// <summary>A reload (SIGHUP): the accounts file and the change file as read now.</summary>
    public async Task ReloadAsync(LoadedSite site)
    {
        await _turn.WaitAsync();
        try
        {
            _fileAccounts = site.FileAccounts;
            _changes = [.. site.AccountChanges];
            _changesFile = site.AccountChangesFile;
            node.Accounts = site.Accounts;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>The password rules, as the registry's messages (empty: acceptable).</summary>
    public static IReadOnlyList<RedfishMessage> PasswordProblems(string password, Account? current)
    {
        if (password.Length is < MinPasswordLength or > MaxPasswordLength)
        {
            return [BaseMessages.PasswordIncorrectLength()];
        }
        if (password.Any(char.IsControl))
        {
            return [BaseMessages.PasswordComplexityNotMet()];
        }
        if (current is not null && PasswordHasher.Verify(password, current.PasswordHash))
        {
            return [BaseMessages.PasswordReuseTooRecent()];
        }
        return [];
    }

    public static bool IsValidUserName(string name) => UserNamePattern().IsMatch(name);

    public Task<Outcome> CreateAsync(string userName, string password, AccountRole role, bool enabled, bool passwordChangeRequired) =>
        ChangeAsync(userName, accounts =>
        {
            if (accounts.Any(a => string.Equals(a.UserName, userName, StringComparison.OrdinalIgnoreCase)))
            {
                return Outcome.Refused(BaseMessages.ResourceAlreadyExists("ManagerAccount", "UserName", userName));
            }
            if (accounts.Count >= MaxAccounts)
            {
                return Outcome.Refused(BaseMessages.CreateLimitReachedForResource());
            }
            if (PasswordProblems(password, null) is { Count: > 0 } problems)
            {
                return Outcome.Refused(problems);
            }
            return Outcome.Become(new Account(userName, role, PasswordHasher.Hash(password), enabled, new SourceLocation(_changesFile, 0, 0), passwordChangeRequired));
        });

    /// <param name="selfService">The caller changes its own password (ConfigureSelf): the change clears PasswordChangeRequired.</param>
    public Task<Outcome> EditAsync(string userName, AccountEdit edit, bool selfService) =>
        ChangeAsync(userName, accounts =>
        {
            var current = accounts.FirstOrDefault(a => a.UserName == userName);
            if (current is null)
            {
                return Outcome.Refused(BaseMessages.ResourceNotFound("ManagerAccount", userName));
            }
            if (edit.Password is { } password && PasswordProblems(password, current) is { Count: > 0 } problems)
            {
                return Outcome.Refused(problems);
            }
            var updated = current with
            {
                PasswordHash = edit.Password is { } p ? PasswordHasher.Hash(p) : current.PasswordHash,
                Role = edit.Role ?? current.Role,
                Enabled = edit.Enabled ?? current.Enabled,
                PasswordChangeRequired = edit.PasswordChangeRequired ?? (selfService && edit.Password is not null ? false : current.PasswordChangeRequired),
            };
            return LeavesNoAdministrator(accounts, current, updated)
                ? Outcome.Refused(BaseMessages.ResourceInUse())
                : Outcome.Become(updated);
        });

    public Task<Outcome> DeleteAsync(string userName) =>
        ChangeAsync(userName, accounts =>
        {
            var current = accounts.FirstOrDefault(a => a.UserName == userName);
            if (current is null)
            {
                return Outcome.Refused(BaseMessages.ResourceNotFound("ManagerAccount", userName));
            }
            return LeavesNoAdministrator(accounts, current, null) ? Outcome.Refused(BaseMessages.ResourceInUse()) : Outcome.Become(null);
        });

    /// <summary>No change may leave the BMC without an enabled Administrator (nobody could manage accounts again).</summary>
    private static bool LeavesNoAdministrator(IReadOnlyList<Account> accounts, Account current, Account? updated) =>
        current is { Role: AccountRole.Administrator, Enabled: true }
        && updated is not { Role: AccountRole.Administrator, Enabled: true }
        && !accounts.Any(a => a != current && a is { Role: AccountRole.Administrator, Enabled: true });

    /// <summary>
    /// One change under the turn: decide (hashing a new password off the request thread), write the change file, then
    /// publish. A file that cannot be written changes nothing.
    /// </summary>
    private async Task<Outcome> ChangeAsync(string userName, Func<IReadOnlyList<Account>, Outcome> decide)
    {
        await _turn.WaitAsync();
        try
        {
            var accounts = node.Accounts;
            var outcome = await Task.Run(() => decide(accounts));
            if (outcome.Problems.Count > 0)
            {
                return outcome;
            }
            var fileEntry = _fileAccounts.FirstOrDefault(a => string.Equals(a.UserName, userName, StringComparison.OrdinalIgnoreCase));
            var change = new AccountChange(userName, AccountChanges.Fingerprint(fileEntry),
                DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), outcome.Account);
            var changes = _changes.Where(c => !string.Equals(c.UserName, userName, StringComparison.OrdinalIgnoreCase)).ToList();
            if (outcome.Account is not null || fileEntry is not null)
            {
                changes.Add(change); // deleting an account only Redfish made leaves nothing to record
            }
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_changesFile)!);
                AccountChanges.Write(_changesFile, changes);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Error("account {User}: the change cannot be saved to {File}: {Reason}; nothing changed", userName, _changesFile, e.Message);
                return Outcome.Refused(e is IOException { HResult: 28 } ? BaseMessages.InsufficientStorage() : BaseMessages.InternalError());
            }
            _changes = changes;
            node.Accounts = AccountChanges.Apply(_fileAccounts, changes, out _).Accounts;
            log.Information("account {User}: {Change} over Redfish (saved in {File})", userName,
                outcome.Account is null ? "deleted" : accounts.Any(a => a.UserName == userName) ? "changed" : "created", _changesFile);
            return outcome;
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>What a change decided: the account's new state (null: deleted), or why it was refused.</summary>
    public sealed record Outcome(Account? Account, IReadOnlyList<RedfishMessage> Problems)
    {
        public static Outcome Become(Account? account) => new(account, []);

        public static Outcome Refused(RedfishMessage problem) => new(null, [problem]);

        public static Outcome Refused(IReadOnlyList<RedfishMessage> problems) => new(null, problems);
    }

    public void Dispose() => _turn.Dispose();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
    private static partial Regex UserNamePattern();
}
