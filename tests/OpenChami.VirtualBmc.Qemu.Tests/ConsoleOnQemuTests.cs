using System.Diagnostics;
using System.Net;
using OpenChami.VirtualBmc.TestSupport;
using Xunit.Abstractions;

namespace OpenChami.VirtualBmc.Qemu.Tests;

/// <summary>
/// A slot's serial console over SSH, with OpenSSH's ssh client, against a QEMU guest: the boot and the login prompt,
/// a command typed and its output, a second viewer seeing the same bytes, and the console surviving a power cycle and
/// a libvirtd restart.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class ConsoleOnQemuTests(ITestOutputHelper output)
{
    private const string Address = "127.0.0.33";
    private const string Prompt = "vbmc-guest login: ";
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task Ssh_console_shows_the_boot_takes_input_fans_out_and_survives_power_cycle_and_libvirtd_restart()
    {
        var sshPort = FreePort();
        await using var node = await QemuServiceNode.StartAsync("console", Address, sshPort: sshPort);
        Assert.Equal(HttpStatusCode.NoContent, (await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""")).StatusCode);

        // Attached while the slot is off: the viewer waits, then sees the boot from its first lines.
        using var first = new SshSession(QemuServiceNode.Password, sshPort, $"admin@{Address}", "-T");
        await Task.Delay(1000);
        Assert.False(first.HasExited, "the console session ended while the slot was off: " + first.Output);
        Assert.Equal(HttpStatusCode.NoContent, (await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""")).StatusCode);
        Assert.True(await first.WaitForAsync("VBMC-MARKER", Boot), "no boot output: " + Tail(first.Output));
        Assert.True(await first.WaitForAsync(Prompt, Boot), "no login prompt: " + Tail(first.Output));

        // Log in and run a command: its output (computed by the guest's shell) comes back.
        first.Type("root\n");
        Assert.True(await first.WaitForAsync("vbmc-guest# ", TimeSpan.FromSeconds(30)), "no shell prompt: " + Tail(first.Output));
        using var second = new SshSession(QemuServiceNode.Password, sshPort, $"admin@{Address}", "-T");
        await Task.Delay(1500);
        var typed = Stopwatch.StartNew();
        first.Type("echo vbmc-$((6*7))-answer\n");
        Assert.True(await first.WaitForAsync("vbmc-42-answer", TimeSpan.FromSeconds(30)), "no command output: " + Tail(first.Output));
        output.WriteLine($"command typed to output seen: {typed.ElapsedMilliseconds} ms");
        Assert.True(await second.WaitForAsync("vbmc-42-answer", TimeSpan.FromSeconds(10)), "the second viewer missed it: " + Tail(second.Output));
        Assert.True(await second.WaitForAsync("echo vbmc-$((6*7))-answer", TimeSpan.FromSeconds(5)), "the second viewer missed the echo");

        // Power cycle: both stay attached and see the next boot.
        Assert.Equal(HttpStatusCode.NoContent, (await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""")).StatusCode);
        await Task.Delay(1000);
        Assert.Equal(HttpStatusCode.NoContent, (await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""")).StatusCode);
        Assert.True(await WaitForCountAsync(first, Prompt, 2, Boot), "no second boot on the first viewer: " + Tail(first.Output));
        Assert.True(await WaitForCountAsync(second, Prompt, 1, Boot), "no second boot on the second viewer: " + Tail(second.Output));

        // libvirtd restart: the guest keeps running, the console comes back and takes input again.
        if (File.Exists(Path.Combine(QemuTier.StateDir, "libvirtd.pid")))
        {
            output.WriteLine(QemuTier.RunScript("stop-libvirtd.sh", QemuTier.StateDir));
            output.WriteLine(QemuTier.RunScript("start-libvirtd.sh", QemuTier.StateDir));
            var back = Stopwatch.StartNew();
            var answered = false;
            // The guest sits at its login prompt: a name logs in, then a command runs (typed again until it arrives).
            first.Type("root\n");
            while (!answered && back.Elapsed < TimeSpan.FromSeconds(60))
            {
                first.Type("echo vbmc-back-$((40+2))\n");
                answered = await first.WaitForAsync("vbmc-back-42", TimeSpan.FromSeconds(2));
            }
            Assert.True(answered, "the console did not come back after the libvirtd restart: " + Tail(first.Output));
            output.WriteLine($"console back {back.Elapsed.TotalSeconds:F1} s after libvirtd answered again");
        }
        Assert.False(first.HasExited);
        Assert.False(second.HasExited);
    }

    /// <summary>
    /// Figures for the record (not asserted: bench figures are not test thresholds): keystroke-to-echo latency through
    /// ssh, the service, libvirt's console stream and the guest's tty, and the service's memory with 16 viewers attached.
    /// </summary>
    [SkippableFact]
    public async Task Keystroke_echo_latency_and_the_memory_of_16_viewers_are_recorded()
    {
        var sshPort = FreePort();
        await using var node = await QemuServiceNode.StartAsync("consolebench", Address, sshPort: sshPort, consoleSessions: 32);
        Assert.Equal(HttpStatusCode.NoContent, (await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""")).StatusCode);
        using var typist = new SshSession(QemuServiceNode.Password, sshPort, $"admin@{Address}", "-T");
        await node.Console.WaitForAsync(Prompt, Boot);
        typist.Type("\n");
        Assert.True(await typist.WaitForAsync("vbmc-guest# ", TimeSpan.FromSeconds(30)), "no shell: " + Tail(typist.Output));
        await Task.Delay(500);

        var samples = new List<double>();
        for (var i = 0; i < 60; i++)
        {
            var before = Count(typist.Output, "k");
            var clock = Stopwatch.StartNew();
            typist.Type("k");
            while (Count(typist.Output, "k") <= before && clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(1);
            }
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        typist.Type("\n");
        samples.Sort();
        var p50 = samples[samples.Count / 2];
        var p99 = samples[(int)Math.Ceiling(samples.Count * 0.99) - 1];
        QemuTier.Record("SSH console keystroke-to-echo p50 (QEMU TCG guest)", TimeSpan.FromMilliseconds(p50));
        QemuTier.Record("SSH console keystroke-to-echo p99 (QEMU TCG guest)", TimeSpan.FromMilliseconds(p99));
        output.WriteLine($"keystroke-to-echo over {samples.Count} keys: p50 {p50:F1} ms, p99 {p99:F1} ms");

        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var rssBefore = self.WorkingSet64;
        var viewers = Enumerable.Range(0, 16).Select(_ => new SshSession(QemuServiceNode.Password, sshPort, $"admin@{Address}", "-T")).ToList();
        try
        {
            await Task.Delay(3000);
            typist.Type("echo all-viewers-$((2*8))\n");
            foreach (var viewer in viewers)
            {
                Assert.True(await viewer.WaitForAsync("all-viewers-16", TimeSpan.FromSeconds(20)), "a viewer missed the output: " + Tail(viewer.Output));
            }
            GC.Collect();
            self.Refresh();
            var grown = (self.WorkingSet64 - rssBefore) / 1024.0;
            output.WriteLine($"16 viewers attached: service process RSS +{grown:F0} KiB ({grown / 16:F0} KiB per viewer; the test process hosts the service)");
            File.AppendAllText(Path.Combine(QemuTier.StateDir, "metrics.txt"), $"SSH console: 16 viewers attached: service RSS +{grown:F0} KiB\n");
        }
        finally
        {
            foreach (var viewer in viewers)
            {
                viewer.Dispose();
            }
        }
    }

    /// <summary>
    /// conman (Debian's conmand) with its SSH console script, configured as OpenCHAMI's console service configures a
    /// node reached over SSH (the BMC's address, port, user and password), logs the guest's console to its file. The
    /// script answers no host-key question OpenSSH 9 asks, so the key is pinned first, as docs tell sites to do.
    /// Debian 12's script as shipped never sends the password to OpenSSH 9.2's client: the client writes a CR before
    /// "user@host's password: " (against Debian's own sshd too), the script's pattern is anchored at the line start, so
    /// its catch-all prompt pattern matches instead and it reports "Connection established" unauthenticated. The test
    /// runs the shipped script with exactly that one pattern widened to take the CR (docs/operator-guide.md §17).
    /// </summary>
    [SkippableFact]
    public async Task Conman_with_its_ssh_script_logs_the_guests_console()
    {
        QemuTier.Require();
        Skip.IfNot(File.Exists(ConmanScript) || QemuTier.Required, $"conman is not installed ({ConmanScript})");
        Assert.True(File.Exists(ConmanScript), $"conman is not installed ({ConmanScript}): tests/qemu/install-deps.sh installs it");
        var sshPort = FreePort();
        await using var node = await QemuServiceNode.StartAsync("conman", Address, sshPort: sshPort);
        using var dir = new TempDirectory("vbmc-conman");
        var knownHosts = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");
        Directory.CreateDirectory(Path.GetDirectoryName(knownHosts)!);
        var hostKey = OpenChami.VirtualBmc.Console.SshHostKey.Load(OpenChami.VirtualBmc.Console.SshHostKey.PathIn(node.StateDirectory));
        var hostName = $"[{Address}]:{sshPort}";
        await File.AppendAllTextAsync(knownHosts, $"{hostName} {hostKey.PublicKey}\n");
        var shipped = await File.ReadAllTextAsync(ConmanScript);
        Assert.Equal(1, shipped.Split(ScriptPasswordPattern).Length - 1); // the one line the fix changes, as shipped
        var script = Path.Combine(dir.Path, "ssh.exp");
        await File.WriteAllTextAsync(script, shipped.Replace(ScriptPasswordPattern, FixedPasswordPattern, StringComparison.Ordinal));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var conmanPort = FreePort();
        var config = Path.Combine(dir.Path, "conman.conf");
        await File.WriteAllTextAsync(config, $"""
            SERVER keepalive=ON
            SERVER loopback=ON
            SERVER port={conmanPort}
            SERVER logdir="{dir.Path}"
            SERVER pidfile="{dir.Path}/conmand.pid"
            GLOBAL log="console.%N"
            GLOBAL logopts="sanitize"
            console name="slot0" dev="{script} {Address} {sshPort} admin {QemuServiceNode.Password}"
            """);
        var conmand = Process.Start(new ProcessStartInfo("conmand", ["-F", "-c", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            // conmand connects while the slot is off. Its script consumes (and does not log) what arrives before it
            // sees a prompt or times out (10 s), so the slot is powered on once the script says it is connected.
            var log = Path.Combine(dir.Path, "console.slot0");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string text = "";
            while (DateTime.UtcNow < deadline && !text.Contains("Connection established", StringComparison.Ordinal))
            {
                await Task.Delay(250);
                text = File.Exists(log) ? ReadShared(log) : "";
            }
            Assert.True(text.Contains("Connection established", StringComparison.Ordinal), "conman did not connect: " + Tail(text));
            Assert.Equal(HttpStatusCode.NoContent, (await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""")).StatusCode);
            deadline = DateTime.UtcNow + Boot;
            while (DateTime.UtcNow < deadline && !text.Contains(Prompt, StringComparison.Ordinal))
            {
                await Task.Delay(500);
                text = File.Exists(log) ? ReadShared(log) : "";
            }
            Assert.True(text.Contains("VBMC-READY", StringComparison.Ordinal),
                $"conman's log: {Tail(text)}\n--- power state {await node.PowerStateAsync()}; serial log file: {Tail(node.Console.Text())}");
            Assert.Contains(Prompt, text, StringComparison.Ordinal);
            output.WriteLine($"conman log: {text.Length} characters, ends: {Tail(text)[^Math.Min(200, text.Length)..]}");
        }
        finally
        {
            conmand.Kill(entireProcessTree: true);
            await conmand.WaitForExitAsync();
            output.WriteLine("conmand: " + await conmand.StandardError.ReadToEndAsync() + await conmand.StandardOutput.ReadToEndAsync());
            ExternalTool.Run("ssh-keygen", "-R", hostName, "-f", knownHosts); // leave root's known_hosts as it was
        }
    }

    private const string ConmanScript = "/usr/lib/conman/exec/ssh.exp";

    /// <summary>The password prompt pattern of Debian 12's ssh.exp, and the same pattern also taking the CR that OpenSSH 9's client writes first.</summary>
    private const string ScriptPasswordPattern = "-re \"^$user@.* password: \\$\" {";
    private const string FixedPasswordPattern = "-re \"^\\r?$user@.* password: \\$\" {";

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task<bool> WaitForCountAsync(SshSession session, string text, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        do
        {
            if (Count(session.Output, text) >= count)
            {
                return true;
            }
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        return false;
    }

    private static int Count(string all, string text)
    {
        var n = 0;
        for (var i = all.IndexOf(text, StringComparison.Ordinal); i >= 0; i = all.IndexOf(text, i + text.Length, StringComparison.Ordinal))
        {
            n++;
        }
        return n;
    }

    private static string Tail(string text) => text.Length <= 2000 ? text : text[^2000..];

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Parse(Address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
