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
}
