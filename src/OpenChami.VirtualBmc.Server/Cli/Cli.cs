using System.Reflection;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>The one executable's verbs. Each verb writes results to stdout and diagnostics to stderr.</summary>
public static class Cli
{
    public const string Overview = """
        openchami-vbmc — OpenCHAMI Virtual BMC: every predefined VM slot of this node served as its own Redfish BMC.

        Usage: openchami-vbmc <command> [options]

        Commands:
          serve          Run the Redfish service for every slot of the host file (foreground).
          validate       Check the configuration files, then each slot's device bindings against this host.
          inventory      Print what this host has: PCI functions, IOMMU groups, SR-IOV, NUMA nodes, hugepages.
          render         Print the libvirt domain XML a slot gets (or its local NoCloud seed).
          host prepare   Create the SR-IOV VF pool and bind the slots' devices to vfio-pci (root; --dry-run prints the plan).
          slot           Root disks: 'slot reimage SLOT --yes', 'slot delete-state SLOT --yes', 'slot disks'.
          console        'console host-key': the SSH consoles' host key fingerprint and known_hosts lines.
          hash-password  Read a password on stdin and print the hash to put in the accounts file.
          version        Print the version.
          help           Print this text; 'openchami-vbmc <command> --help' explains a command.

        Configuration: a host file (which node type this is; per slot its BMC address, identity and addresses)
        naming a node type file (the slots: CPU, memory, image, devices) and an image catalog (image name → base
        image and checksum; slot root disks are overlays on it). JSON Schemas in schemas/ describe all three.

        Exit codes:
          0  success (validate: every slot usable)
          1  validate: configuration is fine but at least one slot failed a host check (render, slot: that slot)
          2  usage error (unknown command or option, missing value)
          3  a configuration file is unreadable or invalid (every problem printed as file:line:column)
          4  the service failed at run time (address in use, cannot start); slot: the operation failed
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            await stdout.WriteLineAsync(Overview);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        var verb = args[0];
        var rest = args[1..];
        try
        {
            return verb switch
            {
                "serve" => await ServeCommand.RunAsync(rest, stdout, stderr),
                "validate" => ValidateCommand.Run(rest, stdout, stderr),
                "inventory" => InventoryCommand.Run(rest, stdout, stderr),
                "render" => RenderCommand.Run(rest, stdout, stderr),
                "host" => HostPrepareCommand.Run(rest, stdout, stderr),
                "slot" => await SlotCommand.RunAsync(rest, stdout, stderr),
                "console" => ConsoleCommand.Run(rest, stdout, stderr),
                "hash-password" => HashPasswordCommand.Run(rest, stdout, stderr, stdin),
                "version" or "--version" => Version(stdout),
                _ => throw new UsageException($"unknown command '{verb}'; commands are serve, validate, inventory, render, host prepare, slot, console, hash-password, version, help"),
            };
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"openchami-vbmc: {e.Message}");
            return ExitCodes.Usage;
        }
    }

    /// <summary>Read once: payloads that show it are built per change, and reflection per request costs.</summary>

    private static int Version(TextWriter stdout)
    {
        stdout.WriteLine($"openchami-vbmc {Hosting.ServiceVersion.Text}");
        return ExitCodes.Ok;
    }
}
