using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Audit;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Server.Resources;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Security;

/// <summary>
/// Authentication (X-Auth-Token session, else HTTP Basic, else an Insecure… anonymous network grant) and
/// authorization by the route's privileges from the DMTF registry. Only the service root, $metadata, the OData
/// document and login are anonymous; before authentication a request body may be at most 4 KiB.
/// </summary>
public sealed class AuthMiddleware(Authenticator authenticator, SessionStore sessions, Func<IReadOnlyList<Account>> accounts, SecurityConfig config, AuditLog audit,
    Events.BmcEventLog events)
{
    public const long PreAuthenticationBodyLimit = 4 * 1024;
    public const string Realm = "Basic realm=\"OpenCHAMI Virtual BMC\", charset=\"UTF-8\"";

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var route = context.GetEndpoint()?.Metadata.GetMetadata<RedfishRouteInfo>();
        if (route is null)
        {
            await next();
            return;
        }
        if (route.IsAnonymous || route.IsLogin)
        {
            // A login's intent is written once its credential is verified (AuditLoginIntentAsync): a failed login is
            // only counted, so anonymous clients cannot fill the audit log.
            LimitBody(context, PreAuthenticationBodyLimit);
            await next();
            return;
        }
        var (identity, failure) = await AuthenticateAsync(context);
        if (identity is null)
        {
            if (failure!.HttpStatus == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = Realm;
            }
            else if (failure.HttpStatus == StatusCodes.Status503ServiceUnavailable)
            {
                context.Response.Headers.RetryAfter = "5";
            }
            await RedfishResponses.WriteErrorAsync(context, failure);
            return;
        }
        context.Features.Set(identity);
        if (!PrivilegeRegistry.Allows(identity.Privileges, route.Privileges) || (route.RequiredRole is { } role && identity.Role != role))
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.InsufficientPrivilege());
            return;
        }
        if (FindAccount(identity.UserName) is { PasswordChangeRequired: true } && !PasswordChangeAllows(context, identity))
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.PasswordChangeRequired(Resources.Paths.Account(identity.UserName)));
            return;
        }
        if (AuditLog.IsStateChanging(context.Request.Method) && !await AuditIntentAsync(context))
        {
            return;
        }
        await next();
    }

    /// <summary>
    /// DSP0266 "password change required": until it sets a new password the account may read its own ManagerAccount,
    /// PATCH it, and end its session; everything else is 403 PasswordChangeRequired.
    /// </summary>
    private static bool PasswordChangeAllows(HttpContext context, RequestIdentity identity)
    {
        var path = context.Request.Path.Value?.TrimEnd('/') ?? "";
        var method = context.Request.Method;
        if (path == Resources.Paths.Account(identity.UserName))
        {
            return HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsPatch(method);
        }
        return identity.SessionId is { } id && HttpMethods.IsDelete(method) && path == $"{Resources.SessionServiceResource.SessionsPath}/{id}";
    }

    /// <summary>
    /// A login whose credential was verified: the account is known now, so its intent (making a session) is written
    /// before the session exists; false after answering 503 when it cannot be.
    /// </summary>
    public Task<bool> AuditLoginIntentAsync(HttpContext context, Account account)
    {
        context.Features.Set(IdentityOf(account, "session"));
        return AuditIntentAsync(context);
    }

    /// <summary>
    /// No state change without its audit line: if the intent cannot be recorded — whatever the reason — the request is
    /// refused before it acts, with a clean 503.
    /// </summary>
    private async Task<bool> AuditIntentAsync(HttpContext context)
    {
        try
        {
            await audit.WriteIntentAsync(context);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILogger<AuthMiddleware>>().LogCritical(e, "audit log unwritable: refusing {Method} {Path}", context.Request.Method, context.Request.Path);
            context.Response.Headers.RetryAfter = "30";
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.ServiceTemporarilyUnavailable("30"));
            return false;
        }
    }

    private async Task<(RequestIdentity? Identity, RedfishMessage? Failure)> AuthenticateAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (headers.TryGetValue("X-Auth-Token", out var token) && token.ToString() is { Length: > 0 } tokenText)
        {
            var session = sessions.Find(tokenText, FindAccount);
            return session is null
                ? (null, BaseMessages.NoValidSession())
                : (IdentityOf(session.Account, "session", session.Id), null);
        }
        if (AuthenticationHeaderValue.TryParse(headers.Authorization, out var auth) && string.Equals(auth.Scheme, "Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (!TryDecodeBasic(auth.Parameter, out var user, out var password))
            {
                return (null, BaseMessages.AccessUnauthorized());
            }
            var (outcome, account) = await authenticator.VerifyAsync(user, password, context.RequestAborted);
            return outcome switch
            {
                Authenticator.Outcome.Accepted => (IdentityOf(account!, "basic"), null),
                Authenticator.Outcome.Busy => (null, BaseMessages.ServiceTemporarilyUnavailable("5")),
                _ => (null, await FailedLoginAsync(context, user)),
            };
        }
        if (config.InsecureAnonymous is { } anonymous && context.Connection.RemoteIpAddress is { } remote && anonymous.Networks.Any(n => n.Contains(remote)))
        {
            return (new RequestIdentity("anonymous", anonymous.Role, PredefinedRoles.PrivilegesOf(anonymous.Role.ToString()), "insecure-anonymous"), null);
        }
        return (null, BaseMessages.NoValidSession());
    }

    /// <summary>Every failed login is audited; the answer never says whether the user exists or is locked.</summary>
    /// <remarks>
    /// Counted in the unauthenticated summary, not a line each; a failure that locks an existing account gets its own
    /// line, once per lock. A full disk changes nothing of the answer (401, never 500).
    /// </remarks>
    public async Task<RedfishMessage> FailedLoginAsync(HttpContext context, string user)
    {
        audit.CountUnauthenticated(context, "wrong-credentials", user);
        context.Items[AuditMiddleware.CountedKey] = true;
        if (authenticator.LockedUntil(user) is { } until && FindAccount(user) is not null && _lockReported.TryGetValue(user, out var reported) is var known
            && (!known || reported != until) && (known ? _lockReported.TryUpdate(user, until, reported) : _lockReported.TryAdd(user, until)))
        {
            events.Record(Events.BmcEventMessages.AccountLocked(user));
            try
            {
                await audit.WriteLockoutAsync(context, user);
            }
            catch (Exception e) when (AuditLog.IsWriteFailure(e))
            {
                context.RequestServices.GetRequiredService<ILogger<AuthMiddleware>>().LogCritical(e, "cannot write the audit line of the lockout of {User}", user);
            }
        }
        return BaseMessages.AccessUnauthorized();
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _lockReported = new(StringComparer.Ordinal);

    private Account? FindAccount(string user) => accounts().FirstOrDefault(a => a.UserName == user);

    public static RequestIdentity IdentityOf(Account account, string via, string? sessionId = null) =>
        new(account.UserName, account.Role, PredefinedRoles.PrivilegesOf(account.Role.ToString()), via, sessionId);

    private static bool TryDecodeBasic(string? parameter, out string user, out string password)
    {
        user = password = "";
        if (parameter is null || parameter.Length > 1024)
        {
            return false;
        }
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }
            (user, password) = (text[..colon], text[(colon + 1)..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static void LimitBody(HttpContext context, long limit)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
    }
}
