using System.Text.Json;
using System.Text.Json.Nodes;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Security;

namespace OpenChami.VirtualBmc.Server.Audit;

/// <summary>
/// The audit trail, separate from the diagnostic log: every state-changing request by someone authenticated (an
/// "intent" line before it acts — if that line cannot be written the request is refused — and an "outcome" line
/// before the response goes out), a line when a failed login locks an account, and one "unauthenticated" summary per
/// minute counting everything that failed before authentication. JSON lines in a file (mode 0600), each also sent to
/// the console log with Audit=true for journald. Passwords, tokens and image-server credentials never reach it.
/// <list type="bullet">
/// <item>Whole lines only: each line is one write at the file's end, and a write that fails (ENOSPC) is cut back off.</item>
/// <item>A reserve file (<see cref="ReserveBytes"/>, allocated on disk) is given up when an outcome cannot be written
/// for lack of space, so an action that was allowed to start is always recorded; no intent is accepted while the
/// reserve is missing.</item>
/// <item>SIGHUP reopens the file (logrotate moves it away, the service writes a new one).</item>
/// <item>At start, every intent without an outcome (the process was killed) gets an "interrupted" outcome line.</item>
/// </list>
/// </summary>
public sealed class AuditLog : IDisposable
{
    public const int ReserveBytes = 256 * 1024;
    public static readonly TimeSpan SummaryInterval = TimeSpan.FromMinutes(1);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Serilog.ILogger _log;
    private readonly TimeProvider _time;
    private readonly ITimer _summaryTimer;
    private FileStream _file;
    private bool _disposed;

    public AuditLog(string path, Serilog.ILogger log, TimeProvider time)
    {
        FilePath = path;
        _log = log.ForContext("Audit", true);
        _time = time;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _file = Open(path);
        Unauthenticated = new UnauthenticatedTally(time.GetUtcNow());
        try
        {
            EnsureReserve();
        }
        catch (Exception e) when (IsWriteFailure(e))
        {
            log.Error("audit: cannot allocate the reserve {Reserve}: {Reason}; audited requests are refused until it can", ReservePath, e.Message);
        }
        foreach (var interrupted in InterruptedIntents.Find(path, log))
        {
            WriteLine(Serialize(interrupted with { Time = time.GetUtcNow() }), useReserve: true);
            _log.Warning("audit outcome {Method} {Path} by {Account}: interrupted (request {RequestId} of {Time:u} had no outcome)",
                interrupted.Method, interrupted.Path, interrupted.Account ?? "-", interrupted.RequestId, interrupted.Time);
        }
        _summaryTimer = time.CreateTimer(_ => FlushSummary(), null, SummaryInterval, SummaryInterval);
    }

    public string FilePath { get; }

    private string ReservePath => FilePath + ".reserve";

    public UnauthenticatedTally Unauthenticated { get; }

    /// <summary>The ways an audit write fails (disk full, permissions, log closed at shutdown).</summary>
    public static bool IsWriteFailure(Exception e) => e is IOException or UnauthorizedAccessException or ObjectDisposedException;

