using Microsoft.AspNetCore.Http.Features;
using System.Text.Json;
using System.Text.Json.Serialization;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Server.Security;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// SessionService and its Sessions: POST to log in (201, X-Auth-Token, Location), GET, DELETE to log out at once.
/// Administrators (ConfigureManager) see and end every session; others only their own (ConfigureSelf).
/// </summary>
public static partial class SessionServiceResource
{
    public const string Path = "/redfish/v1/SessionService";
    public const string SessionsPath = "/redfish/v1/SessionService/Sessions";

    public sealed record SessionPayload(
        [property: JsonPropertyName("@odata.id")] string ODataId,
        [property: JsonPropertyName("@odata.type")] string ODataType,
        string Id,
        string Name,
        string UserName,
        string SessionType,
        [property: JsonPropertyName("Password")] string? Password) : IRedfishResource
    {
        /// <summary>At login of an account that must change its password: the Base PasswordChangeRequired message.</summary>
        [JsonPropertyName("@Message.ExtendedInfo")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public IReadOnlyList<MessageInfo>? ExtendedInfo { get; init; }
    }

    [JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
    [JsonSerializable(typeof(SessionPayload))]
    internal sealed partial class SessionJsonContext : JsonSerializerContext;

    public static SessionService Build(TimeSpan idleTimeout) => new(
        Path, "#SessionService.v1_2_0.SessionService", "SessionService", "Session Service", true, (int)idleTimeout.TotalSeconds,
        Status.EnabledOk, new ODataId(SessionsPath));

    /// <summary>Password is always null on read (DSP0266: it must not be returned).</summary>
    public static SessionPayload Payload(Session session) => new(
        $"{SessionsPath}/{session.Id}", "#Session.v1_7_0.Session", session.Id, "User Session", session.Account.UserName, "Redfish", null);

    private static readonly IReadOnlyList<BodyProperty> LoginProperties =
    [
        new("UserName", JsonValueKind.String, Required: true),
        new("Password", JsonValueKind.String, Required: true),
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet(Path, "SessionService", context =>
            RedfishResponses.WriteAsync(context, Build(context.RequestServices.GetRequiredService<SessionStore>().IdleTimeout), RedfishJsonContext.Wire.SessionService));
        app.MapRedfishGet(SessionsPath, "SessionCollection", context =>
        {
            var identity = context.Features.GetRequiredFeature<RequestIdentity>();
            var visible = context.RequestServices.GetRequiredService<SessionStore>().Live
                .Where(s => identity.Has(Privilege.ConfigureManager) || s.Account.UserName == identity.UserName)
                .OrderBy(s => s.Created);
            return RedfishResponses.WriteAsync(context,
                ResourceCollection.Of(SessionsPath, "#SessionCollection.SessionCollection", "Session Collection", visible.Select(s => $"{SessionsPath}/{s.Id}")),
                RedfishJsonContext.Wire.ResourceCollection);
        });
        app.MapRedfishLogin(SessionsPath, LoginAsync);
        // DSP0266: a collection that accepts POST accepts it at its Members property too.
        app.MapRedfishLogin(SessionsPath + "/Members", LoginAsync);
        app.MapRedfishGet("/redfish/v1/SessionService/Sessions/{sessionId}", "Session", async context =>
        {
            if (await VisibleSessionAsync(context) is { } session)
            {
                await RedfishResponses.WriteAsync(context, Payload(session), SessionJsonContext.Default.SessionPayload);
            }
        });
        app.MapRedfishDelete("/redfish/v1/SessionService/Sessions/{sessionId}", "Session", async context =>
        {
            if (await VisibleSessionAsync(context) is { } session)
            {
                context.RequestServices.GetRequiredService<SessionStore>().Remove(session);
                context.Response.StatusCode = StatusCodes.Status204NoContent;
            }
        });
    }

    private static async Task LoginAsync(HttpContext context)
    {
        var document = await JsonBody.ReadOrAnswerAsync(context);
        if (document is null)
        {
            return;
        }
        using (document)
        {
            var body = document!.RootElement;
            var problems = JsonBody.CheckCreate(body, LoginProperties);
            if (problems.Count > 0)
            {
                await RedfishResponses.WriteErrorAsync(context, problems);
                return;
            }
            var user = body.GetProperty("UserName").GetString()!;
            var authenticator = context.RequestServices.GetRequiredService<Authenticator>();
            var (outcome, account) = await authenticator.VerifyAsync(user, body.GetProperty("Password").GetString()!, context.RequestAborted);
            if (outcome == Authenticator.Outcome.Busy)
            {
                context.Response.Headers.RetryAfter = "5";
                await RedfishResponses.WriteErrorAsync(context, BaseMessages.ServiceTemporarilyUnavailable("5"));
                return;
            }
            if (outcome != Authenticator.Outcome.Accepted)
            {
                context.Response.Headers.WWWAuthenticate = AuthMiddleware.Realm;
                await RedfishResponses.WriteErrorAsync(context,
                    await context.RequestServices.GetRequiredService<AuthMiddleware>().FailedLoginAsync(context, user));
                return;
            }
            if (!await context.RequestServices.GetRequiredService<AuthMiddleware>().AuditLoginIntentAsync(context, account!))
            {
                return;
            }
            var created = context.RequestServices.GetRequiredService<SessionStore>().Create(account!);
            if (created is not var (session, token))
            {
                await RedfishResponses.WriteErrorAsync(context, BaseMessages.SessionLimitExceeded());
                return;
            }
            context.Features.Set(AuthMiddleware.IdentityOf(account!, "session", session.Id));
            ManagerResetResource.RecordOrigin(context, session);
            context.Response.Headers["X-Auth-Token"] = token;
            context.Response.Headers.Location = $"{SessionsPath}/{session.Id}";
            var payload = account!.PasswordChangeRequired
                ? Payload(session) with { ExtendedInfo = [BaseMessages.PasswordChangeRequired(Paths.Account(account.UserName)).ToInfo()] }
                : Payload(session);
            await RedfishResponses.WriteAsync(context, payload, SessionJsonContext.Default.SessionPayload, StatusCodes.Status201Created);
        }
    }

    /// <summary>The session named by the route, if this identity may see it; 404 otherwise (no probing of others' ids).</summary>
    private static async Task<Session?> VisibleSessionAsync(HttpContext context)
    {
        var identity = context.Features.GetRequiredFeature<RequestIdentity>();
        var id = (string)context.Request.RouteValues["sessionId"]!;
        var session = context.RequestServices.GetRequiredService<SessionStore>().FindById(id);
        if (session is null || !(identity.Has(Privilege.ConfigureManager) || session.Account.UserName == identity.UserName))
        {
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound("Session", id));
            return null;
        }
        return session;
    }
}
