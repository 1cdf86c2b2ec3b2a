namespace OpenChami.VirtualBmc.Server.Audit;

/// <summary>
/// Intent lines that never got an outcome: the process stopped (kill -9, power loss) between the two. Found at start
/// by request id, so each can be closed with an "interrupted" outcome and nothing is left unexplained.
/// </summary>
public static class InterruptedIntents
{
    public static IReadOnlyList<AuditRecord> Find(string path, Serilog.ILogger log)
    {
        var open = new Dictionary<string, AuditRecord>(StringComparer.Ordinal);
        var unreadable = 0;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }
                if (AuditRecords.Parse(line) is not { } record)
                {
                    unreadable++;
                    continue;
                }
                if (record.Event == "intent")
                {
                    open[record.RequestId] = record;
                }
                else if (record.Event == "outcome")
                {
                    open.Remove(record.RequestId);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Error("audit: cannot read {File} to close interrupted intents: {Reason}", path, e.Message);
            return [];
        }
        if (unreadable > 0)
        {
            log.Warning("audit: {Count} line(s) of {File} are not audit records (written by another program or an older version)", unreadable, path);
        }
        return open.Values.Select(intent => intent with
        {
            Event = "outcome",
            Status = null,
            DurationMs = null,
            Result = $"interrupted: the service stopped before this request's outcome was recorded (intent at {intent.Time:O})",
        }).ToList();
    }
}
