// The practical ceiling of the benchmark: Kestrel on one HTTPS endpoint (same TLS protocols, same certificate, same
// keep-alive and connection limits as the product), no middleware, answering each captured path with the captured response headers and body.
// Usage: vbmc-bench-ceiling CERT.pem KEY.pem ADDRESS PORT DIR
//   DIR holds index.tsv: one "path<TAB>name" line per resource, with name.body (bytes) and name.headers ("Name: value" lines).
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Primitives;

if (args.Length != 5)
{
    await Console.Error.WriteLineAsync("usage: vbmc-bench-ceiling CERT.pem KEY.pem ADDRESS PORT DIR");
    return 2;
}
var (certPath, keyPath, address, port, dir) = (args[0], args[1], IPAddress.Parse(args[2]), int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), args[4]);
using var pem = X509Certificate2.CreateFromPemFile(certPath, keyPath);
using var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
var context = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);

var resources = new Dictionary<string, (KeyValuePair<string, StringValues>[] Headers, byte[] Body)>(StringComparer.Ordinal);
foreach (var line in File.ReadAllLines(Path.Combine(dir, "index.tsv")))
{
    var parts = line.Split('\t');
    var headers = File.ReadAllLines(Path.Combine(dir, parts[1] + ".headers"))
        .Where(h => h.Contains(':', StringComparison.Ordinal))
        .Select(h => new KeyValuePair<string, StringValues>(h[..h.IndexOf(':', StringComparison.Ordinal)].Trim(), h[(h.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))
        .Where(h => !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("Date", StringComparison.OrdinalIgnoreCase)
            && !h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
        .ToArray();
    resources[parts[0]] = (headers, File.ReadAllBytes(Path.Combine(dir, parts[1] + ".body")));
}

// As the product builds its application: no configuration sources, no file watching.
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
builder.WebHost.UseKestrelCore();
builder.WebHost.UseKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
    kestrel.Limits.MaxConcurrentConnections = 4096;
    // As the product does: TLS 1.2/1.3, the certificate context made once, given per handshake.
    kestrel.Listen(address, port, listen => listen.UseHttps(new TlsHandshakeCallbackOptions
    {
        OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ServerCertificateContext = context,
        }),
    }));
});
var app = builder.Build();
app.Run(context =>
{
    if (!resources.TryGetValue(context.Request.Path.Value ?? "/", out var resource))
    {
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    }
    var headers = context.Response.Headers;
    foreach (var (name, value) in resource.Headers)
    {
        headers[name] = value;
    }
    context.Response.ContentLength = resource.Body.Length;
    return context.Response.Body.WriteAsync(resource.Body, context.RequestAborted).AsTask();
});
await app.RunAsync();
return 0;
