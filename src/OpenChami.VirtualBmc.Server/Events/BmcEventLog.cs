using System.Text;
using System.Text.Json;

namespace OpenChami.VirtualBmc.Server.Events;

/// <summary>
/// The one owner of the BMC's event log: what the service did and found (starts and stops, reloads, host-check
/// findings, BMC resets, lockouts). Keeps the newest <see cref="Capacity"/> entries; with a file it appends one JSON
/// line per entry, rewrites the file to the newest entries once it holds twice as many, and reads it back at start so
/// the log survives a restart. Without a file it lives in memory. A write that fails is logged; the entry stays in memory.
/// </summary>
public sealed class BmcEventLog
{
    public const int DefaultCapacity = 1000;
    public const string FileName = "event-log.jsonl";

    private readonly Lock _gate = new();
    private readonly LinkedList<BmcEvent> _entries = new();
    private readonly TimeProvider _time;
    private readonly Serilog.ILogger _log;
    private long _nextId = 1;
    private int _fileLines;

    public BmcEventLog(string? filePath, TimeProvider time, Serilog.ILogger log, int capacity = DefaultCapacity)
    {
        FilePath = filePath;
        Capacity = capacity;
        _time = time;
        _log = log;
        if (filePath is not null)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(filePath))!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning("event log: cannot create the directory of {File}: {Reason}; the log is kept in memory", filePath, e.Message);
            }
        }
        Load();
    }

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    public string? FilePath { get; }

    public int Capacity { get; }

    /// <summary>The entries, oldest first.</summary>
    public IReadOnlyList<BmcEvent> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    public BmcEvent Record(BmcEventMessage message, string? slot = null)
    {
        lock (_gate)
        {
            var entry = new BmcEvent(_nextId++, _time.GetUtcNow(), message.Severity, message.MessageId, message.Message, message.Args, slot);
            Keep(entry);
            if (_fileLines + 1 > 2 * Capacity)
            {
                Rewrite();
            }
            else
            {
                Append(entry);
            }
            return entry;
        }
    }

    /// <summary>Removes the entries <paramref name="cleared"/> selects, then records who cleared them.</summary>
    public void Clear(Func<BmcEvent, bool> cleared, string user, string? slot)
    {
        lock (_gate)
        {
            for (var node = _entries.First; node is not null;)
            {
                var next = node.Next;
                if (cleared(node.Value))
                {
                    _entries.Remove(node);
                }
                node = next;
            }
            var message = BmcEventMessages.EventLogCleared(user);
            var entry = new BmcEvent(_nextId++, _time.GetUtcNow(), message.Severity, message.MessageId, message.Message, message.Args, slot);
            Keep(entry);
            Rewrite();
        }
    }

    private void Keep(BmcEvent entry)
    {
        _entries.AddLast(entry);
        while (_entries.Count > Capacity)
        {
            _entries.RemoveFirst();
        }
    }

    private void Load()
    {
        if (FilePath is null || !File.Exists(FilePath))
        {
            return;
        }
        try
        {
            // Streamed: the file holds at most 2 × Capacity lines, and only the newest Capacity are kept.
            foreach (var line in File.ReadLines(FilePath))
            {
                _fileLines++;
                if (Parse(line) is { } entry)
                {
                    Keep(entry);
                    _nextId = Math.Max(_nextId, entry.Id + 1);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("event log: cannot read {File}: {Reason}; starting with an empty log", FilePath, e.Message);
        }
    }

    private static BmcEvent? Parse(string line)
    {
        try
        {
            return line.Length == 0 ? null : JsonSerializer.Deserialize(line, BmcEventJsonContext.Default.BmcEvent);
        }
        catch (JsonException)
        {
            return null; // a torn last line (the process died mid-write)
        }
    }

    private static string Line(BmcEvent entry) => JsonSerializer.Serialize(entry, BmcEventJsonContext.Default.BmcEvent) + "\n";

    private void Append(BmcEvent entry)
    {
        if (FilePath is null)
        {
            return;
        }
        try
        {
            File.AppendAllText(FilePath, Line(entry), Encoding.UTF8);
            _fileLines++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("event log: cannot append to {File}: {Reason}", FilePath, e.Message);
        }
    }

    /// <summary>Writes the kept entries whole and renames over the file, so a crash leaves the old or the new file.</summary>
    private void Rewrite()
    {
        if (FilePath is null)
        {
            return;
        }
        var temporary = FilePath + ".tmp";
        try
        {
            File.WriteAllText(temporary, string.Concat(_entries.Select(Line)), Encoding.UTF8);
            File.Move(temporary, FilePath, overwrite: true);
            _fileLines = _entries.Count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("event log: cannot rewrite {File}: {Reason}", FilePath, e.Message);
        }
    }
}
