using System.Security.Cryptography;
using System.Text;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Slots.Identity;

/// <summary>
/// Derives a slot's identity from (hostId, slot name) when the host file does not pin it. Pure functions of the
/// configuration, so the same host file gives the same UUID, serial and MACs on every start and every reinstall.
/// </summary>
public static class IdentityDeriver
{
    /// <summary>Namespace of the project's name-based (v5) UUIDs. Never change it: every derived UUID would change.</summary>
    public static readonly Guid UuidNamespace = new("6f1d3c1e-9b7a-4f0e-8a51-0c3a7e2d5b90");

    public static SlotIdentity Derive(string hostId, SlotTemplate template, HostSlot entry)
    {
        var uuid = entry.Uuid ?? NameBasedUuid($"{hostId}/{template.Name}");
        var macs = new Dictionary<string, MacAddress>(StringComparer.Ordinal);
        foreach (var name in template.InterfaceNames)
        {
            macs[name] = entry.MacAddresses.TryGetValue(name, out var pinned) ? pinned : DerivedMac($"{hostId}/{template.Name}/{name}");
        }
        return new SlotIdentity(
            uuid,
            entry.SerialNumber ?? $"{hostId}-{template.Name}",
            macs,
            entry.InstanceId ?? uuid.ToString(),
            entry.Hostname ?? template.Name);
    }

    /// <summary>RFC 9562 version 5 UUID (SHA-1 of namespace and name).</summary>
    public static Guid NameBasedUuid(string name)
    {
        Span<byte> input = stackalloc byte[16 + Encoding.UTF8.GetByteCount(name)];
        UuidNamespace.TryWriteBytes(input, bigEndian: true, out _);
        Encoding.UTF8.GetBytes(name, input[16..]);
        Span<byte> hash = stackalloc byte[20];
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 specifies for v5; this is naming, not security.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0f) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>A locally administered unicast MAC (02:xx:…) from SHA-256 of the name: 40 bits of the hash.</summary>
    public static MacAddress DerivedMac(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        hash[0] = 0x02;
        return MacAddress.FromBytes(hash[..6]);
    }
}
