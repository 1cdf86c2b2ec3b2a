using System.Diagnostics;
using System.Text;
using OpenChami.VirtualBmc.TestSupport;
using Xunit.Abstractions;

namespace OpenChami.VirtualBmc.Media.Tests;

/// <summary>A measured 100 MiB download over loopback: hashing, ISO check, fsync and rename included.</summary>
public sealed class ThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task HundredMebibytes_OverLoopback()
    {
        using var temp = new TempDirectory("vbmc-media-perf");
        const int size = 100 * 1024 * 1024;
        var chunk = Images.Iso(1024 * 1024);
        await using var server = new LoopbackServer(async (_, s, ct) =>
        {
            await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {size}\r\n\r\n"), ct);
            for (var sent = 0; sent < size; sent += chunk.Length)
                await s.WriteAsync(chunk, ct);
        });
        var cache = new ImageCache(new() { CacheDirectory = temp.Path, AllowLoopback = true });

        var watch = Stopwatch.StartNew();
        var image = await cache.FetchAsync(server.Url(), null, "slot1");
        watch.Stop();

        Assert.Equal(size, image.Size);
        Assert.Equal(size, new FileInfo(image.Path).Length);
        var mibPerSecond = size / 1048576.0 / watch.Elapsed.TotalSeconds;
        output.WriteLine($"100 MiB over loopback: {watch.Elapsed.TotalMilliseconds:F0} ms, {mibPerSecond:F0} MiB/s");
    }
}
