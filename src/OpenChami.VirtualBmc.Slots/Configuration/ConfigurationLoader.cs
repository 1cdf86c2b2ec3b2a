using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Identity;
using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.Slots.Configuration;

/// <summary>The outcome of loading: a usable configuration, or every problem found (never both).</summary>
public sealed record ConfigLoadResult<T>(T? Value, IReadOnlyList<ConfigProblem> Problems) where T : class
{
    public bool Succeeded => Value is not null && Problems.Count == 0;

    public T GetOrThrow() => Succeeded ? Value! : throw new ConfigException(Problems);
}

/// <summary>
/// Loads the host file and the node type it names. Each file goes through YAML parsing, the JSON Schema, an
/// unknown-key walk and the semantic rules; everything wrong in both files is reported together.
/// </summary>
public static class ConfigurationLoader
{
    public static ConfigLoadResult<NodeType> LoadNodeType(string path)
    {
        var problems = new List<ConfigProblem>();
        var nodeType = LoadNodeType(path, problems);
        return new ConfigLoadResult<NodeType>(problems.Count == 0 ? nodeType : null, problems);
    }

    public static ConfigLoadResult<SiteConfiguration> Load(string hostFile)
    {
        var problems = new List<ConfigProblem>();
        var document = ReadDocument(hostFile, SchemaCheck.Host, problems);
        if (document is null)
        {
            return new ConfigLoadResult<SiteConfiguration>(null, problems);
        }
        var root = new TreeReader(document, document.Root, "");
        var hostClean = problems.Count == 0;

        // The node type is loaded even when the host file has problems, so one run reports both files.
        NodeType? nodeType = null;
        string? nodeTypeFile = null;
        if (root.String("nodeType") is { Length: > 0 } relative)
        {
            nodeTypeFile = Path.Combine(Path.GetDirectoryName(hostFile) ?? ".", relative);
            nodeType = LoadNodeType(nodeTypeFile, problems, document.At("/nodeType"));
        }
        // Likewise the inventory export: its problems belong in the same run.
        DeviceInventoryExport? inventoryExport = null;
        if (root.String("inventoryExport") is { Length: > 0 } exportRelative)
        {
            var exportFile = Path.Combine(Path.GetDirectoryName(hostFile) ?? ".", exportRelative);
            inventoryExport = LoadInventoryExport(exportFile, problems, document.At("/inventoryExport"));
        }
        if (!hostClean || nodeType is null || nodeTypeFile is null)
        {
            return new ConfigLoadResult<SiteConfiguration>(null, problems);
        }

        var host = ResolvePaths(HostConfigReader.Read(root, problems), Path.GetDirectoryName(Path.GetFullPath(hostFile))!);
        problems.AddRange(new HostConfigRules(nodeType).Validate(host).ToProblems(host.Where));
        if (problems.Count > 0)
        {
            return new ConfigLoadResult<SiteConfiguration>(null, problems);
        }

        var slots = nodeType.Slots.Select(template => BuildSlot(host, template, host.Slots.First(e => e.Name == template.Name))).ToList();
        IdentityRules.Check(slots, problems);
        return problems.Count > 0
            ? new ConfigLoadResult<SiteConfiguration>(null, problems)
            : new ConfigLoadResult<SiteConfiguration>(new SiteConfiguration(hostFile, nodeTypeFile, host, nodeType, slots, inventoryExport), problems);
    }

