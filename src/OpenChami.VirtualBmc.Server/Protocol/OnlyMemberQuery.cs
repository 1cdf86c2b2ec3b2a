using System.Text.Json;

namespace OpenChami.VirtualBmc.Server.Protocol;

/// <summary>
/// DSP0266's <c>only</c> query parameter (advertised as OnlyMemberQuery): a GET of a collection with exactly one member
/// answers that member instead; any other collection (or resource) answers as without it. Runs before routing, so the
/// member is served by its own route, privileges and ETag.
/// </summary>
public static class OnlyMemberQuery
{
    public static async Task Invoke(HttpContext context, Func<Task> next)
    {
        var query = context.Request.Query;
        // `only` with a value or with other parameters is refused by QueryOptions (400): let the request reach it.
        if (!HttpMethods.IsGet(context.Request.Method) || query.Count != 1 || !query.TryGetValue("only", out var value) || value.ToString().Length > 0)
        {
            await next();
            return;
        }
        var headersBefore = context.Response.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
        var body = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next();
        }
        finally
        {
            context.Response.Body = body;
        }
        if (context.Response.StatusCode == StatusCodes.Status200OK && SoleMember(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)) is { } member)
        {
            context.Response.Clear();
            foreach (var (key, header) in headersBefore)
            {
                context.Response.Headers[key] = header;
            }
            context.SetEndpoint(null);
            context.Request.RouteValues.Clear();
            context.Request.Path = member;
            context.Request.QueryString = QueryString.Empty;
            await next();
            return;
        }
        buffer.Position = 0;
        await buffer.CopyToAsync(body, context.RequestAborted);
    }

    private static string? SoleMember(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("Members", out var members)
                && members.ValueKind == JsonValueKind.Array && members.GetArrayLength() == 1
                && members[0].TryGetProperty("@odata.id", out var id) && id.GetString() is { } path && path.StartsWith("/redfish/v1/", StringComparison.Ordinal)
                ? path
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
