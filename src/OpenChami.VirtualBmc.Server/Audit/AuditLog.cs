using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Security;

namespace OpenChami.VirtualBmc.Server.Audit;

/// <summary>One line of the audit log.</summary>
public sealed record AuditRecord(
    DateTimeOffset Time,
    string Event,
    string? Account,
    string? Role,
    string? Via,
    string Source,
    string? Slot,
    string Method,
    string Path,
    JsonNode? Parameters,
    int? Status,
    string? Result,
    double? DurationMs,
    string RequestId);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;

/// <summary>What the audit knows of a state-changing request while it runs.</summary>
public sealed class AuditScope(long started)
{
    public long Started { get; } = started;
    public JsonNode? Parameters { get; set; }
    public bool IntentWritten { get; set; }

    /// <summary>What the handler did or why it failed, in a few words, appended to the outcome's result.</summary>
    public string? Detail { get; set; }
}

/// <summary>
/// The audit trail, separate from the diagnostic log: every state-changing request (an "intent" line before it acts —
/// if that line cannot be written the request is refused — and an "outcome" line before the response goes out) and
/// every failed login. JSON lines in a file (mode 0600), each also sent to the console log with Audit=true for journald.
/// Passwords, tokens and image-server credentials never reach it.
/// </summary>
public sealed class AuditLog : IDisposable
{
    private static readonly HashSet<string> Secret = new(StringComparer.OrdinalIgnoreCase) { "Password", "Token", "X-Auth-Token" };
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly FileStream _file;
    private readonly Serilog.ILogger _log;
    private readonly TimeProvider _time;

    public AuditLog(string path, Serilog.ILogger log, TimeProvider time)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        _log = log.ForContext("Audit", true);
        _time = time;
        FilePath = path;
    }

    public string FilePath { get; }

    /// <summary>The ways an audit write fails (disk full, permissions, log closed at shutdown).</summary>
    public static bool IsWriteFailure(Exception e) => e is IOException or UnauthorizedAccessException or ObjectDisposedException;

    public static bool IsStateChanging(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPatch(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    public async Task WriteAsync(AuditRecord record)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(record, AuditJsonContext.Default.AuditRecord);
        await _gate.WaitAsync();
        try
        {
            await _file.WriteAsync(line);
            _file.WriteByte((byte)'\n');
            await _file.FlushAsync();
        }
        finally
        {
            _gate.Release();
        }
        _log.Information("audit {Event} {Method} {Path} by {Account} from {Source}: {Result}", record.Event, record.Method, record.Path,
            record.Account ?? "-", record.Source, record.Result ?? "-");
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
        await WriteAsync(Record(context, "intent", scope.Parameters, null, null, null));
        scope.IntentWritten = true;
    }

    public Task WriteOutcomeAsync(HttpContext context, AuditScope scope) =>
        WriteAsync(Record(context, "outcome", scope.Parameters, context.Response.StatusCode,
            (context.Response.StatusCode < 400 ? "success" : "failure") + (scope.Detail is { } detail ? ": " + detail : ""),
            _time.GetElapsedTime(scope.Started).TotalMilliseconds));

    public Task WriteFailedLoginAsync(HttpContext context, string userName, bool nowLocked) =>
        WriteAsync(Record(context, "login-failed", new JsonObject { ["UserName"] = userName }, StatusCodes.Status401Unauthorized,
            nowLocked ? "failure; account locked" : "failure", null) with { Account = null });

    private AuditRecord Record(HttpContext context, string kind, JsonNode? parameters, int? status, string? result, double? duration)
    {
        var identity = context.Features.Get<RequestIdentity>();
        var scope = context.Features.Get<EndpointScope>();
        var slot = context.Request.RouteValues["id"] as string ?? (scope is { IsHostEndpoint: false } ? scope.Slots[0].Name : null);
        return new AuditRecord(_time.GetUtcNow(), kind, identity?.UserName, identity?.Role.ToString(), identity?.Via,
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown", slot, context.Request.Method, context.Request.Path.Value ?? "",
            parameters?.DeepClone(), status, result, duration, context.TraceIdentifier);
    }

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
            using var reader = new StreamReader(request.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
            var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
            try
            {
                return Redact(JsonNode.Parse(text));
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
                // Malformed JSON (ArgumentException: a duplicate key) is recorded as such; the handler answers it.
                return JsonValue.Create($"(unparsable body, {text.Length} characters)");
            }
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            return JsonValue.Create("(body over the size limit)");
        }
        finally
        {
            if (request.Body.CanSeek)
            {
                request.Body.Position = 0;
            }
        }
    }

    private static JsonNode? Redact(JsonNode? node)
    {
        if (node is JsonObject obj)
        {
            foreach (var key in obj.Select(p => p.Key).ToList())
            {
                if (Secret.Contains(key))
                {
                    obj[key] = "(redacted)";
                }
                else
                {
                    Redact(obj[key]);
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                Redact(item);
            }
        }
        return node;
    }

    public void Dispose()
    {
        _file.Dispose();
        _gate.Dispose();
    }
}

/// <summary>Opens an audit scope for each state-changing request and writes its outcome before the response starts.</summary>
public sealed class AuditMiddleware(AuditLog audit, TimeProvider time, ILogger<AuditMiddleware> log)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (!AuditLog.IsStateChanging(context.Request.Method))
        {
            await next();
            return;
        }
        var scope = new AuditScope(time.GetTimestamp());
        context.Features.Set(scope);
        context.Response.OnStarting(async () =>
        {
            try
            {
                await audit.WriteOutcomeAsync(context, scope);
            }
            catch (Exception e) when (AuditLog.IsWriteFailure(e))
            {
                log.LogCritical(e, "cannot write the audit outcome of {Method} {Path}", context.Request.Method, context.Request.Path);
            }
        });
        await next();
    }
}
