using System.Net.Sockets;
using OpenChami.VirtualBmc.Server.Hosting;
using Serilog;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>serve: load and check the configuration, then run every slot's Redfish endpoint until stopped.</summary>
public static class ServeCommand
{
    private const string Help = """
        Usage: openchami-vbmc serve --config HOST.yaml [--log-level LEVEL] [--log-format text|json]

        Runs the Redfish service in the foreground: one endpoint per slot, on the address and port of the
        slot's 'bmc' entry. Stops on SIGTERM or Ctrl-C. A configuration problem stops it before it listens.
          --config FILE        the host file
          --log-level LEVEL    debug, information (default), warning or error
          --log-format FORMAT  text (default; journald-friendly under systemd) or json (one JSON object per line)
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var line = CommandLine.Parse("serve", args, new HashSet<string> { "--config", "--log-level", "--log-format" }, new HashSet<string>());
        if (line.Help)
        {
            await stdout.WriteLineAsync(Help);
            return ExitCodes.Ok;
        }
        var configPath = line.Require("--config");
        var json = line.Get("--log-format") switch
        {
            null or "text" => false,
            "json" => true,
            var other => throw new UsageException($"serve: --log-format is text or json, not '{other}'"),
        };
        using var logger = Logging.Create(Logging.ParseLevel(line.Get("--log-level")), json);
        logger.Information("openchami-vbmc {Version} starting with {Config}", Hosting.ServiceVersion.Text, Path.GetFullPath(configPath));

        var loaded = SiteLoader.Load(configPath);
        if (!loaded.Succeeded)
        {
            foreach (var problem in loaded.Problems)
            {
                logger.Error("{Problem}", problem.ToString());
            }
            logger.Fatal("{Count} configuration problem(s); not starting", loaded.Problems.Count);
            return ExitCodes.ConfigInvalid;
        }
        var site = loaded.Value!;
        Reloader.LogSupersededChanges(site, logger);
        foreach (var warning in OpenChami.VirtualBmc.Slots.Configuration.ConfigWarning.Of(site.Config))
        {
            logger.Warning("{Warning}", warning.ToString());
        }
        // The certificate's context (its chain built against the system trust store, tens of milliseconds) is made on the
        // other core while the host check reads sysfs and connects to libvirt: both are on the way to the first answer.
        var certificates = Task.Run(() => new CertificateHolder(site.Host.Tls is { } tls
            ? Security.TlsCertificates.Load(tls, NodeState.EndpointAddresses(site), logger)
            : null));
        try
        {
            await using var node = await NodeComposer.StartAsync(site, logger);
            await using var app = RedfishServer.Build(node.State, logger, await certificates);
            using var reload = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, signal =>
            {
                signal.Cancel = true; // SIGHUP reloads; it must not stop the process
                Reloader.Reload(configPath, node.State, app.Services.GetRequiredService<Security.AccountDirectory>(),
                    app.Services.GetRequiredService<CertificateHolder>(), logger, app.Services.GetRequiredService<Audit.AuditLog>(),
                    app.Services.GetRequiredService<Events.BmcEventLog>());
            });
            var scheme = site.Host.InsecurePlainHttp ? "http" : "https";
            if (site.Host.InsecurePlainHttp)
            {
                logger.Warning("insecurePlainHttp is set: serving plain HTTP, credentials and tokens travel in clear text");
            }
            if (site.Host.Security.InsecureAnonymous is { } anonymous)
            {
                logger.Warning("security.insecureAnonymous is set: unauthenticated requests from {Networks} act as {Role}",
                    string.Join(", ", anonymous.Networks), anonymous.Role);
            }
            foreach (var slot in node.State.Slots)
            {
                logger.Information("slot {Slot}: Redfish endpoint {Scheme}://{Endpoint}/redfish/v1 (UUID {Uuid}, serial {Serial}){Unusable}",
                    slot.Name, scheme, slot.Slot.Bmc.ToString(), slot.Slot.Identity.Uuid, slot.Slot.Identity.SerialNumber, slot.Health.Usable ? "" : " — NOT USABLE, see its Status");
            }
            // What start-up allocated (configuration trees, schema checks, the host's sysfs reading) is garbage once the
            // endpoints listen: one full, compacting collection a second later returns it to the OS, instead of the
            // process idling at its start-up high-water mark (bench/README.md: idle RSS). A second later, so the first
            // requests (a BMC that restarts is polled at once) do not wait for it.
            app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), app.Lifetime.ApplicationStopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return; // stopping already
                }
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }, app.Lifetime.ApplicationStopping));
            await app.RunAsync();
            logger.Information("stopped");
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException or UnauthorizedAccessException
            or System.Security.Cryptography.CryptographicException)
        {
            logger.Fatal("cannot serve: {Reason}", e.InnerException?.Message ?? e.Message);
            return ExitCodes.RuntimeFailure;
        }
    }
}
