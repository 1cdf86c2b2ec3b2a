using OpenChami.VirtualBmc.Host;
using OpenChami.VirtualBmc.Report;
using OpenChami.VirtualBmc.Slots.Placement;
using OpenChami.VirtualBmc.Slots.Validation;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// The validation report as the audit page (docs/validation.md): on the host endpoint only, for a client whose Accept
/// ranks text/html above JSON (a browser). Same route, so the same privileges as the JSON (Login: ReadOnly and up; no
/// anonymous access unless the site grants it). The findings are the ones the JSON shows (the served slot state); the
/// topology is sysfs read for this request, with each slot device resolved against it.
/// </summary>
public static class AuditPageResource
{
    public static bool Wanted(HttpContext context) =>
        RequestScope.Of(context).IsHostEndpoint && PrefersHtml(context.Request);

    public static async Task WriteAsync(HttpContext context)
    {
        var scope = RequestScope.Of(context);
        var site = RequestScope.Node(context).Site.Config;
        var inventory = new SysfsInventorySource(site.Host.SysfsRoot).Read();
        var recorder = new ResolutionRecorder();
        BindingValidator.Validate(site, inventory, [recorder]);
        var served = new ValidationReport([.. scope.Slots.Select(s => new SlotValidation(s.Name, s.Health.Findings))]);
        var page = TopologyPage.Render(TopologyAudit.ForValidation(site, inventory, served, recorder.Devices));

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = TopologyPage.ContentType;
        response.ContentLength = page.Length;
        response.Headers["Content-Security-Policy"] = TopologyPage.ContentSecurityPolicy + "; frame-ancestors 'none'";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(page, context.RequestAborted);
        }
    }

    /// <summary>text/html (or XHTML) at a quality at least that of JSON; curl's */* and Redfish clients get JSON.</summary>
    private static bool PrefersHtml(HttpRequest request)
    {
        double html = 0, json = 0;
        foreach (var type in request.GetTypedHeaders().Accept)
        {
            var q = type.Quality ?? 1;
            var name = type.MediaType.Value;
            if (name is "text/html" or "application/xhtml+xml")
            {
                html = Math.Max(html, q);
            }
            else if (name is "application/json" or "application/*" or "*/*")
            {
                json = Math.Max(json, q);
            }
        }
        return html > 0 && html >= json;
    }
}
