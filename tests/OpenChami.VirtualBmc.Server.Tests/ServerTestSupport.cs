using System.Net;
using System.Net.Sockets;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests;

/// <summary>Config files for tests: the demo node type with a host file on free loopback ports.</summary>
internal static class ServerTestSupport
{
    /// <summary>Accounts of every role; hashes with few iterations so tests stay fast (the service accepts ≥ 10,000).</summary>
    public static class TestAccounts
    {
        public const string AdminPassword = "admin-pass-1234";
        public const string OperatorPassword = "operator-pass-1234";
        public const string ReaderPassword = "reader-pass-1234";

        public static readonly string Yaml = $"""
            accounts:
            - userName: admin
              role: Administrator
              passwordHash: "{OpenChami.VirtualBmc.Server.Security.PasswordHasher.Hash(AdminPassword, 10_000)}"
            - userName: operator
              role: Operator
              passwordHash: "{OpenChami.VirtualBmc.Server.Security.PasswordHasher.Hash(OperatorPassword, 10_000)}"
            - userName: reader
              role: ReadOnly
              passwordHash: "{OpenChami.VirtualBmc.Server.Security.PasswordHasher.Hash(ReaderPassword, 10_000)}"
            """;
    }

    public static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static readonly Lazy<string> SharedSysfs = new(() =>
        OpenChami.VirtualBmc.TestSupport.Sysfs.DenseNodeFixture.Build(Path.Combine(Path.GetTempPath(), $"vbmc-server-tests-sysfs-{Environment.ProcessId}")));

    /// <summary>The dense fixture node's sysfs tree, written once per test run and shared (read-only) by every server test.</summary>
    public static string DemoSysfs => SharedSysfs.Value;

    private static readonly Lazy<string> SharedBaseImage = new(() => DiskImages.WriteDemoBaseImage(
        Path.Combine(Path.GetTempPath(), $"vbmc-server-tests-images-{Environment.ProcessId}", "ubuntu-hpc-base.img")));

    /// <summary>The demo catalog's base image, written once per test run (each server copies it into its own cache).</summary>
    public static string DemoBaseImage => SharedBaseImage.Value;

    /// <summary>
    /// Writes a copy of the demo config into <paramref name="dir"/>, with each slot on 127.0.0.(10+i):port, the shared
    /// fixture sysfs, and a host id and domain prefix of its own: test:///default is one hypervisor per process, so
    /// parallel test classes must not share domain names or UUIDs. The demo image catalog comes along (pointing at the
    /// shared generated base image) and the state directory is <c>state/</c> in <paramref name="dir"/>.
    /// </summary>
    public static string WriteDemoCopy(TempDirectory dir, int port, string? firstAddress = null, bool demoAccounts = false)
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var demo = Path.Combine(RepoPaths.Examples, "demo");
        File.Copy(Path.Combine(demo, "dense-gpu-hsn-node.yaml"), Path.Combine(dir.Path, "dense-gpu-hsn-node.yaml"));
        File.WriteAllText(Path.Combine(dir.Path, "images.yaml"), File.ReadAllText(Path.Combine(demo, "images.yaml"))
            .Replace("path: ../../.demo/images/ubuntu-hpc-base.img", $"path: {DemoBaseImage}", StringComparison.Ordinal));
        if (demoAccounts)
        {
            File.Copy(Path.Combine(demo, "accounts.yaml"), Path.Combine(dir.Path, "accounts.yaml"));
        }
        else
        {
            File.WriteAllText(Path.Combine(dir.Path, "accounts.yaml"), TestAccounts.Yaml);
        }
        var host = File.ReadAllText(Path.Combine(demo, "host.yaml"))
            .Replace("port: 8443", $"port: {port}", StringComparison.Ordinal)
            .Replace("sysfsRoot: ../../.demo/sysfs", $"sysfsRoot: {DemoSysfs}", StringComparison.Ordinal)
            .Replace("stateDirectory: ../../.demo/state", "stateDirectory: state", StringComparison.Ordinal)
            .Replace("hostId: x1000c0s0b0n0", $"hostId: t{unique}", StringComparison.Ordinal)
            .Replace("  uri: test:///default", $"  uri: test:///default\n  domainPrefix: t{unique}-", StringComparison.Ordinal)
            .Replace("../../.demo/tls/", "tls/", StringComparison.Ordinal)
            .Replace("../../.demo/audit.jsonl", "audit.jsonl", StringComparison.Ordinal)
            // The demo allows an image server on loopback (its own); tests start from the default policy and allow it where they say so.
            .Replace("virtualMedia:\n  insecureAllowLoopback: true\n", "", StringComparison.Ordinal)
            // The demo's fixed admin port would collide between parallel test servers; tests that need it add their own.
            .Replace("admin:\n  address: 127.0.0.1\n  port: 9180\n", "", StringComparison.Ordinal)
            // Each test server's SSH consoles on a port of their own.
            .Replace("sshPort: 2222", $"sshPort: {FreePort(IPAddress.Parse("127.0.0.10"))}", StringComparison.Ordinal);
        if (firstAddress is not null)
        {
            host = host.Replace("address: 127.0.0.10", $"address: {firstAddress}", StringComparison.Ordinal);
        }
        return dir.Write("host.yaml", host);
    }
}
