namespace OpenChami.VirtualBmc.TestSupport;

/// <summary>Finds the repository (and the shared material beside it) from a test's working directory.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Examples => Path.Combine(Root, "examples");

    public static string Schemas => Path.Combine(Root, "schemas");

    /// <summary>The DMTF bundle: REDFISH_SCHEMA_DIR, else ../shared/redfish-schemas beside the repo.</summary>
    public static string RedfishSchemaDir =>
        Environment.GetEnvironmentVariable("REDFISH_SCHEMA_DIR") is { Length: > 0 } dir
            ? dir
            : Path.GetFullPath(Path.Combine(Root, "..", "shared", "redfish-schemas"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OpenChami.VirtualBmc.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (OpenChami.VirtualBmc.sln) above " + AppContext.BaseDirectory);
    }
}
