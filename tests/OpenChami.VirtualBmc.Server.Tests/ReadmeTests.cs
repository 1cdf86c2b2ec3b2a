using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests;

/// <summary>The README's curl lines are the ones tests/clients runs against a live server, word for word.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void ReadmeCurlLines_AreTheTestedOnes()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var marker = readme.IndexOf("<!-- These lines are run as written by tests/clients", StringComparison.Ordinal);
        Assert.True(marker > 0, "README lost the marker before its curl block");
        var block = readme[readme.IndexOf("```sh\n", marker, StringComparison.Ordinal)..];
        block = block[6..block.IndexOf("\n```", StringComparison.Ordinal)];
        var tested = File.ReadAllLines(Path.Combine(RepoPaths.Root, "tests", "clients", "readme-curl-examples.sh"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'));
        Assert.Equal(tested, block.Split('\n'));
    }
}
