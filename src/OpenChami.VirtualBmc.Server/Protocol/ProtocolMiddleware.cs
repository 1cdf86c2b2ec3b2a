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

    /// <summary>
    /// A path no route serves, or a method the path's routes do not take: answered (404, or 405 with Allow) only after
    /// authentication, like any resource, so an anonymous client cannot map the routes by 404 versus 405.
    /// </summary>
    private static readonly RedfishRouteInfo Unrouted = new("Unrouted", "ANY", [[Privilege.Login]]);

    public static Task Invoke(HttpContext context, Func<Task> next)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null || endpoint.Metadata.GetMetadata<RedfishRouteInfo>() is null)
        {
            // No endpoint: no route matched. An endpoint without our metadata: ASP.NET's 405 for a path that matched.
            var methodNotAllowed = endpoint is not null;
            context.SetEndpoint(new Endpoint(c => AnswerUnroutedAsync(c, methodNotAllowed), new EndpointMetadataCollection(Unrouted), "unrouted"));
            return next();
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

    /// <summary>405 with Allow when a route serves the path (and the slot it names exists here); 404 otherwise.</summary>
    private static Task AnswerUnroutedAsync(HttpContext context, bool methodNotAllowed)
    {
        if (methodNotAllowed && NamedSlotExists(context))
        {
            context.Response.Headers.Allow = string.Join(", ", AllowedMethods(context));
            return RedfishResponses.WriteErrorAsync(context, BaseMessages.OperationNotAllowed());
        }
        return RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("Resource", context.Request.Path.Value ?? "/"));
    }

    /// <summary>A PUT on /Systems/nope is about a resource that does not exist: 404, as its GET would answer.</summary>
    private static bool NamedSlotExists(HttpContext context)
    {
        var path = context.Request.Path;
        var source = context.RequestServices.GetRequiredService<EndpointDataSource>();
        var scope = context.Features.Get<Hosting.EndpointScope>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>().Where(e => e.Metadata.GetMetadata<RedfishRouteInfo>() is not null))
        {
            var values = new RouteValueDictionary();
            if (Matcher(endpoint).TryMatch(path, values))
            {
                return values["id"] is not string id || scope?.Find(id) is not null;
            }
        }
        return false;
    }

    private static TemplateMatcher Matcher(RouteEndpoint endpoint) =>
        Matchers.GetOrAdd(endpoint, ep => new TemplateMatcher(TemplateParser.Parse(ep.RoutePattern.RawText!), new RouteValueDictionary()));

    private static readonly ConcurrentDictionary<string, string> AllowByPattern = new(StringComparer.Ordinal);

    /// <summary>The methods the resource of the current route takes (the Allow header of its GET and HEAD answers).</summary>
    public static string? AllowHeader(HttpContext context)
    {
        if (context.GetEndpoint() is not RouteEndpoint { RoutePattern.RawText: { } pattern })
        {
            return null;
        }
        return AllowByPattern.GetOrAdd(pattern, _ => string.Join(", ", context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText == pattern && e.Metadata.GetMetadata<RedfishRouteInfo>() is not null)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            .Distinct()
            .Order(StringComparer.Ordinal)));
    }

    public static IEnumerable<string> AllowedMethods(HttpContext context)
    {
        var path = context.Request.Path;
        var source = context.RequestServices.GetRequiredService<EndpointDataSource>();
        return source.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<RedfishRouteInfo>() is not null)
            .Where(e => Matcher(e).TryMatch(path, new RouteValueDictionary()))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            .Distinct()
            .Order(StringComparer.Ordinal);
    }
}
