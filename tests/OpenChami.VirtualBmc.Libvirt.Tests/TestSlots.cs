using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Libvirt.Tests;

/// <summary>The demo configuration (examples/demo) and slots derived from it with names and UUIDs unique to one test.</summary>
internal static class TestSlots
{
    private static readonly Lazy<SiteConfiguration> Demo = new(() =>
        ConfigurationLoader.Load(Path.Combine(RepoPaths.Examples, "demo", "host.yaml")).GetOrThrow());

    public static SiteConfiguration DemoSite => Demo.Value;

    /// <summary>The test driver wants type='test'; everything else in the XML is what QEMU gets.</summary>
    public static DomainRenderOptions Options(string prefix) => new("test", DemoSite.Host.HostId, ManagedHostdevs: true, NamePrefix: prefix);

    /// <summary>A unique domain name prefix, so tests sharing test:///default never see each other's domains.</summary>
    public static string UniquePrefix() => $"t{Guid.NewGuid():N}"[..13] + "-";

    /// <summary>Demo slot <paramref name="index"/> with a fresh UUID (the name stays; the prefix makes the domain unique).</summary>
    public static Slot Fresh(int index = 0)
    {
        var slot = DemoSite.Slots[index];
        return slot with { Identity = slot.Identity with { Uuid = Guid.NewGuid() } };
    }

    /// <summary>Fixed, made-up host placement: CPUs 0..cores-1 of the NUMA node (+64 for node 1) and per-device addresses.</summary>
    public static SlotPlacement Placement(Slot slot)
    {
        var first = (slot.Template.Cpu.NumaNode ?? 0) * 64 + (slot.Name.Length > 0 ? (slot.Name[^1] - '0') % 2 * 24 : 0);
        var cpus = Enumerable.Range(first, slot.Template.Cpu.Cores).ToList();
        var devices = new Dictionary<string, PciAddress>(StringComparer.Ordinal);
        var vf = 1;
        foreach (var device in slot.Template.Devices)
        {
            devices[device.Name] = device.Selector.PciAddress
                ?? (device.Selector.PhysicalLabel is { } label ? DemoSite.NodeType.PhysicalLabels[label] : new PciAddress(0, 0x3c, 0, vf++));
        }
        return new SlotPlacement(cpus, devices);
    }
}

/// <summary>Polls until <paramref name="condition"/> holds (events arrive asynchronously); fails after the timeout.</summary>
internal static class Eventually
{
    public static async Task True(Func<bool> condition, string what, int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(10);
        }
    }
}
