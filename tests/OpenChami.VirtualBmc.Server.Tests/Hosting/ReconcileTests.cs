using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Hosting;

public sealed class ReconcileTests
{
    [Fact]
    public async Task DomainThatDriftedFromItsTemplate_IsNotServedAsUsable()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        // The first start defines the domains; it stays open so libvirt's test driver keeps them.
        await using var first = await NodeComposer.StartAsync(SiteLoader.Load(host).GetOrThrow(), Serilog.Core.Logger.None);
        Assert.True(first.State.Slots.Single(s => s.Name == "slot0").Health.Usable);

        var nodeType = Path.Combine(dir.Path, "dense-gpu-hsn-node.yaml");
        var text = File.ReadAllText(nodeType);
        // slot0's memory only: CPU pinning of the other slots does not move.
        var slot0Memory = text.IndexOf("sizeGiB: 128", StringComparison.Ordinal);
        File.WriteAllText(nodeType, text[..slot0Memory] + "sizeGiB: 120" + text[(slot0Memory + "sizeGiB: 128".Length)..]);
        await using var second = await NodeComposer.StartAsync(SiteLoader.Load(host).GetOrThrow(), Serilog.Core.Logger.None);

        var slot0 = second.State.Slots.Single(s => s.Name == "slot0");
        Assert.False(slot0.Health.Usable);
        Assert.Null(slot0.Runtime);
        var finding = Assert.Single(slot0.Health.Findings);
        Assert.Equal("DOMAIN_DRIFT", finding.Code);
        Assert.Contains("memory", finding.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(second.State.Slots.Single(s => s.Name == "slot1").Health.Usable);
    }

    [Fact]
    public async Task SerialLogDirectory_IsMadeAndRendered_AndSettingItOnDefinedDomainsIsNotDrift()
    {
        using var dir = new TempDirectory();
        var host = ServerTestSupport.WriteDemoCopy(dir, 8443);
        // The first start defines the domains without a console log; it stays open so libvirt's test driver keeps them.
        await using var first = await NodeComposer.StartAsync(SiteLoader.Load(host).GetOrThrow(), Serilog.Core.Logger.None);
        Assert.Null(NodeComposer.RenderOptions(first.State.Site.Host).SerialLogDirectory);

        File.WriteAllText(host, File.ReadAllText(host).Replace("  uri: test:///default", "  uri: test:///default\n  serialLogDirectory: console", StringComparison.Ordinal));
        var site = SiteLoader.Load(host).GetOrThrow();
        var console = Path.Combine(dir.Path, "console");
        Assert.Equal(console, NodeComposer.RenderOptions(site.Host).SerialLogDirectory);
        await using var second = await NodeComposer.StartAsync(site, Serilog.Core.Logger.None);

        Assert.True(Directory.Exists(console));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(console));
        foreach (var name in new[] { "slot0", "slot1" })
        {
            var slot = second.State.Slots.Single(s => s.Name == name);
            Assert.True(slot.Health.Usable, string.Join("; ", slot.Health.Findings.Select(f => f.Message)));
            Assert.NotNull(slot.Runtime);
        }
    }
}
