using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.Slots.Identity;
using OpenChami.VirtualBmc.Slots.Tests.Configuration;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Slots.Tests.Identity;

public sealed class IdentityTests
{
    [Fact]
    public void NameBasedUuid_IsRfc9562Version5()
    {
        // Known answer: the DNS-namespace example of RFC 9562 is v5("6ba7b810-...", "www.example.com") = 2ed6657d-e927-568b-95e1-2665a8aea6a2.
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), V5(dns, "www.example.com"));

        var derived = IdentityDeriver.NameBasedUuid("x1000c0s0b0n0/slot0");
        Assert.Equal(5, derived.Version);
        Assert.Equal(derived, IdentityDeriver.NameBasedUuid("x1000c0s0b0n0/slot0"));
        Assert.NotEqual(derived, IdentityDeriver.NameBasedUuid("x1000c0s0b0n0/slot1"));
    }

    [Fact]
    public void DerivedMac_IsLocallyAdministeredUnicastAndStable()
    {
        var mac = IdentityDeriver.DerivedMac("x1000c0s0b0n0/slot0/hsn0");
        Assert.True(mac.IsLocallyAdministered);
        Assert.False(mac.IsMulticast);
        Assert.Equal(mac, IdentityDeriver.DerivedMac("x1000c0s0b0n0/slot0/hsn0"));
        Assert.NotEqual(mac, IdentityDeriver.DerivedMac("x1000c0s0b0n0/slot0/mgmt0"));
        Assert.Matches("^02(:[0-9a-f]{2}){5}$", mac.ToString());
    }

    [Fact]
    public void Identity_IsTheSameOnEveryLoad_AndPinnedValuesWin()
    {
        using var dir = new TempDirectory();
        dir.Write("node.yaml", BrokenConfigTests.ValidNodeType);
        var host = dir.Write("host.yaml", BrokenConfigTests.ValidHost);

        var first = ConfigurationLoader.Load(host).GetOrThrow();
        var second = ConfigurationLoader.Load(host).GetOrThrow();

        Assert.Equal(first.Slots.Select(s => s.Identity.Uuid), second.Slots.Select(s => s.Identity.Uuid));
        Assert.Equal(first.Slots.SelectMany(s => s.Identity.MacAddresses.Values), second.Slots.SelectMany(s => s.Identity.MacAddresses.Values));
        var slot1 = first.FindSlot("slot1")!;
        Assert.Equal(MacAddress.Parse("02:00:00:00:01:01"), slot1.Identity.MacAddresses["mgmt0"]);
        Assert.Equal(["hsn0", "mgmt0"], slot1.Identity.MacAddresses.Keys.Order());
        Assert.Equal("x1000c0s0b0n0-slot1", slot1.Identity.SerialNumber);
        Assert.Equal(slot1.Identity.Uuid.ToString(), slot1.Identity.InstanceId);
    }

    [Fact]
    public void PinnedUuidCollidingWithAnotherSlot_IsAProblem()
    {
        using var dir = new TempDirectory();
        dir.Write("node.yaml", BrokenConfigTests.ValidNodeType);
        var derivedSlot0 = IdentityDeriver.NameBasedUuid("x1000c0s0b0n0/slot0");
        var host = dir.Write("host.yaml", BrokenConfigTests.ValidHost.Replace("  identity:\n", $"  identity:\n    uuid: {derivedSlot0}\n", StringComparison.Ordinal));

        var result = ConfigurationLoader.Load(host);

        // The instance ID defaults to the UUID, so it collides too; both are reported.
        Assert.All(result.Problems, p => Assert.Equal(ProblemCodes.IdentityConflict, p.Code));
        Assert.Equal(
            [$"slot 'slot1' has UUID {derivedSlot0}, the same as slot 'slot0'", $"slot 'slot1' has cloud-init instance ID {derivedSlot0}, the same as slot 'slot0'"],
            result.Problems.Select(p => p.Message[..p.Message.IndexOf(';', StringComparison.Ordinal)]));
    }

    private static Guid V5(Guid ns, string name)
    {
        // Independent reference implementation of RFC 9562 §5.5 to check ours against a published vector.
        var bytes = ns.ToByteArray(bigEndian: true).Concat(System.Text.Encoding.UTF8.GetBytes(name)).ToArray();
#pragma warning disable CA5350
        var hash = System.Security.Cryptography.SHA1.HashData(bytes);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0f) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
