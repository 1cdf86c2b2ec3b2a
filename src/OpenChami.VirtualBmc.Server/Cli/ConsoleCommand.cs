using OpenChami.VirtualBmc.Console;
using OpenChami.VirtualBmc.Server.Hosting;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>console host-key: the SSH consoles' host key fingerprint and known_hosts lines, for pinning in conman.</summary>
public static class ConsoleCommand
{
    private const string Help = """
        Usage: openchami-vbmc console host-key --config HOST.yaml

        Prints the fingerprint of the SSH consoles' host key (made by the service at its first start, in the
        state directory) and one known_hosts line per slot endpoint, for conman's or an operator's known_hosts.
        Exit codes: 0 printed, 2 usage, 3 config invalid, 4 no host key yet (start the service once) or unreadable.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] != "host-key")
        {
            if (args is ["--help"] or ["-h"])
            {
                stdout.WriteLine(Help);
                return ExitCodes.Ok;
            }
            throw new UsageException("console: the only subcommand is 'host-key' (see 'openchami-vbmc console host-key --help')");
        }
        var line = CommandLine.Parse("console host-key", args[1..], new HashSet<string> { "--config" }, new HashSet<string>());
        if (line.Help)
        {
            stdout.WriteLine(Help);
            return ExitCodes.Ok;
        }
        var loaded = SiteLoader.Load(line.Require("--config"));
        if (!loaded.Succeeded)
        {
            ConfigOutput.WriteProblems(loaded.Problems, json: false, stdout, stderr);
            return ExitCodes.ConfigInvalid;
        }
        var host = loaded.Value!.Host;
        var path = SshHostKey.PathIn(host.StateDirectory);
        if (!File.Exists(path))
        {
            stderr.WriteLine($"openchami-vbmc: console host-key: no host key at {path} yet: the service makes it when it first starts");
            return ExitCodes.RuntimeFailure;
        }
        SshHostKey key;
        try
        {
            key = SshHostKey.Load(path);
        }
        catch (SshException e)
        {
            stderr.WriteLine($"openchami-vbmc: console host-key: {e.Message}");
            return ExitCodes.RuntimeFailure;
        }
        stdout.WriteLine($"{key.Fingerprint} {path}");
        foreach (var slot in host.Slots)
        {
            var address = slot.Bmc.Address.ToString();
            var name = host.Console.SshPort == 22 ? address : $"[{address}]:{host.Console.SshPort}";
            stdout.WriteLine($"{name} {key.PublicKey}");
        }
        return ExitCodes.Ok;
    }
}
