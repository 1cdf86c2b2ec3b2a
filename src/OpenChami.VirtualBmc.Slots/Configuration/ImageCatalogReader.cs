using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Images;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>
/// Reads an image catalog document (YAML, or JSON, which is YAML) through the same loader as the other configuration
/// files: syntax, unknown keys, the JSON Schema (schemas/image-catalog.schema.json), then duplicate names. Every
/// problem carries the catalog's file (or URL) with line and column. The adapters that fetch the text (local file,
/// http) call this; the parsing itself does no I/O.
/// </summary>
public static class ImageCatalogReader
{
    /// <summary>Reads a local catalog file; relative <c>path</c> entries are resolved against its directory.</summary>
    public static ConfigLoadResult<IReadOnlyList<CatalogImage>> LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message;
            return new ConfigLoadResult<IReadOnlyList<CatalogImage>>(null,
                [new ConfigProblem(SourceLocation.StartOf(path), ProblemCodes.FileNotFound, $"cannot read image catalog {path}: {reason}")]);
        }
        return Parse(path, text, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <param name="source">Names the document in messages: the file path, or the URL it was fetched from (without query).</param>
    /// <param name="text">The document.</param>
    /// <param name="pathBase">
    /// Directory that relative <c>path</c> entries are resolved against; null for a catalog fetched over http, where
    /// <c>path</c> is refused: a remote document must not make the service read host files.
    /// </param>
    public static ConfigLoadResult<IReadOnlyList<CatalogImage>> Parse(string source, string text, string? pathBase)
    {
        var problems = new List<ConfigProblem>();
        var document = YamlDocument.Parse(source, text, problems);
        if (document is null)
        {
            return new ConfigLoadResult<IReadOnlyList<CatalogImage>>(null, problems);
        }
        SchemaCheck.ImageCatalog.CheckUnknownKeys(document, problems);
        SchemaCheck.ImageCatalog.Check(document, problems);
        if (problems.Count > 0)
        {
            return new ConfigLoadResult<IReadOnlyList<CatalogImage>>(null, problems);
        }
        var images = new List<CatalogImage>();
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var entry in new TreeReader(document, document.Root, "")["images"].Items())
        {
            var name = entry.String("name")!;
            if (seen.TryGetValue(name, out var first))
            {
                problems.Add(new ConfigProblem(entry["name"].Where, ProblemCodes.DuplicateName, $"image '{name}' is listed twice (first at line {first.Line})"));
                continue;
            }
            seen[name] = entry["name"].Where;
            var sourceUri = ReadSource(entry, pathBase, problems);
            if (sourceUri is null)
            {
                continue;
            }
            images.Add(new CatalogImage(
                name,
                sourceUri,
                entry.String("format") == "qcow2" ? DiskImageFormat.Qcow2 : DiskImageFormat.Raw,
                entry.String("sha256")!.ToLowerInvariant(),
                entry.Where.ToString()));
        }
        return problems.Count > 0
            ? new ConfigLoadResult<IReadOnlyList<CatalogImage>>(null, problems)
            : new ConfigLoadResult<IReadOnlyList<CatalogImage>>(images, problems);
    }

    private static Uri? ReadSource(TreeReader entry, string? pathBase, List<ConfigProblem> problems)
    {
        // The schema says oneOf url/path too; said here again so the message is certain and names the entry.
        if (entry.Has("url") == entry.Has("path"))
        {
            problems.Add(new ConfigProblem(entry.Where, entry.Has("url") ? ProblemCodes.InvalidValue : ProblemCodes.MissingKey,
                $"image '{entry.String("name")}' needs exactly one of 'url' (http/https) and 'path' (a local file)"));
            return null;
        }
        if (entry.String("url") is { } url)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" && parsed.Host.Length > 0)
            {
                return parsed;
            }
            problems.Add(new ConfigProblem(entry["url"].Where, ProblemCodes.InvalidValue, $"'{url}' is not an absolute http(s) URL"));
            return null;
        }
        var path = entry.String("path")!;
        if (pathBase is null)
        {
            problems.Add(new ConfigProblem(entry.KeyWhere("path"), ProblemCodes.InvalidValue,
                "a catalog fetched over http may not name local files ('path'); give the image a 'url'"));
            return null;
        }
        return new Uri(Path.GetFullPath(Path.Combine(pathBase, path)));
    }
}
