using System.Text;

namespace OpenChami.VirtualBmc.Slots.Console;

/// <summary>One line of console output as the HostLogger log service shows it.</summary>
public sealed record ConsoleLogEntry(long Id, DateTimeOffset Created, string Message);

/// <summary>
/// The latest lines of a console, bounded (oldest dropped first), newest last. Output is split on line feeds; carriage
/// returns and other control characters (escape sequences included) are dropped; an over-long line is cut into
/// pieces of <see cref="MaxLineLength"/> characters.
/// </summary>
public sealed partial class ConsoleLog(TimeProvider time, int capacity = ConsoleLog.DefaultCapacity)
{
    public const int DefaultCapacity = 1000;
    public const int MaxLineLength = 1024;

    private readonly Lock _gate = new();
    private readonly Queue<ConsoleLogEntry> _entries = new();
    private readonly List<byte> _partial = [];
    private long _nextId = 1;

    public int Capacity { get; } = capacity;

    public void Append(ReadOnlySpan<byte> output)
    {
        lock (_gate)
        {
            foreach (var b in output)
            {
                if (b == (byte)'\n')
                {
                    Flush();
                }
                else if (b >= 0x20 || b == (byte)'\t')
                {
                    _partial.Add(b);
                    if (_partial.Count >= MaxLineLength)
                    {
                        Flush();
                    }
                }
            }
        }
    }

    public IReadOnlyList<ConsoleLogEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    public ConsoleLogEntry? Find(long id)
    {
        lock (_gate)
        {
            return _entries.FirstOrDefault(e => e.Id == id);
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _partial.Clear();
        }
    }

    private void Flush()
    {
        var text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_partial));
        _partial.Clear();
        // Escape sequences lose their ESC above; drop the remaining "[...m" style tails of colour codes.
        text = EscapeTail().Replace(text, "");
        if (text.Length == 0)
        {
            return;
        }
        _entries.Enqueue(new ConsoleLogEntry(_nextId++, time.GetUtcNow(), text));
        while (_entries.Count > Capacity)
        {
            _entries.Dequeue();
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[[0-9;?]*[A-Za-z]")]
    private static partial System.Text.RegularExpressions.Regex EscapeTail();
}
