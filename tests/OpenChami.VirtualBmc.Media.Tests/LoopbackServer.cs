using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace OpenChami.VirtualBmc.Media.Tests;

public sealed record ServerRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// A raw HTTP/1.1 server on a loopback address (one request per connection, "Connection: close"), so tests control
/// every byte: early closes, stalls, endless bodies, hostile headers. Optional TLS with a self-signed certificate.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly Func<ServerRequest, Stream, CancellationToken, Task> handler;
    private readonly X509Certificate2? certificate;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentBag<Task> connections = [];
    private readonly Task acceptLoop;

    public LoopbackServer(Func<ServerRequest, Stream, CancellationToken, Task> handler, string address = "127.0.0.1", int port = 0, bool tls = false)
    {
        this.handler = handler;
        certificate = tls ? CreateCertificate() : null;
        listener = new TcpListener(IPAddress.Parse(address), port);
        listener.Start();
        acceptLoop = AcceptAsync();
    }

    public ConcurrentQueue<ServerRequest> Requests { get; } = new();

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public string Authority => $"{((IPEndPoint)listener.LocalEndpoint).Address}:{Port}";

    public Uri Url(string path = "/image.iso") => new($"{(certificate is null ? "http" : "https")}://{Authority}{path}");

    public static async Task RespondAsync(Stream stream, int status, byte[]? body, params (string Name, string Value)[] headers)
    {
        var head = new StringBuilder($"HTTP/1.1 {status} X\r\nConnection: close\r\n");
        foreach (var (name, value) in headers)
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        if (body is not null && !headers.Any(h => h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
            head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        if (body is not null)
            await stream.WriteAsync(body);
        await stream.FlushAsync();
    }

    public static Task RedirectAsync(Stream stream, string location, int status = 302) =>
        RespondAsync(stream, status, [], ("Location", location));

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            connections.Add(ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            await using var network = new NetworkStream(socket, ownsSocket: true);
            Stream stream = network;
            if (certificate is not null)
            {
                var ssl = new SslStream(network);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, stop.Token);
                stream = ssl;
            }
            var request = await ReadRequestAsync(stream, stop.Token);
            if (request is null)
                return;
            Requests.Enqueue(request);
            await handler(request, stream, stop.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // The client went away (aborted download, refused certificate): expected in these tests.
        }
    }

    private static async Task<ServerRequest?> ReadRequestAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 65536)
        {
            if (await stream.ReadAsync(one, ct) == 0)
                return null;
            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n')
                break;
        }
        var lines = Encoding.ASCII.GetString(buffer.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var first = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return new ServerRequest(first[0], first[1], headers);
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await acceptLoop;
        await Task.WhenAny(Task.WhenAll(connections), Task.Delay(TimeSpan.FromSeconds(5)));
        stop.Dispose();
        certificate?.Dispose();
    }
}
