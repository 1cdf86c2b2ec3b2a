using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Audit;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.Catalog;
using Prometheus;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Server.Resources;
using Serilog;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>Composes the ASP.NET Core application: one Kestrel listener per endpoint, Redfish routes, logging.</summary>
public static class RedfishServer
{
    /// <param name="certificates">The TLS certificate, when the caller loaded it already (serve loads it beside the host
    /// check); otherwise loaded here from the host file.</param>
    public static WebApplication Build(NodeState node, Serilog.ILogger logger, CertificateHolder? certificates = null)
    {
        // The empty builder: no configuration sources at all. The slim one reads appsettings*.json from the working
        // directory and watches it with a recursive inotify watch of the whole tree (862 watches in a repository
        // checkout; a service started in / would walk the file system) — slow to start, memory for nothing, and a file
        // there could configure the service. Everything is configured here, from the validated host file.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [], ApplicationName = "openchami-vbmc" });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        builder.Host.UseSerilog(logger, dispose: false);
        var host = node.Site.Host;
        builder.Services.AddSingleton(node);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(host.Security);
        builder.Services.AddSingleton<Func<IReadOnlyList<Account>>>(() => node.Accounts);
        builder.Services.AddSingleton<Telemetry>();
        builder.Services.AddSingleton<OpenChami.VirtualBmc.Slots.Media.IImageFetcher>(_ => new OpenChami.VirtualBmc.Media.ImageCache(host.Media));
        builder.Services.AddSystemd();
        builder.Services.AddHostedService<SystemdWatchdog>();
        builder.Services.AddSingleton(new AccountDirectory(node, logger));
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<Authenticator>();
        builder.Services.AddSingleton(services => new AuditLog(host.Security.AuditLog, logger, services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<AuditMiddleware>();
        builder.Services.AddSingleton<AuthMiddleware>();
        builder.Services.AddSingleton<Console.ConsoleGate>();
        builder.Services.AddSingleton<Console.ConsoleService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Console.ConsoleService>());
        // The BMC's event log (one owner, written by its producers) and the host files the Manager and UpdateService read.
        builder.Services.AddSingleton(services => new Events.BmcEventLog(Events.BmcEventLog.PathIn(host.StateDirectory), services.GetRequiredService<TimeProvider>(), logger));
        builder.Services.AddHostedService<Events.BmcEventProducers>();
        builder.Services.AddSingleton(new OpenChami.VirtualBmc.Host.Services.HostTimeSources());
        builder.Services.AddSingleton(new OpenChami.VirtualBmc.Host.Services.DpkgStatus());

        certificates ??= new CertificateHolder(host.Tls is { } tls ? TlsCertificates.Load(tls, NodeState.EndpointAddresses(node.Site), logger) : null);
        builder.Services.AddSingleton(certificates);
        var sourceLimits = new SourceLimits(host.Security);
        builder.Services.AddSingleton(sourceLimits);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            ApplyLimits(kestrel.Limits);
            foreach (var (address, port) in node.Endpoints)
            {
                kestrel.Listen(address, port, listen =>
                {
                    listen.Use(sourceLimits.PerSourceConnections()); // before TLS: a refused connection costs no handshake
                    if (certificates.Current is not null)
                    {
                        // Chosen per handshake, so a reloaded certificate (SIGHUP) serves new connections at once; the
                        // certificate context (its chain) is the holder's, made once per certificate, not per handshake.
                        listen.UseHttps(new TlsHandshakeCallbackOptions
                        {
                            OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                            {
                                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                                ServerCertificateContext = certificates.Context,
                            }),
                        });
                    }
                });
            }
            if (host.Admin is { } admin)
            {
                kestrel.Listen(admin.Address, admin.Port);
            }
        });
        var app = builder.Build();
        app.Services.GetRequiredService<Telemetry>();
        if (host.Admin is { } adminEndpoint)
        {
            app.MapWhen(context => context.Connection.LocalPort == adminEndpoint.Port && Equals(Local(context), adminEndpoint.Address),
                admin => AdminEndpoints.Configure(admin, node));
        }
        app.Use(InternalErrorAsRedfish);
        app.Use(SecurityHeaders.Invoke);
        app.Use(sourceLimits.Invoke);
        app.Use(SelectScope);
        app.Use(OnlyMemberQuery.Invoke);
        app.UseRouting();
        app.Use(HttpMetrics.Invoke);
        app.Use(ProtocolMiddleware.Invoke);
        var audit = app.Services.GetRequiredService<AuditMiddleware>();
        app.Use(audit.InvokeAsync);
        var auth = app.Services.GetRequiredService<AuthMiddleware>();
        app.Use(auth.InvokeAsync);
        MapResources(app);
        return app;
    }

    /// <summary>
    /// Limits against slow and oversized clients: 64 KiB bodies after authentication (4 KiB before, set per request
    /// by AuthMiddleware), 16 KiB and 64 headers, 10 s to send the headers (slowloris), a minimum body rate, and a cap
    /// on connections that still leaves room for many keep-alive pollers (per source address: SourceLimits).
    /// </summary>
    public static void ApplyLimits(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerLimits limits)
    {
        limits.MaxRequestBodySize = 64 * 1024;
        limits.MaxRequestHeadersTotalSize = 16 * 1024;
        limits.MaxRequestHeaderCount = 64;
        limits.MaxRequestLineSize = 8 * 1024;
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
        limits.MaxConcurrentConnections = 4096;
        limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(240, TimeSpan.FromSeconds(5));
        limits.Http2.MaxStreamsPerConnection = 32;
    }

    /// <summary>Every resource of the service; each file registers its routes with their privileges.</summary>
    public static void MapResources(IEndpointRouteBuilder app)
    {
        ServiceRootResource.Map(app);
        MetadataResource.Map(app);
        SystemsResource.Map(app);
        EthernetInterfacesResource.Map(app);
        VirtualMediaResource.Map(app);
        PCIeResource.Map(app);
        ChassisResource.Map(app);
        ManagersResource.Map(app);
        SessionServiceResource.Map(app);
        AccountServiceResource.Map(app);
        ValidationReportResource.Map(app);
        HostLoggerResource.Map(app);
        NetworkProtocolResource.Map(app);
        ManagerLogServicesResource.Map(app);
        UpdateServiceResource.Map(app);
    }

    private static System.Net.IPAddress? Local(HttpContext context) =>
        context.Connection.LocalIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : context.Connection.LocalIpAddress;

    /// <summary>A bug must still answer in Redfish form (and be logged), never an empty 500 or a stack trace.</summary>
    private static async Task InternalErrorAsRedfish(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("RedfishServer")
                .LogError(e, "unhandled error serving {Method} {Path}", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            await RedfishResponses.WriteErrorAsync(context, BaseMessages.InternalError());
        }
    }

    /// <summary>Every request belongs to the scope (slot, or the whole host) of the endpoint it arrived on.</summary>
    private static Task SelectScope(HttpContext context, Func<Task> next)
    {
        var scope = context.RequestServices.GetRequiredService<NodeState>().ScopeFor(context.Connection.LocalIpAddress, context.Connection.LocalPort);
        if (scope is null)
        {
            return RedfishResponses.WriteErrorAsync(context, BaseMessages.ServiceTemporarilyUnavailable("30"));
        }
        context.Features.Set(scope);
        return next();
    }
}
