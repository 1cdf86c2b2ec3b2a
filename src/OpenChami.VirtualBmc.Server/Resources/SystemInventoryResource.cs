using System.Globalization;
using OpenChami.VirtualBmc.Redfish;
using OpenChami.VirtualBmc.Redfish.Payloads;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Protocol;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Placement;

namespace OpenChami.VirtualBmc.Server.Resources;

/// <summary>
/// A slot's Processors (one per guest socket, <see cref="GuestCpuTopology"/>) and Memory (one per guest NUMA cell: the
/// domain renders one), with where they live on the host in Oem.OpenCHAMI; all from the template and the placement
/// made at start, so they agree with ProcessorSummary and MemorySummary by construction. Serial numbers derive from the
/// slot's (stable, unique per slot), as SMD's FRU ids and fru-tracker need one per child device.
/// </summary>
public static class SystemInventoryResource
{
    public const string MemoryId = "Memory0";

    public static string ProcessorId(int socket) => "CPU" + socket.ToString(CultureInfo.InvariantCulture);

    public static ProcessorSummary Summary(SlotTemplate template)
    {
        var topology = GuestCpuTopology.Of(template);
        return new ProcessorSummary(topology.Sockets, topology.Cores, topology.Threads, GuestCpuModel, Status.EnabledOk);
    }

    /// <summary>The domain sets no CPU model: QEMU's default x86-64 model, which names itself so to the guest.</summary>
    public const string GuestCpuModel = "QEMU Virtual CPU";

    public static Processor Processor(SlotContext slot, int socket)
    {
        var topology = GuestCpuTopology.Of(slot.Slot.Template);
        var place = slot.HostPlacement;
        return new Processor(Paths.Processor(slot.Name, ProcessorId(socket)), "#Processor.v1_20_0.Processor", ProcessorId(socket), $"Processor {socket}",
            $"CPU {socket}", "CPU", "x86", "x86-64", GuestCpuModel, $"{slot.Slot.Identity.SerialNumber}-{ProcessorId(socket)}", topology.CoresPerSocket, topology.CoresPerSocket, topology.CoresPerSocket * topology.ThreadsPerCore,
            Status.EnabledOk,
            new ProcessorOem(new ProcessorOemOpenChami("#OpenCHAMIProcessor.v1_0_0.OpenCHAMIProcessor", place.CpuModel,
                // One host CPU per vCPU when pinned one to one (vCPU n is socket n); otherwise every vCPU floats over the set.
                place.Cpus.Count == topology.Threads ? [place.Cpus[socket]] : place.Cpus,
                place.CpuNumaNode, slot.Slot.Template.Cpu.NumaPolicy.ToString())));
    }

    public static Memory Memory(SlotContext slot)
    {
        var memory = slot.Slot.Template.Memory;
        var cpu = slot.Slot.Template.Cpu;
        // The domain's numatune binds guest memory to the template's numaNode (strict or preferred); none otherwise.
        int? hostNode = cpu.NumaPolicy != NumaPolicy.None ? cpu.NumaNode : null;
        return new Memory(Paths.MemoryEntry(slot.Name, MemoryId), "#Memory.v1_20_0.Memory", MemoryId, "Guest memory (NUMA cell 0)", "DRAM", $"{slot.Slot.Identity.SerialNumber}-{MemoryId}",
            memory.SizeGiB * 1024, ["Volatile"], Status.EnabledOk,
            new MemoryOem(new MemoryOemOpenChami("#OpenCHAMIMemory.v1_0_0.OpenCHAMIMemory", 0, memory.Hugepages,
                memory.Hugepages ? (memory.EffectivePageSize == HugepageSize.TwoMiB ? "2MiB" : "1GiB") : null,
                hostNode, cpu.NumaPolicy.ToString())));
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapRedfishGet("/redfish/v1/Systems/{id}/Processors", "ProcessorCollection", context => SlotRequests.ReadAsync(context, "ProcessorCollection", slot =>
            RedfishResponses.WriteAsync(context, ResourceCollection.Of(Paths.Processors(slot.Name), "#ProcessorCollection.ProcessorCollection", "Processors",
                Enumerable.Range(0, GuestCpuTopology.Of(slot.Slot.Template).Sockets).Select(n => Paths.Processor(slot.Name, ProcessorId(n)))),
                RedfishJsonContext.Wire.ResourceCollection)));
        app.MapRedfishGet("/redfish/v1/Systems/{id}/Processors/{cpu}", "Processor", context => SlotRequests.ReadAsync(context, "Processor", slot =>
            SocketOf(context, slot) is { } socket
                ? RedfishResponses.WriteAsync(context, Processor(slot, socket), RedfishJsonContext.Wire.Processor)
                : NotFound(context, "Processor")));
        app.MapRedfishGet("/redfish/v1/Systems/{id}/Memory", "MemoryCollection", context => SlotRequests.ReadAsync(context, "MemoryCollection", slot =>
            RedfishResponses.WriteAsync(context, ResourceCollection.Of(Paths.Memory(slot.Name), "#MemoryCollection.MemoryCollection", "Memory",
                [Paths.MemoryEntry(slot.Name, MemoryId)]), RedfishJsonContext.Wire.ResourceCollection)));
        app.MapRedfishGet("/redfish/v1/Systems/{id}/Memory/{memory}", "Memory", context => SlotRequests.ReadAsync(context, "Memory", slot =>
            (string?)context.Request.RouteValues["memory"] == MemoryId
                ? RedfishResponses.WriteAsync(context, Memory(slot), RedfishJsonContext.Wire.Memory)
                : NotFound(context, "Memory")));
        SystemStorageResource.Map(app);
    }

    private static int? SocketOf(HttpContext context, SlotContext slot)
    {
        var id = (string?)context.Request.RouteValues["cpu"] ?? "";
        return Enumerable.Range(0, GuestCpuTopology.Of(slot.Slot.Template).Sockets).Select(n => (int?)n).FirstOrDefault(n => ProcessorId(n!.Value) == id);
    }

    internal static Task NotFound(HttpContext context, string type) =>
        RedfishResponses.WriteErrorAsync(context, BaseMessages.ResourceNotFound(type, context.Request.Path.Value ?? ""));
}
