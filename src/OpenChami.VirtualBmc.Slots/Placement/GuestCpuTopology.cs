using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Slots.Placement;

/// <summary>
/// The vCPU topology the guest sees. The domain renders <c>&lt;vcpu&gt;N&lt;/vcpu&gt;</c> without a
/// <c>&lt;cpu&gt;&lt;topology&gt;</c>, for which libvirt passes QEMU <c>-smp N,sockets=N,cores=1,threads=1</c>: N
/// one-core sockets. The Redfish inventory (ProcessorSummary, Processors) reports exactly this; if the renderer ever
/// writes a topology, this is the one place that follows it.
/// </summary>
public sealed record GuestCpuTopology(int Sockets, int CoresPerSocket, int ThreadsPerCore)
{
    public int Cores => Sockets * CoresPerSocket;

    public int Threads => Cores * ThreadsPerCore;

    public static GuestCpuTopology Of(SlotTemplate template) => new(template.Cpu.Cores, 1, 1);
}
