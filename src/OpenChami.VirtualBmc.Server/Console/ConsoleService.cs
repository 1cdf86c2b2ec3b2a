using OpenChami.VirtualBmc.Console;
using OpenChami.VirtualBmc.Server.Hosting;

namespace OpenChami.VirtualBmc.Server.Console;

/// <summary>
/// Runs every slot's SSH console endpoint (host file <c>console:</c>) beside the Redfish listeners: the host key is
/// made on first start in the state directory and its fingerprint logged. An endpoint that cannot listen is logged
/// and advertised as disabled; it does not stop the service.
/// </summary>
public sealed class ConsoleService(NodeState node, ConsoleGate gate, ILogger<ConsoleService> log) : IHostedService, IAsyncDisposable
{
    private SshConsoleServer? _server;

    /// <summary>The running endpoints' server; null when consoles are disabled or not started.</summary>
    public SshConsoleServer? Server => _server;

    /// <summary>Whether <paramref name="slot"/>'s SSH console is being served.</summary>
    public bool Serves(string slot) => _server is { } s && s.Listening.ContainsKey(slot);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var config = node.Site.Host.Console;
        if (!config.Enabled)
        {
            log.LogInformation("SSH consoles are disabled (console.enabled: false)");
            return Task.CompletedTask;
        }
        SshHostKey key;
        try
        {
            key = SshHostKey.LoadOrCreate(node.Site.Host.StateDirectory, out var created);
            log.LogInformation("SSH console host key {Path}{Created}: {Fingerprint}", key.Path, created ? " (made now)" : "", key.Fingerprint);
        }
        catch (Exception e) when (e is SshException or IOException or UnauthorizedAccessException or DllNotFoundException)
        {
            log.LogError("SSH consoles not served: {Reason}", e.Message);
            return Task.CompletedTask;
        }
        _server = new SshConsoleServer(key, new SshConsoleOptions
        {
            IdleTimeout = config.IdleTimeout,
            LoginGraceTime = config.LoginGrace,
            MaxSessionsPerSlot = config.MaxSessionsPerSlot,
            MaxSessionsPerAccount = config.MaxSessionsPerAccount,
            MaxUnauthenticated = config.MaxUnauthenticated,
        }, gate);
        _server.Start(node.Slots.Select(s => new SshConsoleEndpoint(s.Name, s.Slot.Bmc.Address, config.SshPort, node.Consoles?.FindConsole(s.Name))));
        foreach (var slot in node.Slots)
        {
            if (_server.Failed.TryGetValue(slot.Name, out var reason))
            {
                log.LogError("slot {Slot}: SSH console not served: {Reason}", slot.Name, reason);
            }
            else
            {
                slot.ConsoleEndpoint = new SlotConsoleEndpoint(_server.Listening[slot.Name].Port, config.MaxSessionsPerSlot);
                log.LogInformation("slot {Slot}: SSH console ssh://{Endpoint}", slot.Name, _server.Listening[slot.Name]);
            }
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _server, null) is { } server)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }
}
