using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OpenChami.VirtualBmc.Qemu.Tests;

/// <summary>
/// Serves one file over http on 127.0.0.1 with HEAD and byte-range GETs (what QEMU's curl block driver needs to
/// stream a CD image). Counts the requests so a test can see QEMU really read from it.
/// </summary>
internal sealed class RangeFileServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _file;
    private readonly Task _loop;
    private int _requests;

    public RangeFileServer(string file, string name)
    {
        _file = file;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/{name}";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string Url { get; }

    public int Requests => Volatile.Read(ref _requests);

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
            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        var response = context.Response;
        try
        {
            var length = new FileInfo(_file).Length;
            response.Headers["Accept-Ranges"] = "bytes";
            long from = 0, to = length - 1;
            if (context.Request.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal))
            {
                var parts = range["bytes=".Length..].Split('-');
                from = long.Parse(parts[0], CultureInfo.InvariantCulture);
                if (parts.Length > 1 && parts[1].Length > 0)
                {
                    to = Math.Min(long.Parse(parts[1], CultureInfo.InvariantCulture), length - 1);
                }
                response.StatusCode = 206;
                response.Headers["Content-Range"] = string.Create(CultureInfo.InvariantCulture, $"bytes {from}-{to}/{length}");
            }
            response.ContentLength64 = to - from + 1;
            if (context.Request.HttpMethod != "HEAD")
            {
                await using var stream = new FileStream(_file, FileMode.Open, FileAccess.Read, FileShare.Read);
                stream.Seek(from, SeekOrigin.Begin);
                var buffer = new byte[64 * 1024];
                var left = to - from + 1;
                while (left > 0)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)));
                    if (n == 0) break;
                    await response.OutputStream.WriteAsync(buffer.AsMemory(0, n));
                    left -= n;
                }
            }
            response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or FormatException)
        {
            try { response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