    public static bool IsStateChanging(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPatch(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    /// <summary>Reopens the file at its path (after logrotate moved it); the old handle is closed.</summary>
    public void Reopen()
    {
        _gate.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var reopened = Open(FilePath);
            var old = _file;
            _file = reopened;
            old.Dispose();
        }
        finally
        {
            _gate.Release();
        }
        _log.Information("audit log reopened: {File}", FilePath);
    }

    /// <summary>Writes one line; throws only when it cannot be written (never because of what the record contains).</summary>
    public async Task WriteAsync(AuditRecord record, bool useReserve = false)
    {
        var line = Serialize(record);
        await _gate.WaitAsync();
        try
        {
            WriteLineLocked(line, useReserve);
        }
        finally
        {
            _gate.Release();
        }
        _log.Information("audit {Event} {Method} {Path} by {Account} from {Source}: {Result}", record.Event, record.Method, AuditText.Clean(record.Path),
            AuditText.CleanOrNull(record.Account) ?? "-", record.Source, record.Result ?? "-");
    }

    /// <summary>Before the action: who asks for what, with the (redacted) body. Throws if it cannot be written.</summary>
    public async Task WriteIntentAsync(HttpContext context)
    {
        var scope = context.Features.Get<AuditScope>();
        if (scope is null)
        {
            return;
        }
        scope.Parameters = await ReadParametersAsync(context.Request);
        // No intent without room for its outcome: while the reserve is missing, nothing new may start.
        await _gate.WaitAsync();
        try
        {
            EnsureReserve();
        }
        finally
        {
            _gate.Release();
        }
        await WriteAsync(Record(context, "intent", scope.Parameters, null, null, null), useReserve: false);
        scope.IntentWritten = true;
    }

    /// <summary>The outcome; only one whose intent was written may use the reserve (a refusal before acting changed nothing).</summary>
    public Task WriteOutcomeAsync(HttpContext context, AuditScope scope) =>
        WriteAsync(Record(context, "outcome", scope.Parameters, context.Response.StatusCode,
            (context.Response.StatusCode < 400 ? "success" : "failure") + (scope.Detail is { } detail ? ": " + detail : ""),
            _time.GetElapsedTime(scope.Started).TotalMilliseconds), useReserve: scope.IntentWritten);

    /// <summary>A failed login that locked an existing account: its own line (at most one per lock).</summary>
    public Task WriteLockoutAsync(HttpContext context, string userName) =>
        WriteAsync(Record(context, "account-locked", new JsonObject { ["UserName"] = AuditText.Clean(userName) }, StatusCodes.Status401Unauthorized,
            "failure; account locked", null) with { Account = null, Role = null, Via = null });

    /// <summary>Counts a request that failed before authentication; written in the next summary line.</summary>
    public void CountUnauthenticated(HttpContext context, string kind, string? userName = null) =>
        Unauthenticated.Count(kind, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", userName);

    /// <summary>Writes the summary of unauthenticated failures since the last one (if any). Never throws.</summary>
    public void FlushSummary()
    {
        if (Unauthenticated.TakeSummary(_time.GetUtcNow()) is not { } summary)
        {
            return;
        }
        var record = new AuditRecord(_time.GetUtcNow(), "unauthenticated", null, null, null, "-", null, "-", "-", summary, StatusCodes.Status401Unauthorized,
            $"{summary["failures"]} request(s) failed before authentication since {summary["from"]}; {summary["totalSinceStart"]} since start", null, "-");
        try
        {
            WriteAsync(record, useReserve: false).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            // Runs on a timer: nothing may escape it.
            _log.Error("audit: cannot write the unauthenticated summary ({Failures} failures): {Reason}", summary["failures"]?.ToString(), e.Message);
        }
    }

    private AuditRecord Record(HttpContext context, string kind, JsonNode? parameters, int? status, string? result, double? duration)
    {
        var identity = context.Features.Get<RequestIdentity>();
        var scope = context.Features.Get<EndpointScope>();
        var slot = context.Request.RouteValues["id"] as string ?? (scope is { IsHostEndpoint: false } ? scope.Slots[0].Name : null);
        return new AuditRecord(_time.GetUtcNow(), kind, identity?.UserName, identity?.Role.ToString(), identity?.Via,
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown", slot, context.Request.Method, context.Request.Path.Value ?? "",
            parameters?.DeepClone(), status, result, duration, context.TraceIdentifier);
    }

    /// <summary>The record as one JSON line; text a client sent is escaped, never a reason to fail.</summary>
    private static byte[] Serialize(AuditRecord record)
    {
        var clean = record with
        {
            Event = AuditText.Clean(record.Event),
            Parameters = AuditText.Clean(record.Parameters),
            Account = AuditText.CleanOrNull(record.Account),
            Source = AuditText.Clean(record.Source),
            Slot = AuditText.CleanOrNull(record.Slot),
            Method = AuditText.Clean(record.Method),
            Path = AuditText.Clean(record.Path),
            Result = AuditText.CleanOrNull(record.Result),
            RequestId = AuditText.Clean(record.RequestId),
        };
        byte[] json;
        try
        {
            json = JsonSerializer.SerializeToUtf8Bytes(clean, AuditJsonContext.Default.AuditRecord);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or JsonException)
        {
            json = JsonSerializer.SerializeToUtf8Bytes(clean with { Parameters = JsonValue.Create("(parameters not serialisable)") }, AuditJsonContext.Default.AuditRecord);
        }
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    private void WriteLine(byte[] line, bool useReserve)
    {
        _gate.Wait();
        try
        {
            WriteLineLocked(line, useReserve);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void WriteLineLocked(byte[] line, bool useReserve)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            Append(line);
        }
        catch (IOException) when (useReserve && File.Exists(ReservePath))
        {
            // Out of space for a line that must exist (an outcome): give up the reserve and try once more.
            File.Delete(ReservePath);
            _log.Error("audit: the disk of {File} is full; the reserve was released to record an outcome, and no new audited request is accepted until there is room again", FilePath);
            Append(line);
        }
    }

    /// <summary>One write at the end of the file; on failure the part that was written is cut off again.</summary>
    private void Append(byte[] line)
    {
        var end = RandomAccess.GetLength(_file.SafeFileHandle);
        try
        {
            RandomAccess.Write(_file.SafeFileHandle, line, end);
        }
        catch (IOException)
        {
            try
            {
                RandomAccess.SetLength(_file.SafeFileHandle, end);
            }
            catch (IOException)
            {
                // Nothing more to do; the next start skips a torn last line.
            }
            throw;
        }
    }

    private void EnsureReserve()
    {
        if (File.Exists(ReservePath))
        {
            return;
        }
        using var reserve = new FileStream(ReservePath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            PreallocationSize = ReserveBytes,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
    }

    /// <summary>Unbuffered: every line goes to the file in one write, nothing waits in a buffer to be torn later.</summary>
    private static FileStream Open(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.Append,
        Access = FileAccess.Write,
        Share = FileShare.Read | FileShare.Delete,
        BufferSize = 0,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });

    private static async Task<JsonNode?> ReadParametersAsync(HttpRequest request)
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            return null;
        }
        request.EnableBuffering();
        try
        {
            if (request.ContentLength > request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize)
            {
                return JsonValue.Create($"(body of {request.ContentLength} bytes, over the limit)");
            }
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
            return AuditText.Parameters(buffer.ToArray());
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
        {
            return JsonValue.Create(e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "(body over the size limit)" : $"(malformed body: {e.Message})");
        }
        finally
        {
            if (request.Body.CanSeek)
            {
                request.Body.Position = 0;
            }
        }
    }

    public void Dispose()
    {
        _summaryTimer.Dispose();
        FlushSummary();
        _gate.Wait();
        try
        {
            _disposed = true;
            _file.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }
}
