using OpenChami.VirtualBmc.Server.Security;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>
/// SIGHUP: re-read the configuration, check it in full (the TLS pair included), and swap what can change safely while
/// serving — the accounts and the TLS certificate — and reopen the audit log (logrotate). A configuration with any
/// problem changes nothing (the running one stays and the log says why). Slots, endpoints and devices need a restart;
/// a reload that changes them says so. Nothing here may end the process: every failure is logged and refused.
/// </summary>
public static class Reloader
{
    public static bool Reload(string hostFile, NodeState node, AccountDirectory accounts, CertificateHolder certificates, Serilog.ILogger log,
        Audit.AuditLog? audit = null, Events.BmcEventLog? events = null)
    {
        var reloaded = ReloadOrRefuse(hostFile, node, accounts, certificates, log, audit);
        events?.Record(reloaded ? Events.BmcEventMessages.ConfigurationReloaded(hostFile) : Events.BmcEventMessages.ConfigurationReloadFailed(hostFile));
        return reloaded;
    }

    private static bool ReloadOrRefuse(string hostFile, NodeState node, AccountDirectory accounts, CertificateHolder certificates, Serilog.ILogger log,
        Audit.AuditLog? audit)
    {
        try
        {
            audit?.Reopen();
        }
        catch (Exception e)
        {
            log.Error("reload: cannot reopen the audit log {File}: {Reason}; audited requests are refused until it can be written", audit!.FilePath, e.Message);
        }
        try
        {
            return ReloadConfiguration(hostFile, node, certificates, log, accounts);
        }
        catch (Exception e)
        {
            log.Error(e, "reload refused: {Reason}; the running configuration stays", e.Message);
            return false;
        }
    }

    private static bool ReloadConfiguration(string hostFile, NodeState node, CertificateHolder certificates, Serilog.ILogger log, AccountDirectory accounts)
    {
        log.Information("reload requested: reading {Config}", hostFile);
        var loaded = SiteLoader.Load(hostFile);
        if (!loaded.Succeeded)
        {
            foreach (var problem in loaded.Problems)
            {
                log.Error("reload: {Problem}", problem.ToString());
            }
            log.Error("reload refused: {Count} problem(s); the running configuration stays", loaded.Problems.Count);
            return false;
        }
        var site = loaded.Value!;
        System.Net.Security.SslStreamCertificateContext? certificate = null;
        if (site.Host.Tls is { } tls)
        {
            try
            {
                certificate = TlsCertificates.Load(tls, NodeState.EndpointAddresses(node.Site), log);
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException or ArgumentException)
            {
                log.Error("reload refused: the certificate {Certificate} cannot be loaded: {Reason}; the running configuration stays", tls.Certificate, e.Message);
                return false;
            }
        }
        accounts.ReloadAsync(site).GetAwaiter().GetResult();
        LogSupersededChanges(site, log);
        if (certificate is not null)
        {
            certificates.Context = certificate;
        }
        var before = node.Site.Slots.Select(s => (s.Name, s.Bmc.ToString(), s.Template)).ToList();
        var after = site.Slots.Select(s => (s.Name, s.Bmc.ToString(), s.Template)).ToList();
        if (before.Count != after.Count || !before.Zip(after).All(p => p.First.Name == p.Second.Name && p.First.Item2 == p.Second.Item2
            && ValueEquality.Equal(p.First.Template, p.Second.Template)))
        {
            log.Warning("reload: slots or endpoints changed in {Config}; they take effect at the next restart", hostFile);
        }
        log.Information("reloaded: {Accounts} account(s){Certificate}", site.Accounts.Count,
            certificate is null ? "" : $", certificate {certificate.TargetCertificate.Thumbprint} (valid until {certificate.TargetCertificate.NotAfter:u}; {certificate.IntermediateCertificates.Count} intermediate(s) sent with it)");
        return true;
    }

    /// <summary>Redfish account changes the accounts file overrode since they were made (the file wins): said at start and reload.</summary>
    public static void LogSupersededChanges(LoadedSite site, Serilog.ILogger log)
    {
        foreach (var change in site.SupersededChanges)
        {
            log.Warning("account {User}: the Redfish change of {ChangedAt} is not applied: the accounts file {File} changed this account since; the file wins",
                change.UserName, change.ChangedAt, site.Host.AccountsFile ?? "(none)");
        }
    }
}
