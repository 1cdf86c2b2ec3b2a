using System.Net;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>Everything the service reads at start: host file, node type, accounts (and checks: a local image catalog).</summary>
/// <param name="Accounts">The accounts in force: the accounts file's with the Redfish changes that still apply.</param>
public sealed record LoadedSite(SiteConfiguration Config, IReadOnlyList<Account> Accounts)
{
    /// <summary>The accounts file's own entries (configuration management's word).</summary>
    public IReadOnlyList<Account> FileAccounts { get; init; } = Accounts;

    /// <summary>The Redfish changes applied over <see cref="FileAccounts"/>.</summary>
    public IReadOnlyList<AccountChange> AccountChanges { get; init; } = [];

    /// <summary>Redfish changes not applied because the accounts file changed that account since (the file wins).</summary>
    public IReadOnlyList<AccountChange> SupersededChanges { get; init; } = [];

    /// <summary>Where Redfish account changes are kept: beside the other state, not in /etc (configuration management's).</summary>
    public string AccountChangesFile => ChangesFileOf(Config.Host);

    public static string ChangesFileOf(HostConfig host) => Path.Combine(host.StateDirectory, "account-changes.yaml");

    public string HostFile => Config.HostFile;
    public HostConfig Host => Config.Host;
    public NodeType NodeType => Config.NodeType;
    public IReadOnlyList<Slot> Slots => Config.Slots;
}

public static class SiteLoader
{
    /// <summary>The demo password; a config that uses it may only listen on loopback.</summary>
    public const string DemoPassword = "vbmc-demo";

    public static ConfigLoadResult<LoadedSite> Load(string hostFile)
    {
        var config = ConfigurationLoader.Load(hostFile);
        if (!config.Succeeded)
        {
            return new ConfigLoadResult<LoadedSite>(null, config.Problems);
        }
        var site = config.Value!;
        IReadOnlyList<Account> fileAccounts = [];
        if (site.Host.AccountsFile is { } accountsFile)
        {
            var loaded = ConfigurationLoader.LoadAccounts(accountsFile);
            if (!loaded.Succeeded)
            {
                return new ConfigLoadResult<LoadedSite>(null, loaded.Problems);
            }
            fileAccounts = loaded.Value!;
        }
        var changes = ConfigurationLoader.LoadAccountChanges(LoadedSite.ChangesFileOf(site.Host));
        if (!changes.Succeeded)
        {
            return new ConfigLoadResult<LoadedSite>(null, changes.Problems);
        }
        var (accounts, applied) = OpenChami.VirtualBmc.Slots.Catalog.AccountChanges.Apply(fileAccounts, changes.Value!, out var superseded);
        var problems = DemoPasswordOffLoopback(site, accounts).ToList();
        // A local catalog is a configuration file like the others: its problems stop the start, with file:line:column.
        // It is read again at every reimage; an http catalog is only read when disks are made.
        if (site.Host.ImageCatalog is { } catalog && !catalog.Contains("://", StringComparison.Ordinal))
        {
            problems.AddRange(ImageCatalogReader.LoadFile(catalog).Problems);
        }
        if (site.Host.Tls is { } tls && TlsCertificates.Check(tls) is { } tlsProblem)
        {
            problems.Add(tlsProblem);
        }
        return new ConfigLoadResult<LoadedSite>(problems.Count == 0
            ? new LoadedSite(site, accounts) { FileAccounts = fileAccounts, AccountChanges = applied, SupersededChanges = superseded }
            : null, problems);
    }

    /// <summary>
    /// The demo account's password is published in the README: refuse it anywhere but loopback, so a demo config
    /// copied to a real node cannot expose a known credential. One slow hash per account, only when it matters.
    /// </summary>
    private static IEnumerable<ConfigProblem> DemoPasswordOffLoopback(SiteConfiguration site, IReadOnlyList<Account> accounts)
    {
        var exposed = site.Slots.Where(s => !IPAddress.IsLoopback(s.Bmc.Address)).ToList();
        if (exposed.Count == 0)
        {
            yield break;
        }
        foreach (var account in accounts.Where(a => a.Enabled && PasswordHasher.Verify(DemoPassword, a.PasswordHash)))
        {
            yield return new ConfigProblem(account.Where, ProblemCodes.DemoPassword,
                $"account '{account.UserName}' has the published demo password, and slot '{exposed[0].Name}' listens on {exposed[0].Bmc} (not loopback); set a real password with 'openchami-vbmc hash-password'");
        }
    }
}
