using System.Net;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>
/// Which slot a connection belongs to, by the local address and port it arrived on: each slot is its own BMC,
/// so discovery tools see one node per endpoint, as on bare metal.
/// </summary>
public sealed class SlotDirectory
{
    private readonly Dictionary<(IPAddress, int), Slot> _byEndpoint;

    public SlotDirectory(IEnumerable<Slot> slots)
    {
        _byEndpoint = slots.ToDictionary(s => (s.Bmc.Address, s.Bmc.Port));
    }

    public IEnumerable<Slot> Slots => _byEndpoint.Values;

    public Slot? Find(IPAddress? localAddress, int localPort)
    {
        if (localAddress is null)
        {
            return null;
        }
        if (localAddress.IsIPv4MappedToIPv6)
        {
            localAddress = localAddress.MapToIPv4();
        }
        return _byEndpoint.GetValueOrDefault((localAddress, localPort));
    }
}

/// <summary>The slot the current request is served for; set by <see cref="RedfishServer"/> before routing.</summary>
public sealed record ServedSlot(Slot Slot);
