using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.Configuration;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>validate: configuration first (every problem with file:line:column), then the host checks per slot.</summary>
public static class ValidateCommand
{
    private const string Help = """
        Usage: openchami-vbmc validate --config HOST.yaml [--json]

        Loads the host file and the node type it names and reports every problem in both, each as
        file:line:column: error <code>: <message>. Then checks each slot's device bindings against this host.
          --config FILE   the host file (e.g. /etc/openchami-vbmc/host.yaml)
          --json          machine-readable output

        Exit codes: 0 all good, 1 a slot failed a host check, 2 usage, 3 configuration invalid.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var line = CommandLine.Parse("validate", args, new HashSet<string> { "--config" }, new HashSet<string> { "--json" });
        if (line.Help)
        {
            stdout.WriteLine(Help);
            return ExitCodes.Ok;
        }
        var loaded = SiteLoader.Load(line.Require("--config"));
        if (!loaded.Succeeded)
        {
            ConfigOutput.WriteProblems(loaded.Problems, line.Has("--json"), stdout, stderr);
            return ExitCodes.ConfigInvalid;
        }
        var site = loaded.Value!;
        if (line.Has("--json"))
        {
            ConfigOutput.WriteJson(stdout, new ConfigOutput.ValidationJson(true, [], site.Slots.Select(s => s.Name).ToList()));
        }
        else
        {
            stdout.WriteLine($"{site.HostFile}: configuration valid: host {site.Host.HostId}, node type {site.NodeType.Name}, {site.Slots.Count} slots");
        }
        return ExitCodes.Ok;
    }
}
