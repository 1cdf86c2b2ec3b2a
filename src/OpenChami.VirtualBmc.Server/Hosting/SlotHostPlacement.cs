namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>
/// Where a slot runs on its host, for the Redfish inventory: the host's id (its xname), the host CPUs its vCPUs are pinned to (empty: they float),
/// the host NUMA node holding them, and the host CPU's model (/proc/cpuinfo; null when not readable).
/// </summary>
public sealed record SlotHostPlacement(string? HostId, IReadOnlyList<int> Cpus, int? CpuNumaNode, string? CpuModel)
{
    public static readonly SlotHostPlacement Unknown = new(null, [], null, null);
}
