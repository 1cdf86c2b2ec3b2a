using Prometheus;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>
/// The admin listener (plain HTTP, meant for loopback or a management network): /metrics in Prometheus format,
/// /healthz (the process serves), /readyz (the hypervisor has been reached and slots reconciled).
/// </summary>
public static class AdminEndpoints
{
    public static void Configure(IApplicationBuilder admin, NodeState node)
    {
        admin.UseMetricServer("/metrics");
        admin.Run(async context =>
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            switch (context.Request.Path.Value)
            {
                case "/healthz":
                    await context.Response.WriteAsync("ok\n");
                    break;
                case "/readyz":
                    var reason = node.NotReadyReason();
                    context.Response.StatusCode = reason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                    await context.Response.WriteAsync(reason is null ? $"ready: {node.Slots.Count(s => s.Health.Usable)} of {node.Slots.Count} slots usable\n" : reason + "\n");
                    break;
                default:
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    await context.Response.WriteAsync("admin endpoints: /metrics /healthz /readyz\n");
                    break;
            }
        });
    }
}

/// <summary>
/// The TLS certificate in force, as the context every handshake is given (certificate and the chain sent with it, built
/// once per certificate by <see cref="Security.TlsCertificates.Load"/>, not once per handshake as a certificate selector
/// does); replaced whole on reload.
/// </summary>
public sealed class CertificateHolder(System.Net.Security.SslStreamCertificateContext? current)
{
    private System.Net.Security.SslStreamCertificateContext? _current = current;

    /// <summary>What new TLS connections are given (null without TLS).</summary>
    public System.Net.Security.SslStreamCertificateContext? Context
    {
        get => Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, value);
    }

    /// <summary>The certificate served; setting one serves it alone (no intermediates).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Current
    {
        get => Context?.TargetCertificate;
        set => Context = value is null ? null : System.Net.Security.SslStreamCertificateContext.Create(value, additionalCertificates: null, offline: true);
    }
}
