using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Server.Resources;
using Serilog;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>Composes the ASP.NET Core application: one Kestrel listener per endpoint, Redfish routes, logging.</summary>
public static class RedfishServer
{
    public static WebApplication Build(NodeState node, Serilog.ILogger logger)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "openchami-vbmc" });
        builder.Host.UseSerilog(logger, dispose: false);
        builder.Services.AddSingleton(node);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            foreach (var (address, port) in node.Endpoints)
            {
                kestrel.Listen(address, port);
            }
        });
        var app = builder.Build();
        app.Use(InternalErrorAsRedfish);
        app.Use(SelectScope);
        app.UseRouting();
        app.Use(ProtocolMiddleware.Invoke);
        MapResources(app);
        return app;
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
    }

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
