using System.Net;
using System.Net.Sockets;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>Serves one small ISO 9660 image over http on 127.0.0.1 and counts the requests.</summary>
public sealed class IsoServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private int _requests;

    public IsoServer(string name = "boot.iso")
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/images/{name}";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>64 KiB with the ISO 9660 signature ("CD001" at 0x8001) the fetcher checks.</summary>
    public static byte[] Image { get; } = MakeImage();

    public string Url { get; }

    public int Requests => Volatile.Read(ref _requests);

    private static byte[] MakeImage()
    {
        var data = new byte[64 * 1024];
        data[0x8000] = 1;
        "CD001"u8.CopyTo(data.AsSpan(0x8001));
        return data;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            Interlocked.Increment(ref _requests);
            using var response = context.Response;
            response.ContentType = "application/octet-stream";
            response.ContentLength64 = Image.Length;
            try
            {
                await response.OutputStream.WriteAsync(Image);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                // the client went away
            }
        }
    }

    public void Dispose()
    {
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
