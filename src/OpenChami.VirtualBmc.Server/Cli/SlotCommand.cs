using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Server.Cli;

/// <summary>slot reimage | delete-state | disks: an operator's hands on a slot's root disk, as the Redfish OEM actions do.</summary>
public static class SlotCommand
{
    private const string Help = """
        Usage: openchami-vbmc slot reimage --config HOST.yaml SLOT --yes
               openchami-vbmc slot delete-state --config HOST.yaml SLOT --yes
               openchami-vbmc slot disks --config HOST.yaml [--json]

        reimage       Gives SLOT a fresh root disk: resolves its image in the catalog, fetches and verifies the base
                      image (SHA-256), writes a new copy-on-write overlay beside the old one, then powers the slot
                      off and renames the new overlay over the old one. Everything written to the old disk is lost;
                      the slot's identity (UUID, serial, MACs) is kept; it is left Off. If anything fails before the
                      rename, the old disk and the power state are unchanged.
        delete-state  Powers SLOT off and removes its runtime state (root overlay and local seed). The slot stays
                      defined; it is not started until a reimage (or the next service start) gives it a disk.
        disks         Lists every slot's root disk: image, overlay, base image, sizes, problems. Changes nothing.
          --config FILE   the host file
          --yes           required by reimage and delete-state: they destroy the slot's disk
          --json          machine-readable output (disks)

        The service and this command serialize on the slot's lock file (<stateDirectory>/locks/SLOT.lock), so a
        reimage here and a power action through Redfish never interleave; while the service runs, prefer the
        Redfish action (POST …/Systems/SLOT/Actions/Oem/OpenCHAMIComputerSystem.Reimage), which also refreshes
        the slot's Status.

        Exit codes: 0 done, 1 the slot fails host validation (nothing done), 2 usage (also: no --yes),
        3 configuration invalid, 4 the operation failed (printed; the old disk is unchanged).
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args is [] or ["--help"] or ["-h"])
        {
            await stdout.WriteLineAsync(Help);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        var sub = args[0];
        if (sub is not ("reimage" or "delete-state" or "disks"))
        {
            throw new UsageException($"slot: unknown subcommand '{sub}'; subcommands are reimage, delete-state, disks (see 'openchami-vbmc slot --help')");
        }
        var verb = "slot " + sub;
        var (positional, options) = SplitPositional(args[1..], valueOptions: ["--config"]);
        var line = CommandLine.Parse(verb, options, new HashSet<string> { "--config" }, new HashSet<string> { "--yes", "--json" });
        if (line.Help)
        {
            await stdout.WriteLineAsync(Help);
            return ExitCodes.Ok;
        }
        var configPath = line.Require("--config");
        if (sub == "disks")
        {
            if (positional.Count > 0)
            {
                throw new UsageException($"{verb}: unexpected argument '{positional[0]}'");
            }
            return Disks(configPath, line.Has("--json"), stdout, stderr);
        }
        if (positional.Count != 1)
        {
            throw new UsageException($"{verb}: name exactly one slot (see 'openchami-vbmc slot --help')");
        }
        var slotName = positional[0];
        var loaded = SiteLoader.Load(configPath);
        if (!loaded.Succeeded)
        {
            ConfigOutput.WriteProblems(loaded.Problems, json: false, stdout, stderr);
            return ExitCodes.ConfigInvalid;
        }
        var site = loaded.Value!;
        var slot = site.Config.FindSlot(slotName)
            ?? throw new UsageException($"{verb}: no slot '{slotName}'; slots are {string.Join(", ", site.Slots.Select(s => s.Name))}");
        if (!line.Has("--yes"))
        {
            throw new UsageException(sub == "reimage"
                ? $"{verb}: refusing without --yes: this replaces slot {slot.Name}'s root disk, and everything written to it is lost"
                : $"{verb}: refusing without --yes: this removes slot {slot.Name}'s root disk and seed, and everything written to them is lost");
        }
        // The host check serve runs, for this slot: its bindings, then its domain reconciled (defined if missing).
        await using var check = await HostCheck.RunAsync(site.Config, HostCheckMode.Domain, Serilog.Core.Logger.None, only: [slot.Name]);
        var state = check.States[slot.Name].Current;
        if (check.Hypervisor is not { } hypervisor)
        {
            await stderr.WriteLineAsync($"openchami-vbmc: {verb}: slot {slot.Name} fails host validation, so its VM is not this service's to power off; nothing was done (run 'openchami-vbmc validate --config {site.HostFile}')");
            return ExitCodes.SlotsFailed;
        }
        var disks = check.Disks;
        try
        {
            if (!state.DomainActionable)
            {
                // Unreachable libvirt or a domain that is not ours (a drifted one is ours: a reimage may power it off).
                var finding = state.DomainFindings.Count > 0 ? state.DomainFindings[0] : null;
                if (state.Domain == OpenChami.VirtualBmc.Slots.State.DomainStatus.Unknown)
                {
                    throw new SlotRuntimeException(SlotRuntimeErrorKind.Unavailable, finding?.Message ?? "libvirt not reached");
                }
                await stderr.WriteLineAsync($"openchami-vbmc: {verb}: {finding?.Code}: {finding?.Message}; nothing was done");
                return ExitCodes.SlotsFailed;
            }
            var runtime = hypervisor.FindSlot(slot.Name)!;
            if (sub == "reimage")
            {
                var before = disks.Describe(slot);
                var result = await disks.ReimageAsync(slot, runtime);
                await stdout.WriteLineAsync($"slot {slot.Name}: reimaged with '{slot.Image}'");
                await stdout.WriteLineAsync(result.OldOverlay is { } old
                    ? $"  old overlay: {result.RootDisk} ({Bytes(before.AllocatedBytes)} written) on {old.BackingFile} — replaced"
                    : $"  old overlay: none");
                await stdout.WriteLineAsync($"  new overlay: {result.RootDisk} ({Bytes(result.Base.VirtualSize)} virtual) on {result.Base.Path}");
                await stdout.WriteLineAsync($"  base image:  sha256 {result.Base.Sha256} ({result.Base.Format.ToString().ToLowerInvariant()}, verified)");
                await stdout.WriteLineAsync($"  power:       was {result.PowerBefore}, now Off; identity unchanged (UUID {slot.Identity.Uuid})");
                if (result.SeedProblem is { } problem)
                {
                    await stderr.WriteLineAsync($"openchami-vbmc: {verb}: warning: the local seed was not rewritten: {problem}");
                }
            }
            else
            {
                var result = await disks.DeleteStateAsync(slot, runtime);
                await stdout.WriteLineAsync($"slot {slot.Name}: state deleted");
                foreach (var path in result.Removed)
                {
                    await stdout.WriteLineAsync($"  removed: {path}");
                }
                if (result.Removed.Count == 0)
                {
                    await stdout.WriteLineAsync("  removed: nothing (the slot had no state)");
                }
                await stdout.WriteLineAsync($"  power:   was {result.PowerBefore}, now Off; the slot stays defined and is not started until it is reimaged");
            }
            return ExitCodes.Ok;
        }
        catch (DiskProvisioningException e)
        {
            await stderr.WriteLineAsync($"openchami-vbmc: {verb}: {e.Message}");
            await stderr.WriteLineAsync($"openchami-vbmc: {verb}: nothing was changed: the slot's disk and power state are as they were");
            return ExitCodes.RuntimeFailure;
        }
        catch (SlotRuntimeException e)
        {
            await stderr.WriteLineAsync($"openchami-vbmc: {verb}: {e.Message}; the slot's disk is unchanged");
            return ExitCodes.RuntimeFailure;
        }
    }

    private static readonly string[] DisksHeader = ["SLOT", "IMAGE", "ROOT DISK", "VIRTUAL", "WRITTEN", "BASE IMAGE (SHA-256)", "STATUS"];

    private static int Disks(string configPath, bool json, TextWriter stdout, TextWriter stderr)
    {
        var loaded = SiteLoader.Load(configPath);
        if (!loaded.Succeeded)
        {
            ConfigOutput.WriteProblems(loaded.Problems, json, stdout, stderr);
            return ExitCodes.ConfigInvalid;
        }
        var site = loaded.Value!;
        var disks = SlotDisks.Create(site.Host, SlotDisks.Serializer(site.Host));
        var rows = site.Slots.Select(disks.Describe).ToList();
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(rows.Select(d => new DiskJson(d.Slot, d.Image, d.RootDisk, d.RootDiskExists, d.Overlay?.VirtualSize,
                d.RootDiskExists ? d.AllocatedBytes : null, d.Overlay?.BackingFile, d.Overlay?.BackingFormat?.ToString().ToLowerInvariant(),
                d.Overlay is { } o ? Path.GetFileNameWithoutExtension(o.BackingFile) : null, d.Seed, d.SeedExists, d.Problem)).ToList(), SlotJsonContext.Default.ListDiskJson));
            return ExitCodes.Ok;
        }
        var table = new List<string[]> { DisksHeader };
        foreach (var d in rows)
        {
            var status = d.Image is null ? "diskless (network boot)"
                : !d.RootDiskExists ? "no root disk (made at start, or by reimage)"
                : d.Problem ?? "ok";
            table.Add([d.Slot, d.Image ?? "-", d.RootDiskExists ? d.RootDisk : "-", d.Overlay is { } o ? Bytes(o.VirtualSize) : "-",
                d.RootDiskExists ? Bytes(d.AllocatedBytes) : "-", d.Overlay is { } b ? Path.GetFileNameWithoutExtension(b.BackingFile) : "-", status]);
        }
        TextTable.Write(stdout, table);
        return ExitCodes.Ok;
    }

    /// <summary>"SLOT" among options: the one argument that is neither an option nor an option's value.</summary>
    private static (List<string> Positional, List<string> Options) SplitPositional(string[] args, string[] valueOptions)
    {
        var positional = new List<string>();
        var options = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith('-'))
            {
                options.Add(args[i]);
                if (valueOptions.Contains(args[i]) && i + 1 < args.Length)
                {
                    options.Add(args[++i]);
                }
            }
            else
            {
                positional.Add(args[i]);
            }
        }
        return (positional, options);
    }

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.#} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.#} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };

    public sealed record DiskJson(string Slot, string? Image, string RootDisk, bool RootDiskExists, long? VirtualSize, long? WrittenBytes,
        string? BackingFile, string? BackingFormat, string? BaseSha256, string Seed, bool SeedExists, string? Problem);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(List<SlotCommand.DiskJson>))]
internal sealed partial class SlotJsonContext : JsonSerializerContext;
