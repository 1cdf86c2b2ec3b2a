using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.Slots.Validation;
using OpenChami.VirtualBmc.TestSupport;
using OpenChami.VirtualBmc.TestSupport.Sysfs;

namespace OpenChami.VirtualBmc.Host.Tests.Validation;

/// <summary>Helpers: the demo configuration pointed at a built tree, config edits, and exact finding assertions.</summary>
internal static class ValidationFixture
{
    private static readonly SourceLocation Here = SourceLocation.StartOf("test");

    /// <summary>examples/demo/host.yaml through the real loader, with SysfsRoot moved to <paramref name="sysfsRoot"/>.</summary>
    public static SiteConfiguration Demo(string sysfsRoot, bool allowManagedDetach = false)
    {
        var config = ConfigurationLoader.Load(Path.Combine(RepoPaths.Examples, "demo", "host.yaml")).GetOrThrow();
        return config with { Host = config.Host with { SysfsRoot = sysfsRoot, AllowManagedDetach = allowManagedDetach } };
    }

    /// <summary>
    /// The demo configuration with examples/demo/inventory-export.json wired in (after <paramref name="edit"/> of its
    /// text), loaded by the real loader from <c>config/</c> under <paramref name="temp"/>, SysfsRoot moved to <paramref name="sysfsRoot"/>.
    /// </summary>
    public static SiteConfiguration DemoWithExport(TempDirectory temp, string sysfsRoot, Func<string, string>? edit = null)
    {
        var demo = Path.Combine(RepoPaths.Examples, "demo");
        var export = File.ReadAllText(Path.Combine(demo, "inventory-export.json"));
        temp.Write("config/inventory-export.json", edit is null ? export : edit(export));
        var host = temp.Write("config/host.yaml", File.ReadAllText(Path.Combine(demo, "host.yaml")).Replace(
            "nodeType: dense-gpu-hsn-node.yaml",
            $"nodeType: {Path.Combine(demo, "dense-gpu-hsn-node.yaml")}\ninventoryExport: inventory-export.json",
            StringComparison.Ordinal));
        var config = ConfigurationLoader.Load(host).GetOrThrow();
        return config with { Host = config.Host with { SysfsRoot = sysfsRoot } };
    }

    public static ValidationReport Validate(SiteConfiguration config, params ISlotCheck[] extra) =>
        BindingValidator.Validate(config, new SysfsInventorySource(config.Host.SysfsRoot).Read(), extra);

    public static ValidationReport BuildAndValidate(TempDirectory temp, SysfsTreeBuilder tree, Func<SiteConfiguration, SiteConfiguration>? edit = null) =>
        Validate((edit ?? (c => c))(Demo(tree.Write(temp.Path))));

    public static SiteConfiguration WithTemplate(this SiteConfiguration config, string slot, Func<SlotTemplate, SlotTemplate> change) =>
        config with { Slots = [.. config.Slots.Select(s => s.Name == slot ? s with { Template = change(s.Template) } : s)] };

    public static SiteConfiguration WithSelector(this SiteConfiguration config, string slot, string device, DeviceSelector selector) =>
        config.WithTemplate(slot, t => t with
        {
            Devices = [.. t.Devices.Select(d => d.Name == device ? d with { Selector = selector } : d)],
        });

    public static DeviceSelector Address(string bdf) => new(PciAddress.Parse(bdf), null, null, null, Here);

    public static DeviceSelector Label(string label, string? bdf = null) => new(bdf is null ? null : PciAddress.Parse(bdf), label, null, null, Here);

    public static DeviceSelector Vf(string pf, int index) => new(null, null, pf, index, Here);

    /// <summary>The slot's findings are exactly these (code, device, expected, found), in order.</summary>
    public static void AssertFindings(ValidationReport report, string slot, params (string Code, string? Device, string Expected, string Found)[] expected)
    {
        var actual = report.For(slot) ?? throw new Xunit.Sdk.XunitException($"no report for {slot}");
        Assert.All(actual.Findings, f => Assert.Equal(slot, f.Slot));
        Assert.Equal(
            expected.Select(e => $"{e.Code} | {e.Device} | {e.Expected} | {e.Found}"),
            actual.Findings.Select(f => $"{f.Code} | {f.Device} | {f.Expected} | {f.Found}"));
    }

    public static void AssertClean(ValidationReport report, string slot) => AssertFindings(report, slot);
}
