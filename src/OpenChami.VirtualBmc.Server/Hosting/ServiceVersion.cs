using System.Reflection;

namespace OpenChami.VirtualBmc.Server.Hosting;

/// <summary>This build's version (the assembly's informational version, without the commit suffix).</summary>
public static class ServiceVersion
{
    public static string Text { get; } =
        typeof(ServiceVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
