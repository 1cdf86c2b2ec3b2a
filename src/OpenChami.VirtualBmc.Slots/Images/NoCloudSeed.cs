namespace OpenChami.VirtualBmc.Slots.Images;

/// <summary>
/// The files of a local NoCloud seed, for sites without OpenCHAMI's cloud-init service (template
/// <c>cloudInit.localSeed: true</c>). cloud-init finds the seed by its volume label <c>cidata</c>.
/// </summary>
/// <param name="MetaData">Contents of <c>meta-data</c> (YAML or JSON: instance-id, local-hostname).</param>
/// <param name="UserData">Contents of <c>user-data</c>; cloud-init needs the file even when empty.</param>
/// <param name="NetworkConfig">Contents of <c>network-config</c> (version 2), or null to let the guest use DHCP.</param>
public sealed record NoCloudSeed(string MetaData, string UserData, string? NetworkConfig)
{
    /// <summary>The files under the names cloud-init looks for; network-config only when there is one.</summary>
    public IReadOnlyList<(string Name, string Content)> Files =>
        NetworkConfig is { } network
            ? [("meta-data", MetaData), ("user-data", UserData), ("network-config", network)]
            : [("meta-data", MetaData), ("user-data", UserData)];
}

/// <summary>Writes a seed image (ISO 9660, label cidata). The write is atomic: a reader never sees half a seed.</summary>
public interface ISeedImageWriter
{
    void Write(string path, NoCloudSeed seed);
}
