using Microsoft.Extensions.Configuration;

namespace OpenChami.VirtualBmc.Server.Tests.Hosting;

/// <summary>
/// The host file is the only configuration: the ASP.NET Core application reads no appsettings*.json from the working
/// directory and watches no file (a recursive inotify watch of the working directory's whole tree, before).
/// </summary>
public sealed class ConfigurationSourceTests(RunningServer server) : IClassFixture<RunningServer>
{
    [Fact]
    public void The_application_has_no_file_or_environment_configuration_source()
    {
        var providers = ((IConfigurationRoot)server.App.Configuration).Providers.ToList();
        Assert.DoesNotContain(providers, p => p is FileConfigurationProvider);
        Assert.DoesNotContain(providers, p => p.GetType().Name.Contains("EnvironmentVariables", StringComparison.Ordinal));
    }
}