    /// <summary>Paths in the host file are relative to the file, so a config directory can be moved as a whole.</summary>
    /// <summary>Loads an accounts file (schema-checked, user names unique).</summary>
    public static ConfigLoadResult<IReadOnlyList<Account>> LoadAccounts(string path)
    {
        var problems = new List<ConfigProblem>();
        var document = ReadDocument(path, SchemaCheck.Accounts, problems);
        if (document is null || problems.Count > 0)
        {
            return new ConfigLoadResult<IReadOnlyList<Account>>(null, problems);
        }
        var accounts = new TreeReader(document, document.Root, "")["accounts"].Items().Select(a => new Account(
            a.String("userName")!,
            Enum.Parse<AccountRole>(a.String("role")!),
            a.String("passwordHash")!,
            a.Bool("enabled") ?? true,
            a.Where,
            a.Bool("passwordChangeRequired") ?? false)).ToList();
        foreach (var group in accounts.GroupBy(a => a.UserName, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add(new ConfigProblem(group.Skip(1).First().Where, ProblemCodes.DuplicateName,
                $"account '{group.Key}' is defined twice (first at line {group.First().Where.Line}); user names are unique regardless of case"));
        }
        return new ConfigLoadResult<IReadOnlyList<Account>>(problems.Count == 0 ? accounts : null, problems);
    }

    /// <summary>The accounts changed over Redfish (<see cref="AccountChanges"/>); none when the file does not exist.</summary>
    public static ConfigLoadResult<IReadOnlyList<AccountChange>> LoadAccountChanges(string path)
    {
        if (!File.Exists(path))
        {
            return new ConfigLoadResult<IReadOnlyList<AccountChange>>([], []);
        }
        var problems = new List<ConfigProblem>();
        var document = ReadDocument(path, SchemaCheck.AccountChanges, problems);
        if (document is null || problems.Count > 0)
        {
            return new ConfigLoadResult<IReadOnlyList<AccountChange>>(null, problems);
        }
        var changes = new TreeReader(document, document.Root, "")["changes"].Items().Select(c => new AccountChange(
            c.String("userName")!,
            c.String("basedOn")!,
            c.String("changedAt") ?? "",
            c.Bool("deleted") == true
                ? null
                : new Account(c.String("userName")!, Enum.Parse<AccountRole>(c.String("role")!), c.String("passwordHash")!, c.Bool("enabled") ?? true,
                    c.Where, c.Bool("passwordChangeRequired") ?? false))).ToList();
        foreach (var group in changes.GroupBy(c => c.UserName, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add(new ConfigProblem(document.At("/changes"), ProblemCodes.DuplicateName,
                $"account '{group.Key}' is changed twice; each account has at most one entry"));
        }
        return new ConfigLoadResult<IReadOnlyList<AccountChange>>(problems.Count == 0 ? changes : null, problems);
    }

    private static HostConfig ResolvePaths(HostConfig host, string directory) => host with
    {
        SysfsRoot = Path.GetFullPath(Path.Combine(directory, host.SysfsRoot)),
        StateDirectory = Path.GetFullPath(Path.Combine(directory, host.StateDirectory)),
        InventoryExport = host.InventoryExport is null ? null : Path.GetFullPath(Path.Combine(directory, host.InventoryExport)),
        SerialLogDirectory = host.SerialLogDirectory is null ? null : Path.GetFullPath(Path.Combine(directory, host.SerialLogDirectory)),
        AccountsFile = host.AccountsFile is null ? null : Path.GetFullPath(Path.Combine(directory, host.AccountsFile)),
        Tls = host.Tls is null ? null : host.Tls with
        {
            Certificate = Path.GetFullPath(Path.Combine(directory, host.Tls.Certificate)),
            Key = Path.GetFullPath(Path.Combine(directory, host.Tls.Key)),
        },
        Media = host.Media with { CacheDirectory = Path.GetFullPath(Path.Combine(directory, host.Media.CacheDirectory)) },
        Security = host.Security with { AuditLog = Path.GetFullPath(Path.Combine(directory, host.Security.AuditLog)) },
        ImageCatalog = host.ImageCatalog is null || host.ImageCatalog.Contains("://", StringComparison.Ordinal)
            ? host.ImageCatalog
            : Path.GetFullPath(Path.Combine(directory, host.ImageCatalog)),
    };

    private static Slot BuildSlot(HostConfig host, SlotTemplate template, HostSlot entry)
    {
        var identity = IdentityDeriver.Derive(host.HostId, template, entry);
        var metadataUrl = entry.MetadataUrl ?? host.MetadataUrl;
        return new Slot(
            template.Name,
            template,
            entry,
            identity,
            // A host entry's image: "" makes that slot diskless even when its template names an image.
            entry.Image is { } image ? (image.Length == 0 ? null : image) : template.Image,
            metadataUrl is null ? null : new CloudInitDatasource(metadataUrl, identity.InstanceId));
    }

    private static NodeType? LoadNodeType(string path, List<ConfigProblem> problems, SourceLocation? referencedFrom = null)
    {
        var before = problems.Count;
        var document = ReadDocument(path, SchemaCheck.NodeType, problems, referencedFrom);
        if (document is null || problems.Count > before)
        {
            return null;
        }
        var nodeType = NodeTypeReader.Read(new TreeReader(document, document.Root, ""));
        problems.AddRange(new NodeTypeRules().Validate(nodeType).ToProblems(nodeType.Where));
        return problems.Count > before ? null : nodeType;
    }

    /// <summary>The export is JSON, which YAML reads with marks; schema, then the reader's own checks.</summary>
    private static DeviceInventoryExport? LoadInventoryExport(string path, List<ConfigProblem> problems, SourceLocation referencedFrom)
    {
        var before = problems.Count;
        var document = ReadDocument(path, SchemaCheck.InventoryExport, problems, referencedFrom);
        if (document is null || problems.Count > before)
        {
            return null;
        }
        var export = InventoryExportReader.Read(path, new TreeReader(document, document.Root, ""), problems);
        return problems.Count > before ? null : export;
    }

    private static YamlDocument? ReadDocument(string path, SchemaCheck schema, List<ConfigProblem> problems, SourceLocation? referencedFrom = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var where = referencedFrom ?? SourceLocation.StartOf(path);
            var reason = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message;
            problems.Add(new ConfigProblem(where, ProblemCodes.FileNotFound, $"cannot read {path}: {reason}"));
            return null;
        }
        var document = YamlDocument.Parse(path, text, problems);
        if (document is null)
        {
            return null;
        }
        schema.CheckUnknownKeys(document, problems);
        schema.Check(document, problems);
        return document;
    }
}
