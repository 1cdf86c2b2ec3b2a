using System.Net;
using System.Net.Sockets;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests;

/// <summary>Config files for tests: the demo node type with a host file on free loopback ports.</summary>
internal static class ServerTestSupport
{
    public static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Writes a copy of the demo config into <paramref name="dir"/>, with each slot on 127.0.0.(10+i):port.</summary>
    public static string WriteDemoCopy(TempDirectory dir, int port, string? firstAddress = null)
    {
        var demo = Path.Combine(RepoPaths.Examples, "demo");
        File.Copy(Path.Combine(demo, "dense-gpu-hsn-node.yaml"), Path.Combine(dir.Path, "dense-gpu-hsn-node.yaml"));
        File.Copy(Path.Combine(demo, "accounts.yaml"), Path.Combine(dir.Path, "accounts.yaml"));
        var host = File.ReadAllText(Path.Combine(demo, "host.yaml")).Replace("port: 8443", $"port: {port}", StringComparison.Ordinal);
        if (firstAddress is not null)
        {
            host = host.Replace("address: 127.0.0.10", $"address: {firstAddress}", StringComparison.Ordinal);
        }
        return dir.Write("host.yaml", host);
    }
}
