using System.Diagnostics;
using System.Globalization;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Qemu.Tests;

/// <summary>
/// Where the tier lives and whether it is usable. Environment:
/// VBMC_QEMU_TIER=required (missing prerequisites fail instead of skipping), VBMC_QEMU_STATE (default /var/tmp/vbmc-qemu:
/// libvirtd pid/log, as written by tests/qemu/start-libvirtd.sh), VBMC_QEMU_GUEST (default $VBMC_QEMU_STATE/guest:
/// build-guest.sh output).
/// </summary>
internal static class QemuTier
{
    public const string Uri = "qemu:///system";

    public static bool Required =>
        string.Equals(Environment.GetEnvironmentVariable("VBMC_QEMU_TIER"), "required", StringComparison.OrdinalIgnoreCase);

    public static string StateDir =>
        Environment.GetEnvironmentVariable("VBMC_QEMU_STATE") is { Length: > 0 } s ? s : "/var/tmp/vbmc-qemu";

    public static string GuestDir =>
        Environment.GetEnvironmentVariable("VBMC_QEMU_GUEST") is { Length: > 0 } g ? g : Path.Combine(StateDir, "guest");

    public static string DiskImage => Path.Combine(GuestDir, "disk.img");

    public static string CdImage => Path.Combine(GuestDir, "cd.iso");

    public static string Scripts => Path.Combine(RepoPaths.Root, "tests", "qemu");

    private static readonly Lazy<string?> Missing = new(FindMissing);

    /// <summary>Skips (or fails under VBMC_QEMU_TIER=required) when the tier is not set up.</summary>
    public static void Require()
    {
        if (Missing.Value is not { } why)
        {
            return;
        }
        var message = $"QEMU tier not available: {why}. Set it up with tests/qemu/run-tier.sh (or install-deps.sh, build-guest.sh, start-libvirtd.sh).";
        if (Required)
        {
            Assert.Fail(message + " VBMC_QEMU_TIER=required, so this is a failure.");
        }
        Skip.If(true, message);
    }

    private static string? FindMissing()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        if (!path.Append("/usr/bin").Any(d => File.Exists(Path.Combine(d, "qemu-system-x86_64"))))
        {
            return "qemu-system-x86_64 is not installed";
        }
        foreach (var file in new[] { DiskImage, CdImage })
        {
            if (!File.Exists(file))
            {
                return $"guest image {file} is missing (tests/qemu/build-guest.sh {GuestDir})";
            }
        }
        try
        {
            using var connection = Libvirt.LibvirtConnection.Open(Uri);
            return connection.IsAlive ? null : $"{Uri} connection is not alive";
        }
        catch (Exception e) when (e is Libvirt.LibvirtException or DllNotFoundException)
        {
            return $"libvirtd does not answer on {Uri} ({e.Message})";
        }
    }

    /// <summary>
    /// The tier's node type (node.yaml in <paramref name="directory"/>): one tiny BIOS slot, no devices; with
    /// <paramref name="image"/>, the slot names that catalog image (its root disk is an overlay on it).
    /// </summary>
    public static void WriteNodeType(string directory, string? image = null, string firmware = "bios") =>
        File.WriteAllText(Path.Combine(directory, "node.yaml"), $"""
            nodeType: qemu-tier-node
            description: One tiny TCG slot for the QEMU test tier
            vmSlots:
            - name: slot0
              image: "{image}"
              firmware: {firmware}
              cpu:
                cores: 1
                numaPolicy: none
              memory:
                sizeGiB: 1
            """);

    /// <summary>
    /// A host with one slot: 1 core, 1 GiB (the smallest size the node type schema allows), no hugepages, no NUMA
    /// policy, no host devices, BIOS firmware. Its serial number is derived (hostId-slotName); its UUID is fresh.
    /// </summary>
    public static Slot NewSlot(string directory)
    {
        WriteNodeType(directory);
        File.WriteAllText(Path.Combine(directory, "host.yaml"), """
            hostId: qemu-tier-host
            nodeType: node.yaml
            insecurePlainHttp: true   # the runtime is tested directly; no endpoint is served
            slots:
            - name: slot0
              bmc:
                address: 127.0.0.1
                port: 8443
            """);
        var site = ConfigurationLoader.Load(Path.Combine(directory, "host.yaml")).GetOrThrow();
        var slot = site.Slots.Single();
        return slot with { Identity = slot.Identity with { Uuid = Guid.NewGuid() } };
    }

    /// <summary>Runs one of the tier's scripts; fails the test with its output when it exits non-zero.</summary>
    public static string RunScript(string name, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(Scripts, name));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), $"{name} did not finish within 3 minutes");
        var output = stdout.Result + stderr.Result;
        Assert.True(process.ExitCode == 0, $"{name} {string.Join(' ', args)} exited {process.ExitCode}:\n{output}");
        return output;
    }

    /// <summary>Appends one measured figure to $VBMC_QEMU_STATE/metrics.txt (run-tier.sh prints it).</summary>
    public static void Record(string what, TimeSpan value)
    {
        try
        {
            File.AppendAllText(Path.Combine(StateDir, "metrics.txt"),
                string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:O} {what}: {value.TotalSeconds:F2} s\n"));
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>The guest's serial console, as libvirt logs it (DomainRenderOptions.SerialLogDirectory).</summary>
internal sealed class SerialConsole(string path)
{
    public string Path { get; } = path;

    public string Text()
    {
        try
        {
            using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return "";
        }
        catch (DirectoryNotFoundException)
        {
            return "";
        }
    }

    public int Count(string text)
    {
        var all = Text();
        var n = 0;
        for (var i = all.IndexOf(text, StringComparison.Ordinal); i >= 0; i = all.IndexOf(text, i + text.Length, StringComparison.Ordinal))
        {
            n++;
        }
        return n;
    }

    /// <summary>Waits until <paramref name="text"/> appears at least <paramref name="occurrences"/> times.</summary>
    public async Task WaitForAsync(string text, TimeSpan timeout, int occurrences = 1)
    {
        var deadline = Stopwatch.StartNew();
        while (Count(text) < occurrences)
        {
            if (deadline.Elapsed > timeout)
            {
                Assert.Fail($"console {Path}: '{text}' x{occurrences} not seen within {timeout.TotalSeconds:F0} s. Console so far:\n{Tail()}");
            }
            await Task.Delay(25);
        }
    }

    /// <summary>The value of the first "KEY: value" line.</summary>
    public string? Value(string key) =>
        Text().Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.StartsWith(key + ": ", StringComparison.Ordinal))?[(key.Length + 2)..];

    public string Tail(int lines = 40) => string.Join('\n', Text().Split('\n').TakeLast(lines));
}
