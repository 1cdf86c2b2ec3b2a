using System.Collections.Concurrent;
using Microsoft.AspNetCore.Routing.Template;
using OpenChami.VirtualBmc.Redfish;

namespace OpenChami.VirtualBmc.Server.Protocol;

/// <summary>
/// Runs after routing, before the handler: 404 for unknown resources, 405 with Allow for a method the resource does
/// not take, 412 for an OData-Version other than 4.0, and the query options (or their error). All in Redfish form.
/// </summary>
public static class ProtocolMiddleware
{
    private static readonly ConcurrentDictionary<RouteEndpoint, TemplateMatcher> Matchers = new();

    public static Task Invoke(HttpContext context, Func<Task> next)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            return RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("Resource", context.Request.Path.Value ?? "/"));
        }
        if (endpoint.Metadata.GetMetadata<RedfishRouteInfo>() is null)
        {
            // Routing matched the path but not the method: ASP.NET's 405 endpoint, answered here in Redfish form.
            context.Response.Headers.Allow = string.Join(", ", AllowedMethods(context));
            return RedfishResponses.WriteErrorAsync(context, BaseMessages.OperationNotAllowed());
        }
        if (context.Request.Headers.TryGetValue("OData-Version", out var version) && version.ToString() != "4.0")
        {
            return RedfishResponses.WriteErrorAsync(context, BaseMessages.PreconditionFailed());
        }
        if (context.Request.QueryString.HasValue)
        {
            var (options, error) = QueryOptions.Parse(context.Request.Query);
            if (error is not null)
            {
                return RedfishResponses.WriteErrorAsync(context, error);
            }
            context.Features.Set(options);
        }
        return next();
    }

    /// <summary>The methods some route takes at this path (for the Allow header of a 405).</summary>
    public static IEnumerable<string> AllowedMethods(HttpContext context)
    {
        var path = context.Request.Path;
        var source = context.RequestServices.GetRequiredService<EndpointDataSource>();
        return source.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<RedfishRouteInfo>() is not null)
            .Where(e => Matchers.GetOrAdd(e, ep => new TemplateMatcher(TemplateParser.Parse(ep.RoutePattern.RawText!), new RouteValueDictionary()))
                .TryMatch(path, new RouteValueDictionary()))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            .Distinct()
            .Order(StringComparer.Ordinal);
    }
}
