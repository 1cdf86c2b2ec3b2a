using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using OpenChami.VirtualBmc.Console.Native;

namespace OpenChami.VirtualBmc.Console;

/// <summary>
/// The SSH console endpoints of the slots: one listening socket per slot (its BMC address, the console port), .NET
/// accepts, libssh (one blocking session per connection, on its own thread) speaks SSH. Bounded: connections not yet
/// logged in, sessions per slot and per account; every connection has a login deadline and an idle timeout.
/// </summary>
public sealed class SshConsoleServer : IAsyncDisposable
{
    private readonly SshHostKey _hostKey;
    private readonly IConsoleGate _gate;
    private readonly List<(SshConsoleEndpoint Endpoint, Socket Socket, Task Loop)> _listeners = [];
    private readonly ConcurrentDictionary<SshConsoleSession, Task> _sessions = new();
    private readonly ConcurrentDictionary<string, int> _perSlot = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _perAccount = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _bindGate = new();
    private readonly BindHandle _bind;
    private int _unauthenticated;

    public SshConsoleServer(SshHostKey hostKey, SshConsoleOptions options, IConsoleGate gate)
    {
        _hostKey = hostKey;
        Options = options;
        _gate = gate;
        if (LibSsh.ssh_init() != LibSsh.Ok)
        {
            throw new SshException("ssh_init failed");
        }
        _bind = LibSsh.ssh_bind_new();
        if (_bind.IsInvalid)
        {
            throw new SshException("ssh_bind_new failed");
        }
        unsafe
        {
            // Only what this service sets: no /etc/libssh server configuration is read.
            byte no = 0;
            LibSsh.ssh_bind_options_set(_bind, LibSsh.BindOptionsProcessConfig, &no);
            var path = System.Text.Encoding.UTF8.GetBytes(hostKey.Path + "\0");
            fixed (byte* p = path)
            {
                if (LibSsh.ssh_bind_options_set(_bind, LibSsh.BindOptionsHostKey, p) != LibSsh.Ok)
                {
                    throw new SshException($"libssh refused the host key {hostKey.Path}: {LibSsh.LastError(_bind)}");
                }
            }
        }
    }

    public SshConsoleOptions Options { get; }

    public string HostKeyFingerprint => _hostKey.Fingerprint;

    /// <summary>Slots whose endpoint could not listen, with the reason (address in use, permission).</summary>
    public IReadOnlyDictionary<string, string> Failed => _failed;

    private readonly ConcurrentDictionary<string, string> _failed = new(StringComparer.Ordinal);

    /// <summary>The local end of each listening endpoint (its port is the real one when 0 was asked).</summary>
    public IReadOnlyDictionary<string, IPEndPoint> Listening => _listening;

    private readonly ConcurrentDictionary<string, IPEndPoint> _listening = new(StringComparer.Ordinal);

    public int ActiveSessions => _perSlot.Values.Sum();

    public int SessionsOf(string slot) => _perSlot.GetValueOrDefault(slot);

    /// <summary>
    /// Listens on every endpoint. One that cannot listen (the port taken by the host's own sshd, no permission) is
    /// reported in <see cref="Failed"/> and skipped: the slots' Redfish service is not held hostage by its console.
    /// </summary>
    public void Start(IEnumerable<SshConsoleEndpoint> endpoints)
    {
        foreach (var endpoint in endpoints)
        {
            var socket = new Socket(endpoint.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(endpoint.Address, endpoint.Port));
                socket.Listen(64);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                _failed[endpoint.SlotName] = $"cannot listen on {Format(endpoint.Address, endpoint.Port)}: {e.Message}";
                continue;
            }
            _listening[endpoint.SlotName] = (IPEndPoint)socket.LocalEndPoint!;
            _listeners.Add((endpoint, socket, Task.Run(() => AcceptLoopAsync(endpoint, socket))));
        }
    }

    private static string Format(IPAddress address, int port) => new IPEndPoint(address, port).ToString();

    private async Task AcceptLoopAsync(SshConsoleEndpoint endpoint, Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // the client went away between SYN and accept
            }
            var source = (client.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? "unknown";
            if (Interlocked.Increment(ref _unauthenticated) > Options.MaxUnauthenticated)
            {
                Interlocked.Decrement(ref _unauthenticated);
                client.Dispose();
                _gate.Record(new ConsoleEvent(ConsoleEventKind.ConnectionLimited, endpoint.SlotName, source, null,
                    $"more than {Options.MaxUnauthenticated} connections not logged in; closed"));
                continue;
            }
            var session = new SshConsoleSession(this, endpoint, client, source, _gate);
            var thread = Task.Factory.StartNew(session.Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            _sessions[session] = thread;
            _ = thread.ContinueWith(_ => _sessions.TryRemove(session, out Task? _), TaskScheduler.Default);
        }
    }

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>Hands the accepted socket to libssh on a new session (serialized: accept copies the bind's settings).</summary>
    internal SessionHandle Accept(Socket client)
    {
        var session = LibSsh.ssh_new();
        if (session.IsInvalid)
        {
            session.Dispose();
            throw new SshException("ssh_new failed");
        }
        var fd = Libc.dup((int)client.SafeHandle.DangerousGetHandle());
        if (fd < 0)
        {
            session.Dispose();
            throw new SshException("dup of the client socket failed");
        }
        lock (_bindGate)
        {
            if (LibSsh.ssh_bind_accept_fd(_bind, session, fd) != LibSsh.Ok)
            {
                var reason = LibSsh.LastError(_bind);
                _ = Libc.close(fd);
                session.Dispose();
                throw new SshException("ssh_bind_accept_fd: " + reason);
            }
        }
        return session;
    }

    internal void LoggedIn() => Interlocked.Decrement(ref _unauthenticated);

    /// <summary>Takes a place for a console session of <paramref name="account"/> on <paramref name="slot"/>; the refusal when full.</summary>
    internal string? Reserve(string slot, string account)
    {
        lock (_bindGate)
        {
            if (_perSlot.GetValueOrDefault(slot) >= Options.MaxSessionsPerSlot)
            {
                return $"{slot} already has {Options.MaxSessionsPerSlot} console sessions (the limit)";
            }
            if (_perAccount.GetValueOrDefault(account) >= Options.MaxSessionsPerAccount)
            {
                return $"{account} already has {Options.MaxSessionsPerAccount} console sessions (the limit)";
            }
            _perSlot.AddOrUpdate(slot, 1, (_, n) => n + 1);
            _perAccount.AddOrUpdate(account, 1, (_, n) => n + 1);
            return null;
        }
    }

    internal void Release(string slot, string account)
    {
        lock (_bindGate)
        {
            _perSlot.AddOrUpdate(slot, 0, (_, n) => Math.Max(0, n - 1));
            _perAccount.AddOrUpdate(account, 0, (_, n) => Math.Max(0, n - 1));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var (_, socket, _) in _listeners)
        {
            socket.Dispose();
        }
        foreach (var session in _sessions.Keys)
        {
            session.Abort();
        }
        try
        {
            await Task.WhenAll(_listeners.Select(l => l.Loop).Concat(_sessions.Values)).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // a session stuck in libssh: its thread is a background one and ends with the process
        }
        _bind.Dispose();
        _stopping.Dispose();
    }
}
