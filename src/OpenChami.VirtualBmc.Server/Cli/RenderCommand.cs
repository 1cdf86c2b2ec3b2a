using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Server.Hosting;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>render: the libvirt domain XML a slot gets, exactly as the service would define it.</summary>
public static class RenderCommand
{
    private const string Help = """
        Usage: openchami-vbmc render --config HOST.yaml --slot NAME

        Prints the libvirt domain XML of the slot: vCPUs pinned to CPUs of its NUMA node, numatune, memory and
        hugepages, hostdev entries for its GPUs and NICs (host addresses resolved from sysfs), SR-IOV VFs with their
        stable MACs, the empty SATA cdrom for virtual media, SMBIOS identity and cloud-init datasource, a serial
        console, and the slot's identity in <metadata>. Nothing is defined; libvirt is not contacted.
        Exit codes: 0 printed, 1 the slot fails host validation (its devices cannot all be resolved), 2 usage, 3 config invalid.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var line = CommandLine.Parse("render", args, new HashSet<string> { "--config", "--slot" }, new HashSet<string>());
        if (line.Help)
        {
            stdout.WriteLine(Help);
            return ExitCodes.Ok;
        }
        var loaded = SiteLoader.Load(line.Require("--config"));
        var slotName = line.Require("--slot");
        if (!loaded.Succeeded)
        {
            ConfigOutput.WriteProblems(loaded.Problems, json: false, stdout, stderr);
            return ExitCodes.ConfigInvalid;
        }
        var site = loaded.Value!;
        var slot = site.Config.FindSlot(slotName)
            ?? throw new UsageException($"render: no slot '{slotName}'; slots are {string.Join(", ", site.Slots.Select(s => s.Name))}");
        var binding = HostBinding.Check(site.Config, Serilog.Core.Logger.None);
        if (!binding.Health[slot.Name].Usable)
        {
            stderr.WriteLine($"openchami-vbmc: render: slot {slot.Name} fails host validation; run 'openchami-vbmc validate --config {site.HostFile}'");
            return ExitCodes.SlotsFailed;
        }
        var xml = DomainXml.Render(slot, binding.Placement(slot), NodeComposer.RenderOptions(site.Host));
        stdout.WriteLine(xml.ToString());
        return ExitCodes.Ok;
    }
}
