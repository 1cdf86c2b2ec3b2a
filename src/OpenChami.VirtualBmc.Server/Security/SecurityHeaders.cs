namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>Headers every response carries (bmcweb's set): no caching, no sniffing, no framing, no scripts, HSTS on HTTPS.</summary>
public static class SecurityHeaders
{
    public static Task Invoke(HttpContext context, Func<Task> next)
    {
        var headers = context.Response.Headers;
        headers["X-Content-Type-Options"] = "nosniff";
        headers["X-Frame-Options"] = "DENY";
        headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
        }
        return next();
    }
}
