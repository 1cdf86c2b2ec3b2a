using System.Net;
using OpenChami.VirtualBmc.Console;
using OpenChami.VirtualBmc.Slots.Console;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Console;

/// <summary>
/// The SSH console server against a console that echoes what it is sent, as a guest's tty does: typing by role,
/// several viewers of one slot, one slot never showing another's bytes, the per-slot cap. Real libssh, real ssh.
/// </summary>
public sealed class SshConsoleSessionTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly EchoConsole _slotA = new("slotA");
    private readonly EchoConsole _slotB = new("slotB");
    private readonly RecordingConsoleGate _gate = new(new Dictionary<(string, string), ConsoleAccess>
    {
        [("operator", "op")] = ConsoleAccess.Interact,
        [("reader", "ro")] = ConsoleAccess.View,
    });
    private SshConsoleServer _server = null!;
    private int _port;

    public Task InitializeAsync()
    {
        _port = ServerTestSupport.FreePort(IPAddress.Parse("127.0.0.20"));
        _server = new SshConsoleServer(SshHostKey.LoadOrCreate(_dir.Path, out _), new SshConsoleOptions { MaxSessionsPerSlot = 2 }, _gate);
        _server.Start([
            new SshConsoleEndpoint("slotA", IPAddress.Parse("127.0.0.20"), _port, _slotA),
            new SshConsoleEndpoint("slotB", IPAddress.Parse("127.0.0.21"), _port, _slotB),
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
    public async Task Operator_Types_AndEveryViewerOfTheSlot_SeesTheEcho_ButNotTheOtherSlot()
    {
        using var typist = new SshSession("op", _port, "operator@127.0.0.20");
        using var watcher = new SshSession("op", _port, "operator@127.0.0.20");
        using var other = new SshSession("op", _port, "operator@127.0.0.21");
        await _slotA.WaitAttachedAsync(2);
        await _slotB.WaitAttachedAsync(1);
        typist.Type("echo marker-1234\n");
        Assert.True(await watcher.WaitForAsync("marker-1234", TimeSpan.FromSeconds(10)), "second viewer: " + watcher.Output);
        Assert.True(await typist.WaitForAsync("marker-1234", TimeSpan.FromSeconds(10)), "typist: " + typist.Output);
        Assert.Contains("marker-1234", _slotA.Received, StringComparison.Ordinal);
        _slotB.Publish("slotB-own-output\n");
        Assert.True(await other.WaitForAsync("slotB-own-output", TimeSpan.FromSeconds(10)));
        await Task.Delay(200);
        Assert.DoesNotContain("marker-1234", other.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("slotB-own-output", watcher.Output, StringComparison.Ordinal);
        Assert.Equal("", _slotB.Received);
    }

    [Fact]
    public async Task ReadOnly_SeesTheOutput_ButWhatItTypesNeverReachesTheGuest()
    {
        using var reader = new SshSession("ro", _port, "reader@127.0.0.20");
        await _slotA.WaitAttachedAsync(1);
        _slotA.Publish("login: ");
        Assert.True(await reader.WaitForAsync("login: ", TimeSpan.FromSeconds(10)));
        reader.Type("root\n");
        Assert.True(await reader.WaitForAsync("read-only console", TimeSpan.FromSeconds(10)), reader.Output);
        await Task.Delay(200);
        Assert.Equal("", _slotA.Received);
    }

    [Fact]
    public async Task SessionsOverTheSlotsCap_AreToldAndClosed()
    {
        using var first = new SshSession("op", _port, "operator@127.0.0.20");
        using var second = new SshSession("op", _port, "operator@127.0.0.20");
        await _slotA.WaitAttachedAsync(2);
        var (code, output, _) = await SshClient.RunAsync("op", _port, "operator@127.0.0.20");
        Assert.Equal(1, code);
        Assert.Contains("console sessions (the limit)", output, StringComparison.Ordinal);
        Assert.Contains(_gate.Events, e => e.Kind == ConsoleEventKind.Refused && e.Detail.Contains("the limit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenAndClose_AreRecorded_WithTheBytesEachWay()
    {
        using (var session = new SshSession("op", _port, "operator@127.0.0.20"))
        {
            await _slotA.WaitAttachedAsync(1);
            session.Type("abc");
            Assert.True(await session.WaitForAsync("abc", TimeSpan.FromSeconds(10)));
        }
        for (var i = 0; i < 100 && !_gate.Events.Any(e => e.Kind == ConsoleEventKind.Closed); i++)
        {
            await Task.Delay(50);
        }
        Assert.Contains(_gate.Events, e => e.Kind == ConsoleEventKind.Opened && e.Account == "operator" && e.Source == "127.0.0.1");
        var closed = Assert.Single(_gate.Events, e => e.Kind == ConsoleEventKind.Closed);
        Assert.Equal(3, closed.BytesToGuest);
        Assert.Equal(3, closed.BytesFromGuest);
    }
}
