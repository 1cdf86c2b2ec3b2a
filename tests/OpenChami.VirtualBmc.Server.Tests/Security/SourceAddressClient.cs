using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace OpenChami.VirtualBmc.Server.Tests.Security;

/// <summary>Connections and HTTP clients from a chosen loopback source address, to play several clients on one machine.</summary>
public static class SourceAddressClient
{
    public static async Task<Socket> ConnectAsync(IPAddress source, IPAddress target, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(target, port);
        return socket;
    }

    /// <summary>A TLS connection from <paramref name="source"/>; throws when the server closes it instead.</summary>
    public static async Task<SslStream> TlsAsync(IPAddress source, int port, string thumbprint)
    {
        var socket = await ConnectAsync(source, IPAddress.Parse("127.0.0.10"), port);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), false, (_, c, _, _) => c?.GetCertHashString() == thumbprint);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "127.0.0.10" }, timeout.Token);
        return ssl;
    }

    public static HttpClient Http(IPAddress source, string thumbprint, string? user = null, string? password = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancel) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancel);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == thumbprint },
        };
        var client = new HttpClient(handler);
        if (user is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        return client;
    }
}
