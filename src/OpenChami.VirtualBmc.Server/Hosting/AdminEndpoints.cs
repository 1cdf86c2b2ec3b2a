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
/// The TLS certificate in force; replaced on reload. Its <see cref="System.Net.Security.SslStreamCertificateContext"/> is
/// made once per certificate (chain built once, offline), not once per TLS handshake as a certificate selector does.
/// </summary>
public sealed class CertificateHolder(System.Security.Cryptography.X509Certificates.X509Certificate2? current)
{
    private sealed record Entry(System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate, System.Net.Security.SslStreamCertificateContext Context);

    private Entry? _current = current is null ? null : Make(current);

    public System.Security.Cryptography.X509Certificates.X509Certificate2? Current
    {
        get => Volatile.Read(ref _current)?.Certificate;
        set => Volatile.Write(ref _current, value is null ? null : Make(value));
    }

    /// <summary>What new TLS connections are given (null without TLS).</summary>
    public System.Net.Security.SslStreamCertificateContext? Context => Volatile.Read(ref _current)?.Context;

    private static Entry Make(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        new(certificate, System.Net.Security.SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true));
}
