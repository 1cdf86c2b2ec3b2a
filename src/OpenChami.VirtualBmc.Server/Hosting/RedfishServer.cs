using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Server.Resources;
using Serilog;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>Composes the ASP.NET Core application: one Kestrel listener per slot endpoint, Redfish routes, logging.</summary>
public static class RedfishServer
{
    public static WebApplication Build(LoadedSite site, Serilog.ILogger logger)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "openchami-vbmc" });
        builder.Host.UseSerilog(logger, dispose: false);
        builder.Services.AddSingleton(site);
        builder.Services.AddSingleton(new SlotDirectory(site.Slots));
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var slot in site.Slots)
            {
                kestrel.Listen(slot.Bmc.Address, slot.Bmc.Port);
            }
        });
        var app = builder.Build();
        app.Use(InternalErrorAsRedfish);
        app.Use(SelectSlot);
        app.UseRouting();
        app.Use(ProtocolMiddleware.Invoke);
        ServiceRootResource.Map(app, site.Host);
        SystemsResource.Map(app, site.NodeType);
        SessionServiceResource.Map(app);
        return app;
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

    /// <summary>Every request belongs to the slot whose endpoint it arrived on.</summary>
    private static Task SelectSlot(HttpContext context, Func<Task> next)
    {
        var directory = context.RequestServices.GetRequiredService<SlotDirectory>();
        var slot = directory.Find(context.Connection.LocalIpAddress, context.Connection.LocalPort);
        if (slot is null)
        {
            return RedfishResponses.WriteErrorAsync(context, BaseMessages.ServiceTemporarilyUnavailable("30"));
        }
        context.Features.Set(new ServedSlot(slot));
        return next();
    }
}
