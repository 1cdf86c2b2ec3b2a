using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Media;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Images;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>render: the libvirt domain XML a slot gets, exactly as the service would define it, or its local NoCloud seed.</summary>
public static class RenderCommand
{
    private const string Help = """
        Usage: openchami-vbmc render --config HOST.yaml --slot NAME [--seed | --seed-iso FILE]

        Prints the libvirt domain XML of the slot: vCPUs pinned to CPUs of its NUMA node, numatune, memory and
        hugepages, hostdev entries for its GPUs and NICs (host addresses resolved from sysfs), SR-IOV VFs with their
        stable MACs, the empty SATA cdrom for virtual media, SMBIOS identity and cloud-init datasource, a serial
        console, and the slot's identity in <metadata>. Nothing is defined; libvirt is not contacted.
        --seed prints the files of the slot's local NoCloud seed instead (meta-data, user-data, network-config), each
        after a "==> NAME <==" line; --seed-iso FILE writes the seed image (ISO 9660, label cidata) to FILE. Neither
        needs the slot's devices, so they work for a slot that fails host validation.
        Exit codes: 0 printed, 1 the slot fails host validation (its devices cannot all be resolved), 2 usage, 3 config invalid.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var line = CommandLine.Parse("render", args, new HashSet<string> { "--config", "--slot", "--seed-iso" }, new HashSet<string> { "--seed" });
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
        if (line.Has("--seed") || line.Has("--seed-iso"))
        {
            return RenderSeed(slot, line.Has("--seed"), line.Get("--seed-iso"), stdout);
        }
        var check = HostCheck.RunAsync(site.Config, HostCheckMode.BindingsOnly, Serilog.Core.Logger.None).GetAwaiter().GetResult();
        if (check.States[slot.Name].Current.HasErrors)
        {
            stderr.WriteLine($"openchami-vbmc: render: slot {slot.Name} fails host validation; run 'openchami-vbmc validate --config {site.HostFile}'");
            return ExitCodes.SlotsFailed;
        }
        var xml = DomainXml.Render(slot, check.Placement(slot), NodeComposer.RenderOptions(site.Host));
        stdout.WriteLine(xml.ToString());
        return ExitCodes.Ok;
    }

    private static int RenderSeed(Slot slot, bool print, string? isoPath, TextWriter stdout)
    {
        if (print && isoPath is not null)
        {
            throw new UsageException("render: choose --seed (print the files) or --seed-iso FILE (write the image), not both");
        }
        var seed = NoCloudSeedComposer.Compose(slot);
        if (isoPath is not null)
        {
            new Iso9660SeedWriter().Write(isoPath, seed);
            stdout.WriteLine($"wrote {Path.GetFullPath(isoPath)} ({new FileInfo(isoPath).Length} bytes, label cidata)");
            return ExitCodes.Ok;
        }
        for (var i = 0; i < seed.Files.Count; i++)
        {
            var (name, content) = seed.Files[i];
            stdout.Write($"{(i > 0 ? "\n" : "")}==> {name} <==\n{content}");
            if (content.Length > 0 && !content.EndsWith('\n'))
            {
                stdout.Write('\n');
            }
        }
        return ExitCodes.Ok;
    }
}
