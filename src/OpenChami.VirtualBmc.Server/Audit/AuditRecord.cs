using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

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

/// <summary>Reads audit lines back: at start (interrupted intents) and for the Manager's AuditLog.</summary>
public static class AuditRecords
{
    /// <summary>The record of one line; null for a blank line or one that is not an audit record.</summary>
    public static AuditRecord? Parse(string line)
    {
        try
        {
            return line.Length == 0 ? null : System.Text.Json.JsonSerializer.Deserialize(line, AuditJsonContext.Default.AuditRecord);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

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
