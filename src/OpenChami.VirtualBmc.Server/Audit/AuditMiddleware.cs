using OpenChami.VirtualBmc.Server.Security;

namespace OpenChami.VirtualBmc.Server.Audit;

/// <summary>
/// Opens an audit scope for each state-changing request and, before the response starts, records how it ended: an
/// outcome line when an intent was written or someone authenticated was refused; otherwise (nobody authenticated)
/// only a count for the next unauthenticated summary.
/// </summary>
public sealed class AuditMiddleware(AuditLog audit, TimeProvider time, ILogger<AuditMiddleware> log)
{
    /// <summary>Set in HttpContext.Items when a failure before authentication was already counted (a wrong password).</summary>
    public const string CountedKey = "audit.unauthenticated-counted";

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (!AuditLog.IsStateChanging(context.Request.Method))
        {
            await next();
            return;
        }
        var scope = new AuditScope(time.GetTimestamp());
        context.Features.Set(scope);
        context.Response.OnStarting(async () =>
        {
            if (!scope.IntentWritten && context.Features.Get<RequestIdentity>() is null)
            {
                if (!context.Items.ContainsKey(CountedKey))
                {
                    audit.CountUnauthenticated(context, context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                return;
            }
            try
            {
                await audit.WriteOutcomeAsync(context, scope);
            }
            catch (Exception e) when (AuditLog.IsWriteFailure(e))
            {
                log.LogCritical(e, "cannot write the audit outcome of {Method} {Path}", context.Request.Method, context.Request.Path);
            }
        });
        await next();
    }
}
