using System.Net;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Protocol;

/// <summary>Error answers: statuses from the generator's table only, and no representation headers on them.</summary>
public sealed class ErrorStatusTests(RunningServer server) : IClassFixture<RunningServer>
{
    [Fact]
    public async Task A_HEAD_that_fails_carries_no_ETag()
    {
        var (missing, _) = await server.SendAsync(HttpMethod.Head, "/redfish/v1/Systems/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Null(missing.Headers.ETag);

        var (found, _) = await server.SendAsync(HttpMethod.Head, "/redfish/v1/Systems/slot0");
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.NotNull(found.Headers.ETag);
    }

    [Fact]
    public void No_handler_overrides_the_status_of_a_registry_message()
    {
        // Registries/generate.py's table is the one source of each message's status: a use that needs another status
        // needs another message (or leads with one), never `with { HttpStatus = … }`.
        var overrides = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => System.Text.RegularExpressions.Regex.IsMatch(x.line, @"with\s*\{[^}]*HttpStatus\s*="))
            .Select(x => $"{Path.GetRelativePath(RepoPaths.Root, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(overrides.Count == 0, string.Join("\n", overrides));
    }
}
