using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace OpenChami.VirtualBmc.Slots.Images;

/// <summary>What cloud-init accepts as user-data, checked when the node type loads rather than in a booting guest.</summary>
internal static class CloudConfig
{
    public const string Header = "#cloud-config";

    /// <summary>
    /// First-line markers by which cloud-init recognises a user-data part (cloud-init's "User-data formats"); anything
    /// else is logged as unhandled in the guest and ignored. Gzip is left out: it cannot be written as YAML text.
    /// </summary>
    private static readonly string[] Headers =
        ["#cloud-config", "#!", "#include", "#cloud-boothook", "#part-handler", "#upstart-job", "## template: jinja"];

    /// <summary>Null when cloud-init can use <paramref name="userData"/>; otherwise why not.</summary>
    public static string? Problem(string userData)
    {
        if (userData.Length == 0)
        {
            return null; // an empty user-data file is a valid "no user data"
        }
        var firstLine = userData.Split('\n', 2)[0].TrimEnd('\r');
        if (!Headers.Any(h => firstLine.StartsWith(h, StringComparison.Ordinal))
            && !firstLine.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))
        {
            return $"does not start with a cloud-init header ({string.Join(", ", Headers)} or a MIME Content-Type:), so cloud-init would ignore it";
        }
        if (firstLine.TrimEnd() != Header)
        {
            return null; // scripts, includes, MIME: not YAML
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(userData));
        }
        catch (YamlException e)
        {
            var message = e.InnerException?.Message ?? e.Message;
            var marks = message.IndexOf("): ", StringComparison.Ordinal); // YamlDotNet's own "(Line: …)" prefix
            return $"is {Header} but is not YAML at its line {e.Start.Line}: {(message.StartsWith("(Line", StringComparison.Ordinal) && marks > 0 ? message[(marks + 3)..] : message)}";
        }
        return stream.Documents.Count switch
        {
            0 => null,
            1 when stream.Documents[0].RootNode is YamlMappingNode => null,
            1 => $"is {Header} but its body is not a mapping of keys to values",
            _ => $"is {Header} but holds more than one YAML document",
        };
    }
}
