using OpenChami.VirtualBmc.Slots.Console;

namespace OpenChami.VirtualBmc.Server.Tests.Console;

/// <summary>A console whose guest echoes its input (a tty in cooked mode), on the real hub.</summary>
internal sealed class EchoConsole(string slot) : ISlotConsole
{
    private readonly System.Text.StringBuilder _received = new();

    public ConsoleHub Hub { get; } = new(slot, TimeProvider.System);

    public string SlotName => slot;

    public string? Unsupported => null;

    public ConsoleLog Log => Hub.Log;

    public string Received
    {
        get
        {
            lock (_received)
            {
                return _received.ToString();
            }
        }
    }

    public ConsoleViewer Attach() => Hub.Attach();

    public bool TrySend(ReadOnlySpan<byte> input)
    {
        lock (_received)
        {
            _received.Append(System.Text.Encoding.UTF8.GetString(input));
        }
        Hub.Publish(input);
        return true;
    }

    public void Publish(string text) => Hub.Publish(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Waits (up to 10 s) until exactly this many viewers are attached.</summary>
    public async Task WaitAttachedAsync(int viewers)
    {
        for (var i = 0; i < 200 && Hub.ViewerCount < viewers; i++)
        {
            await Task.Delay(50);
        }
        Assert.Equal(viewers, Hub.ViewerCount);
    }
}

/// <summary>Echo consoles for a node's slots.</summary>
internal sealed class EchoConsoles(IEnumerable<string> slots) : ISlotConsoles
{
    public Dictionary<string, EchoConsole> All { get; } = slots.ToDictionary(s => s, s => new EchoConsole(s));

    public ISlotConsole? FindConsole(string slotName) => All.GetValueOrDefault(slotName);
}
