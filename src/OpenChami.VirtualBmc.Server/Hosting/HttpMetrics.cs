using System.Diagnostics;
using OpenChami.VirtualBmc.Server.Protocol;
using Prometheus;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>
/// HTTP request metrics whose label values all come from closed sets — a known method or "other", the route template
/// of a Redfish route or "" when none matched, the status class — so no request, authenticated or not, can add a
/// series (prometheus-net's own middleware labels the raw method, and a client sending random methods grew the
/// registry without bound). Names and labels are the ones prometheus-net's middleware uses.
/// </summary>
public static class HttpMetrics
{
    public const string Other = "other";

    private static readonly HashSet<string> KnownMethods = new(StringComparer.Ordinal)
    {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
    };

    private static readonly Counter Requests = Metrics.CreateCounter("http_requests_received_total",
        "Provides the count of HTTP requests that have been processed by the ASP.NET Core pipeline.",
        new CounterConfiguration { LabelNames = ["code", "method", "endpoint"] });

    private static readonly Histogram Duration = Metrics.CreateHistogram("http_request_duration_seconds",
        "The duration of HTTP requests processed by an ASP.NET Core application.",
        new HistogramConfiguration { LabelNames = ["code", "method", "endpoint"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });

    private static readonly Gauge InProgress = Metrics.CreateGauge("http_requests_in_progress",
        "The number of requests currently in progress in the ASP.NET Core pipeline.",
        new GaugeConfiguration { LabelNames = ["method", "endpoint"] });

    /// <summary>The method as a label: one of the methods HTTP defines and the service may answer, else "other".</summary>
    public static string MethodLabel(string method) => KnownMethods.Contains(method) ? method : Other;

    /// <summary>The status class (2xx … 5xx), else "other".</summary>
    public static string CodeLabel(int status) => status is >= 100 and < 600 ? $"{status / 100}xx" : Other;

    /// <summary>The Redfish route template that matched (a fixed set), else "".</summary>
    public static string EndpointLabel(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint route && route.Metadata.GetMetadata<RedfishRouteInfo>() is not null ? route.RoutePattern.RawText ?? "" : "";

    public static async Task Invoke(HttpContext context, Func<Task> next)
    {
        var method = MethodLabel(context.Request.Method);
        var endpoint = EndpointLabel(context);
        var started = Stopwatch.GetTimestamp();
        var inProgress = InProgress.WithLabels(method, endpoint);
        inProgress.Inc();
        try
        {
            await next();
        }
        finally
        {
            inProgress.Dec();
            var code = CodeLabel(context.Response.StatusCode);
            Requests.WithLabels(code, method, endpoint).Inc();
            Duration.WithLabels(code, method, endpoint).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
