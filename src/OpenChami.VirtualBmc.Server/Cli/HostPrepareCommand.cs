using OpenChami.VirtualBmc.Host;
using OpenChami.VirtualBmc.Host.Preparation;
using OpenChami.VirtualBmc.Server.Hosting;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>host prepare: create the node type's SR-IOV VF pool and bind the slots' devices to vfio-pci.</summary>
public static class HostPrepareCommand
{
    private const string Help = """
        Usage: openchami-vbmc host prepare --config HOST.yaml [--dry-run] [--force] [--sysfs-root DIR]

        Makes this host ready for its slots: writes sriov_numvfs on the PFs the slots use (enough VFs for the
        highest vfIndex; never lowers a count), then binds every device the slots use to vfio-pci
        (driver_override, unbind, bind). Idempotent: on a prepared host it changes nothing. Run as root, before
        libvirt and the service start (systemd: openchami-vbmc-prepare.service).
          --dry-run          print the plan (each write: path, value, why) and change nothing
          --force            also change a non-zero VF count (destroys existing VFs) and take devices whose netdev is up
          --sysfs-root DIR   act on sysfs under DIR instead of the host file's sysfsRoot

        Exit codes: 0 prepared (or nothing to do), 1 something could not be prepared (printed), 2 usage, 3 config invalid.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] != "prepare")
        {
            if (args is ["--help"] or ["-h"])
            {
                stdout.WriteLine(Help);
                return ExitCodes.Ok;
            }
            throw new UsageException("host: the only subcommand is 'prepare' (see 'openchami-vbmc host prepare --help')");
        }
        var line = CommandLine.Parse("host prepare", args[1..], new HashSet<string> { "--config", "--sysfs-root" }, new HashSet<string> { "--dry-run", "--force" });
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
        var site = loaded.Value!.Config;
        var root = Path.GetFullPath(line.Get("--sysfs-root") ?? site.Host.SysfsRoot);
        site = site with { Host = site.Host with { SysfsRoot = root } };
        var options = new PreparationOptions(line.Has("--force"), HostPreparer.IsVfioPciLoaded(root));
        if (line.Has("--dry-run"))
        {
            var plan = HostPreparer.Plan(site, new SysfsInventorySource(root).Read(), options);
            stdout.WriteLine(plan.IsEmpty && plan.Problems.Count == 0 ? "nothing to do: the host is prepared" : plan.Describe());
            return plan.Problems.Count == 0 ? ExitCodes.Ok : ExitCodes.SlotsFailed;
        }
        var result = HostPreparer.Prepare(site, new SysfsInventorySource(root), new SysfsWriter(root), options, step => stdout.WriteLine(step.ToString()));
        foreach (var problem in result.Problems)
        {
            stderr.WriteLine($"openchami-vbmc: host prepare: {problem}");
        }
        stdout.WriteLine($"{result.Applied.Count} write(s) applied, {result.Problems.Count} problem(s)");
        return result.Problems.Count == 0 ? ExitCodes.Ok : ExitCodes.SlotsFailed;
    }
}
