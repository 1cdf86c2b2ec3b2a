namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>
/// Headers every response carries (bmcweb's set): no caching, no sniffing, no framing, no scripts, HSTS on HTTPS.
/// Set as the response starts, so an error answer that cleared the response still has them; and every 503 says when
/// to come back (Retry-After), whichever part of the service refused.
/// </summary>
public static class SecurityHeaders
{
    public const string DefaultRetryAfterSeconds = "30";

    public static Task Invoke(HttpContext context, Func<Task> next)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers["X-Content-Type-Options"] = "nosniff";
            headers["X-Frame-Options"] = "DENY";
            if (headers.ContentSecurityPolicy.Count == 0)
            {
                // The audit page sets its own (its stylesheet's hash); everything else allows nothing.
                headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            }
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            headers.Pragma = "no-cache";
            if (context.Request.IsHttps)
            {
                headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
            }
            if (context.Response.StatusCode == StatusCodes.Status503ServiceUnavailable && headers.RetryAfter.Count == 0)
            {
                headers.RetryAfter = DefaultRetryAfterSeconds;
            }
            return Task.CompletedTask;
        });
        return next();
    }
}
