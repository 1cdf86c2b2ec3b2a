using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace OpenChami.VirtualBmc.Slots.Catalog;

/// <summary>One account as changed over Redfish: its new state (null: deleted) and the accounts file's entry it was made over.</summary>
/// <param name="BasedOn">"none" when the accounts file had no such account, else <see cref="AccountChanges.Fingerprint"/> of its entry.</param>
public sealed record AccountChange(string UserName, string BasedOn, string ChangedAt, Account? Account);

/// <summary>
/// How Redfish changes and the accounts file (owned by configuration management) coexist: the file is the base, each
/// change replaces, adds or removes one account — unless the file's entry changed since the change was made, then the
/// file wins and the change is dropped (a configuration push after a Redfish change is the newer word).
/// </summary>
public static class AccountChanges
{
    public const string None = "none";

    /// <summary>A short digest of an accounts-file entry (every field that matters, not its position in the file).</summary>
    public static string Fingerprint(Account? entry)
    {
        if (entry is null)
        {
            return None;
        }
        var text = string.Join('\n', entry.UserName, entry.Role, entry.PasswordHash, entry.Enabled, entry.PasswordChangeRequired);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));
    }

    /// <summary>The accounts in force and the changes that still apply; <paramref name="superseded"/> names the dropped ones.</summary>
    public static (IReadOnlyList<Account> Accounts, IReadOnlyList<AccountChange> Applied) Apply(
        IReadOnlyList<Account> file, IReadOnlyList<AccountChange> changes, out IReadOnlyList<AccountChange> superseded)
    {
        var accounts = file.ToList();
        var applied = new List<AccountChange>();
        var dropped = new List<AccountChange>();
        foreach (var change in changes)
        {
            var index = accounts.FindIndex(a => string.Equals(a.UserName, change.UserName, StringComparison.OrdinalIgnoreCase));
            var fileEntry = file.FirstOrDefault(a => string.Equals(a.UserName, change.UserName, StringComparison.OrdinalIgnoreCase));
            if (Fingerprint(fileEntry) != change.BasedOn)
            {
                dropped.Add(change);
                continue;
            }
            applied.Add(change);
            if (change.Account is null)
            {
                if (index >= 0)
                {
                    accounts.RemoveAt(index);
                }
            }
            else if (index >= 0)
            {
                accounts[index] = change.Account;
            }
            else
            {
                accounts.Add(change.Account);
            }
        }
        superseded = dropped;
        return (accounts, applied);
    }

    /// <summary>
    /// The changes as the YAML the loader reads, written to a temporary file beside <paramref name="path"/>, flushed to
    /// disk and renamed over it (a crash leaves the old file or the new one, never half of one); mode 0600.
    /// </summary>
    public static void Write(string path, IReadOnlyList<AccountChange> changes)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        text.WriteLine("# Accounts changed over Redfish by openchami-vbmc. Each entry replaces, adds or removes one account of the");
        text.WriteLine("# accounts file; an entry whose basedOn no longer matches that file's entry is not applied (the file wins).");
        text.WriteLine("# To keep an entry for good, copy it into the accounts file: the file then wins and this entry is dropped.");
        var emitter = new Emitter(text);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        emitter.Emit(new MappingStart());
        Scalar(emitter, "changes");
        emitter.Emit(new SequenceStart(null, null, false, SequenceStyle.Block));
        foreach (var change in changes)
        {
            emitter.Emit(new MappingStart());
            Pair(emitter, "userName", change.UserName);
            Pair(emitter, "basedOn", change.BasedOn, quoted: true);
            Pair(emitter, "changedAt", change.ChangedAt, quoted: true);
            if (change.Account is not { } account)
            {
                Pair(emitter, "deleted", "true");
            }
            else
            {
                Pair(emitter, "role", account.Role.ToString());
                Pair(emitter, "passwordHash", account.PasswordHash, quoted: true);
                Pair(emitter, "enabled", account.Enabled ? "true" : "false");
                Pair(emitter, "passwordChangeRequired", account.PasswordChangeRequired ? "true" : "false");
            }
            emitter.Emit(new MappingEnd());
        }
        emitter.Emit(new SequenceEnd());
        emitter.Emit(new MappingEnd());
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());

        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static void Scalar(IEmitter emitter, string value, bool quoted = false) =>
        emitter.Emit(new Scalar(null, null, value, quoted ? ScalarStyle.DoubleQuoted : ScalarStyle.Plain, !quoted, quoted));

    private static void Pair(IEmitter emitter, string key, string value, bool quoted = false)
    {
        Scalar(emitter, key);
        Scalar(emitter, value, quoted);
    }
}
