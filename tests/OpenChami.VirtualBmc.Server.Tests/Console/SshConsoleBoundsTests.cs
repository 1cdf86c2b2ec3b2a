using System.Net;
using System.Net.Sockets;
using OpenChami.VirtualBmc.Console;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Console;

/// <summary>
/// The SSH console's bounds that the per-slot cap test does not reach: sessions per account, connections not yet
/// logged in, and the idle timeout. Real libssh and OpenSSH's ssh, small limits so each is reached at once.
/// </summary>
public sealed class SshConsoleBoundsTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly EchoConsole _slotA = new("slotA");
    private readonly EchoConsole _slotB = new("slotB");
    private readonly RecordingConsoleGate _gate = new(new Dictionary<(string, string), ConsoleAccess>
    {
        [("operator", "op")] = ConsoleAccess.Interact,
        [("operator2", "op2")] = ConsoleAccess.Interact,
    });
    private SshConsoleServer _server = null!;
    private int _port;

    public Task InitializeAsync()
    {
        _port = ServerTestSupport.FreePort(IPAddress.Parse("127.0.0.22"));
        var options = new SshConsoleOptions { MaxSessionsPerAccount = 1, MaxUnauthenticated = 2, IdleTimeout = TimeSpan.FromSeconds(3) };
        _server = new SshConsoleServer(SshHostKey.LoadOrCreate(_dir.Path, out _), options, _gate);
        _server.Start([
            new SshConsoleEndpoint("slotA", IPAddress.Parse("127.0.0.22"), _port, _slotA),
            new SshConsoleEndpoint("slotB", IPAddress.Parse("127.0.0.23"), _port, _slotB),
        ]);
        Assert.Empty(_server.Failed);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task An_accounts_second_session_is_refused_even_on_another_slot_and_another_account_still_gets_in()
    {
        using var first = new SshSession("op", _port, "operator@127.0.0.22");
        await _slotA.WaitAttachedAsync(1);

        var (code, output, _) = await SshClient.RunAsync("op", _port, "operator@127.0.0.23");
        Assert.Equal(1, code);
        Assert.Contains("operator already has 1 console sessions (the limit)", output, StringComparison.Ordinal);
        Assert.Equal(0, _slotB.Hub.ViewerCount);

        using var other = new SshSession("op2", _port, "operator2@127.0.0.23");
        await _slotB.WaitAttachedAsync(1);
    }

    [Fact]
    public async Task Connections_not_logged_in_beyond_the_cap_are_closed_at_once_and_a_login_still_works_after()
    {
        using var silent1 = new TcpClient();
        using var silent2 = new TcpClient();
        await silent1.ConnectAsync(IPAddress.Parse("127.0.0.22"), _port);
        await silent2.ConnectAsync(IPAddress.Parse("127.0.0.22"), _port);
        await Task.Delay(300);
        using (var third = new TcpClient())
        {
            await third.ConnectAsync(IPAddress.Parse("127.0.0.22"), _port);
            var stream = third.GetStream();
            stream.ReadTimeout = 5000;
            var buffer = new byte[256];
            // Closed before the SSH version exchange: no banner, just the end of the stream.
            Assert.Equal(0, await stream.ReadAsync(buffer));
        }
        Assert.Contains(_gate.Events, e => e.Kind == ConsoleEventKind.ConnectionLimited);
        silent1.Dispose();
        silent2.Dispose();
        await Task.Delay(500);

        using var session = new SshSession("op", _port, "operator@127.0.0.22");
        await _slotA.WaitAttachedAsync(1);
    }

    [Fact]
    public async Task A_session_with_no_bytes_either_way_ends_after_the_idle_timeout()
    {
        using var session = new SshSession("op", _port, "operator@127.0.0.22");
        await _slotA.WaitAttachedAsync(1);
        Assert.True(await session.WaitForAsync("[console closed: idle for", TimeSpan.FromSeconds(15)), session.Output);
        for (var i = 0; i < 100 && !_gate.Events.Any(e => e.Kind == ConsoleEventKind.Closed); i++)
        {
            await Task.Delay(50);
        }
        Assert.Contains(_gate.Events, e => e.Kind == ConsoleEventKind.Closed && e.Detail.Contains("idle for", StringComparison.Ordinal));
        Assert.Equal(0, _slotA.Hub.ViewerCount);
    }
}
