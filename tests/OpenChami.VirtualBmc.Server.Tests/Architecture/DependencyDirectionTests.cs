using System.Reflection;
using System.Xml.Linq;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Architecture;

/// <summary>
/// Dependencies point one way: the Redfish protocol and the slot core depend on nothing else in the solution;
/// the libvirt and host adapters depend only on the core; only the server composes them.
/// </summary>
public sealed class DependencyDirectionTests
{
    private const string Prefix = "OpenChami.VirtualBmc.";

    public static TheoryData<string, string[]> Allowed => new()
    {
        { "OpenChami.VirtualBmc.Redfish", [] },
        { "OpenChami.VirtualBmc.Slots", [] },
        { "OpenChami.VirtualBmc.Host", ["OpenChami.VirtualBmc.Slots"] },
        { "OpenChami.VirtualBmc.Libvirt", ["OpenChami.VirtualBmc.Slots"] },
        { "OpenChami.VirtualBmc.Media", ["OpenChami.VirtualBmc.Slots"] },
        { "OpenChami.VirtualBmc.Report", ["OpenChami.VirtualBmc.Slots"] },
        { "OpenChami.VirtualBmc.Console", ["OpenChami.VirtualBmc.Slots"] },
        { "OpenChami.VirtualBmc.Server", ["OpenChami.VirtualBmc.Redfish", "OpenChami.VirtualBmc.Slots", "OpenChami.VirtualBmc.Host", "OpenChami.VirtualBmc.Libvirt", "OpenChami.VirtualBmc.Media", "OpenChami.VirtualBmc.Report", "OpenChami.VirtualBmc.Console"] },
    };

    [Theory]
    [MemberData(nameof(Allowed))]
    public void ProjectReferences_PointOnlyWhereAllowed(string project, string[] allowed)
    {
        var csproj = XDocument.Load(Path.Combine(RepoPaths.Root, "src", project, project + ".csproj"));
        var referenced = csproj.Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value))
            .ToList();
        Assert.Empty(referenced.Except(allowed));
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void CompiledAssemblies_ReferenceOnlyWhatIsAllowed(string project, string[] allowed)
    {
        var assemblyName = project == "OpenChami.VirtualBmc.Server" ? "openchami-vbmc" : project;
        var references = Assembly.Load(assemblyName).GetReferencedAssemblies().Select(a => a.Name!).ToList();
        var solutionRefs = references.Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) || n == "openchami-vbmc");
        Assert.Empty(solutionRefs.Except(allowed));
    }

    [Theory]
    [InlineData("OpenChami.VirtualBmc.Redfish")]
    [InlineData("OpenChami.VirtualBmc.Slots")]
    [InlineData("OpenChami.VirtualBmc.Host")]
    [InlineData("OpenChami.VirtualBmc.Libvirt")]
    [InlineData("OpenChami.VirtualBmc.Media")]
    [InlineData("OpenChami.VirtualBmc.Report")]
    [InlineData("OpenChami.VirtualBmc.Console")]
    public void OnlyTheServer_SeesAspNetCore(string project)
    {
        var references = Assembly.Load(project).GetReferencedAssemblies().Select(a => a.Name!);
        Assert.DoesNotContain(references, n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        var csproj = File.ReadAllText(Path.Combine(RepoPaths.Root, "src", project, project + ".csproj"));
        Assert.DoesNotContain("Microsoft.NET.Sdk.Web", csproj, StringComparison.Ordinal);
        Assert.DoesNotContain("Microsoft.AspNetCore.App", csproj, StringComparison.Ordinal);
    }

    [Fact]
    public void EverySourceProject_IsCoveredByTheRules()
    {
        var projects = Directory.GetDirectories(Path.Combine(RepoPaths.Root, "src")).Select(Path.GetFileName).Order();
        Assert.Equal(Allowed.Select(row => (string)row[0]).Order(), projects);
    }
}
