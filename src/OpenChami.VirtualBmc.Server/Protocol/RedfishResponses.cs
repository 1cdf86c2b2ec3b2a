using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Net.Http.Headers;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;

namespace OpenChami.VirtualBmc.Server.Protocol;

/// <summary>
/// Writes payloads with the headers every Redfish response carries, computes the ETag of GET responses, answers
/// If-None-Match with 304, and applies the query options ($select, $top/$skip) to the serialized payload.
/// </summary>
public static class RedfishResponses
{
    public const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>Serializes the payload; its ETag is of the whole resource, before any query option is applied.</summary>
    public static Task WriteAsync<T>(HttpContext context, T payload, JsonTypeInfo<T> typeInfo, int status = StatusCodes.Status200OK)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(payload, typeInfo);
        return WriteBytesAsync(context, bytes, status, describedBy: DescribedBy(payload));
    }

    /// <summary>
    /// Writes a representation serialized earlier, with its ETag computed then (once per change, not per request);
    /// the same headers, 304 and query options as <see cref="WriteAsync{T}"/>.
    /// </summary>
    public static Task WriteSerializedAsync(HttpContext context, byte[] bytes, string etag, string? describedBy, int status = StatusCodes.Status200OK) =>
        WriteBytesAsync(context, bytes, status, describedBy, etag);

    public static Task WriteErrorAsync(HttpContext context, RedfishMessage message) => WriteErrorAsync(context, [message]);

    /// <summary>The error body of the messages, with the first one's status; a 503 "retry in N seconds" also sets Retry-After.</summary>
    public static Task WriteErrorAsync(HttpContext context, IReadOnlyList<RedfishMessage> messages)
    {
        var error = RedfishErrors.From(messages);
        if (messages[0].MessageId == BaseMessages.ServiceTemporarilyUnavailable("").MessageId)
        {
            context.Response.Headers.RetryAfter = messages[0].MessageArgs[0];
        }
        var bytes = JsonSerializer.SerializeToUtf8Bytes(error, RedfishJsonContext.Wire.RedfishError);
        return WriteBytesAsync(context, bytes, messages[0].HttpStatus, describedBy: null);
    }

    /// <summary>The weak ETag of a representation: its bytes hashed; equal bytes, equal tag.</summary>
    public static string ETagOf(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(bytes, hash);
        return $"W/\"{Convert.ToHexStringLower(hash[..8])}\"";
    }

    /// <summary>204: an action or write done, nothing to show (with the headers every Redfish response carries).</summary>
    public static void NoContent(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        SetCommonHeaders(context.Response);
    }

    /// <summary>The headers every Redfish response carries.</summary>
    public static void SetCommonHeaders(HttpResponse response)
    {
        response.Headers["OData-Version"] = "4.0";
        response.Headers.CacheControl = "no-store";
    }

    private static async Task WriteBytesAsync(HttpContext context, byte[] bytes, int status, string? describedBy, string? knownETag = null)
    {
        var response = context.Response;
        response.StatusCode = status;
        var headers = response.Headers;
        SetCommonHeaders(response);
        // A representation's ETag: only a successful read (GET or HEAD) has one, never an error body.
        if (status == StatusCodes.Status200OK && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
        {
            var etag = knownETag ?? ETagOf(bytes);
            headers.ETag = etag;
            // DSP0266: GET and HEAD say which methods the resource takes (clients learn from it what is writable).
            if (ProtocolMiddleware.AllowHeader(context) is { Length: > 0 } allow)
            {
                headers.Allow = allow;
            }
            if (describedBy is not null)
            {
                headers.Link = $"<{describedBy}>; rel=describedby";
            }
            if (IfNoneMatchHits(context.Request, etag))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            if (context.Features.Get<QueryOptions>() is { IsEmpty: false } options)
            {
                bytes = Apply(bytes, options);
            }
        }
        response.ContentType = JsonContentType;
        response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }

    private static bool IfNoneMatchHits(HttpRequest request, string etag) =>
        request.Headers.IfNoneMatch.Count > 0
        && EntityTagHeaderValue.TryParseList(request.Headers.IfNoneMatch, out var tags)
        && tags.Any(t => t.Tag == "*" || t.Compare(EntityTagHeaderValue.Parse(etag), useStrongComparison: false));

    /// <summary>
    /// True when If-Match is absent or names the current ETag. PATCH and actions call this before changing anything
    /// (412 PreconditionFailed otherwise).
    /// </summary>
    public static bool IfMatchHolds(HttpRequest request, string currentETag) =>
        request.Headers.IfMatch.Count == 0
        || (EntityTagHeaderValue.TryParseList(request.Headers.IfMatch, out var tags)
            && tags.Any(t => t.Tag == "*" || t.Compare(EntityTagHeaderValue.Parse(currentETag), useStrongComparison: false)));

    /// <summary>$select keeps the OData control properties and the named ones (A/B selects inside A); $top/$skip page Members.</summary>
    private static byte[] Apply(byte[] bytes, QueryOptions options)
    {
        if (JsonNode.Parse(bytes) is not JsonObject root)
        {
            return bytes;
        }
        if (options.Select is { } select)
        {
            root = Select(root, select.Select(s => s.Split('/')).ToList());
        }
        if ((options.Top is not null || options.Skip is not null) && root["Members"] is JsonArray members)
        {
            var all = members.Select(m => m?.DeepClone()).ToList();
            var skip = Math.Min(options.Skip ?? 0, all.Count);
            var page = all.Skip(skip).Take(options.Top ?? int.MaxValue).ToList();
            root["Members"] = new JsonArray([.. page]);
            if (skip + page.Count < all.Count && root["@odata.id"]?.GetValue<string>() is { } id)
            {
                root["Members@odata.nextLink"] = $"{id}?$skip={skip + page.Count}" + (options.Top is { } top ? $"&$top={top}" : "");
            }
        }
        return JsonSerializer.SerializeToUtf8Bytes(root, RedfishJsonContext.Wire.JsonObject);
    }

    private static JsonObject Select(JsonObject source, List<string[]> paths)
    {
        var result = new JsonObject();
        foreach (var (key, value) in source)
        {
            var wanted = paths.Where(p => p[0] == key).ToList();
            if (key.StartsWith("@odata.", StringComparison.Ordinal))
            {
                result[key] = value?.DeepClone();
            }
            else if (wanted.Any(p => p.Length == 1))
            {
                result[key] = value?.DeepClone();
            }
            else if (wanted.Count > 0 && value is JsonObject inner)
            {
                result[key] = Select(inner, wanted.Select(p => p[1..]).ToList());
            }
        }
        return result;
    }

    public static string? DescribedBy<T>(T payload)
    {
        // "#ComputerSystem.v1_22_0.ComputerSystem" → the DMTF JSON schema URI of that version.
        if (payload is not IRedfishResource { ODataType: var type })
        {
            return null;
        }
        var parts = type.TrimStart('#').Split('.');
        return $"http://redfish.dmtf.org/schemas/v1/{(parts.Length == 3 ? $"{parts[0]}.{parts[1]}" : parts[0])}.json";
    }
}
