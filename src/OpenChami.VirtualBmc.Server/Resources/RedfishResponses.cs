using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>Writes payloads with the headers every Redfish response carries.</summary>
public static class RedfishResponses
{
    public const string JsonContentType = "application/json; charset=utf-8";

    public static Task WriteAsync<T>(HttpContext context, T payload, JsonTypeInfo<T> typeInfo, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = JsonContentType;
        context.Response.Headers["OData-Version"] = "4.0";
        context.Response.Headers.CacheControl = "no-store";
        return JsonSerializer.SerializeAsync(context.Response.Body, payload, typeInfo, context.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext context, RedfishMessage message) =>
        WriteAsync(context, message.ToError(), RedfishJsonContext.Wire.RedfishError, message.HttpStatus);
}
