using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Slots.Tests.Configuration;

/// <summary>
/// The inventory export as the loader reads it: a good file, then one mistake per case, each reported at the line and
/// column of the '⟦' marker (removed before loading), as <see cref="BrokenConfigTests"/> does for the YAML files.
/// </summary>
public sealed class InventoryExportConfigTests
{
    private const string Marker = BrokenConfigTests.Marker;

    private const string ValidExport = """
        {
          "version": 1,
          "hostId": "x1000c0s0b0n0",
          "generatedAt": "2026-11-20T10:00:00Z",
          "source": "fru-tracker",
          "devices": [
            {"label": "GPU0", "pciAddress": "0000:18:00.0", "serialNumber": "1654923000001", "xname": "x1000c0s0b0n0a0", "location": "SXM1"},
            {"label": "GPU1", "serialNumber": "1654923000002", "properties": {"redfish_uri": "/Systems/n0/Accel/1"}}
          ]
        }
        """;

    private static (string Host, string Export) Write(TempDirectory dir, string export)
    {
        dir.Write("node.yaml", BrokenConfigTests.ValidNodeType);
        var host = dir.Write("host.yaml", BrokenConfigTests.ValidHost.Replace("nodeType: node.yaml", "nodeType: node.yaml\ninventoryExport: inventory.json", StringComparison.Ordinal));
        return (host, dir.Write("inventory.json", export));
    }

    [Fact]
    public void Good_export_is_read_with_every_field_and_where_each_entry_stands()
    {
        using var dir = new TempDirectory();
        var (host, exportFile) = Write(dir, ValidExport);

        var result = ConfigurationLoader.Load(host);

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var export = result.Value!.InventoryExport!;
        Assert.Equal((exportFile, "x1000c0s0b0n0", "fru-tracker"), (export.File, export.HostId, export.Source));
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.Zero), export.GeneratedAt);
        Assert.Equal("the inventory export (fru-tracker, 2026-11-20T10:00:00Z)", export.Describe());
        Assert.Equal((3, 13), (export.Where.Line, export.Where.Column));
        Assert.Collection(export.Devices,
            gpu0 =>
            {
                Assert.Equal(("GPU0", PciAddress.Parse("0000:18:00.0"), "1654923000001"), (gpu0.Label, gpu0.PciAddress, gpu0.SerialNumber));
                Assert.Equal(("x1000c0s0b0n0a0", "SXM1"), (gpu0.Xname, gpu0.Location));
                Assert.Equal((7, 5), (gpu0.Where.Line, gpu0.Where.Column));
            },
            gpu1 =>
            {
                Assert.Equal(("GPU1", (PciAddress?)null, "1654923000002"), (gpu1.Label, gpu1.PciAddress, gpu1.SerialNumber));
                Assert.Equal(8, gpu1.Where.Line);
            });
        Assert.Same(export.Devices[1], export.FindByLabel("GPU1"));
        Assert.Same(export.Devices[0], export.FindByAddress(PciAddress.Parse("0000:18:00.0")));
        Assert.Equal(Path.Combine(dir.Path, "inventory.json"), result.Value.Host.InventoryExport);
    }

    [Fact]
    public void Without_the_key_there_is_no_export()
    {
        using var dir = new TempDirectory();
        dir.Write("node.yaml", BrokenConfigTests.ValidNodeType);

        var result = ConfigurationLoader.Load(dir.Write("host.yaml", BrokenConfigTests.ValidHost));

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        Assert.Null(result.Value!.InventoryExport);
        Assert.Null(result.Value.Host.InventoryExport);
    }

    [Fact]
    public void Tab_indented_json_is_json_not_yaml_indentation()
    {
        using var dir = new TempDirectory();
        var (host, _) = Write(dir, ValidExport.Replace("\n  ", "\n\t", StringComparison.Ordinal).Replace("\n    ", "\n\t\t", StringComparison.Ordinal));

        var result = ConfigurationLoader.Load(host);

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        Assert.Equal(2, result.Value!.InventoryExport!.Devices.Count);
    }

    [Fact]
    public void The_demo_example_export_loads_beside_the_demo_node_type()
    {
        using var dir = new TempDirectory();
        var demo = Path.Combine(RepoPaths.Examples, "demo");
        var host = dir.Write("host.yaml", File.ReadAllText(Path.Combine(demo, "host.yaml"))
            .Replace("nodeType: dense-gpu-hsn-node.yaml", $"nodeType: {Path.Combine(demo, "dense-gpu-hsn-node.yaml")}\ninventoryExport: {Path.Combine(demo, "inventory-export.json")}", StringComparison.Ordinal));

        var result = ConfigurationLoader.Load(host);

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        var export = result.Value!.InventoryExport!;
        Assert.Equal(result.Value.Host.HostId, export.HostId);
        // Every label the demo node type maps, the export maps to the same address.
        Assert.All(result.Value.NodeType.PhysicalLabels, l => Assert.Equal(l.Value, export.FindByLabel(l.Key)?.PciAddress));
    }

    public static TheoryData<string, string, string, string, string> Cases => new()
    {
        // find, replace (with marker), expected code, expected message fragment, case name
        { "\"serialNumber\": \"1654923000002\"", $"{Marker}\"serialNumbr\": \"1654923000002\"", ProblemCodes.UnknownKey, "unknown key 'serialNumbr' (did you mean 'serialNumber'?)", "typo in a device key" },
        { "\"hostId\"", $"{Marker}\"hostID\"", ProblemCodes.UnknownKey, "unknown key 'hostID' (did you mean 'hostId'?)", "typo in a top-level key" },
        { "{\"label\": \"GPU1\", ", $"{Marker}{{", ProblemCodes.MissingKey, "missing key 'label' in devices[1]", "device without a label" },
        { "\"pciAddress\": \"0000:18:00.0\"", $"\"pciAddress\": {Marker}\"18:00.0\"", ProblemCodes.InvalidValue, "'pciAddress' is '18:00.0' (text), which is not of the expected form (domain:bus:device.function", "short PCI address" },
        { "\"version\": 1", $"\"version\": {Marker}2", ProblemCodes.InvalidValue, "'version' is 2 (a number); allowed values are 1", "unknown format version" },
        { "\"hostId\": \"x1000c0s0b0n0\"", $"\"hostId\": {Marker}\"x1000 c0s0\"", ProblemCodes.InvalidValue, "'hostId' is 'x1000 c0s0' (text)", "host id with a space" },
        { "\"generatedAt\": \"2026-11-20T10:00:00Z\"", $"\"generatedAt\": {Marker}\"2026-13-20T10:00:00Z\"", ProblemCodes.InvalidValue, "'generatedAt' is '2026-13-20T10:00:00Z', which is not a date and time", "month 13" },
        { "\"generatedAt\": \"2026-11-20T10:00:00Z\"", $"\"generatedAt\": {Marker}\"yesterday\"", ProblemCodes.InvalidValue, "'generatedAt' is 'yesterday' (text), which is not of the expected form (When the export was made, RFC 3339", "not a timestamp" },
        { "{\"label\": \"GPU1\"", $"{{\"label\": {Marker}\"GPU0\"", ProblemCodes.DuplicateName, "label 'GPU0' is listed twice (first at line 7)", "one label twice" },
        { "\"serialNumber\": \"1654923000002\"", $"\"pciAddress\": {Marker}\"0000:18:00.0\", \"serialNumber\": \"1654923000002\"", ProblemCodes.DuplicateName, "pciAddress '0000:18:00.0' is listed twice (first at line 7)", "one address twice" },
        { "\"serialNumber\": \"1654923000002\"", $"\"serialNumber\": {Marker}\"1654923000001\"", ProblemCodes.DuplicateName, "serialNumber '1654923000001' is listed twice", "one serial twice" },
        { "\"serialNumber\": \"1654923000002\"", $"\"serialNumber\": {Marker}\"1654923000002 \"", ProblemCodes.InvalidValue, "which is not of the expected form (printable ASCII, at most 64 characters, no leading or trailing space)", "serial with a trailing space" },
        { "\"source\": \"fru-tracker\"", $"\"source\": \"fru-tracker\", {Marker}\"source\": \"smd\"", ProblemCodes.DuplicateKey, "", "key written twice" },
        { "\"source\": \"fru-tracker\",", $"\"source\": \"fru-tracker\",{Marker},", ProblemCodes.YamlSyntax, "", "not JSON" },
        { "\"source\": \"fru-tracker\"", $"\"source\": {Marker}[\"fru-tracker\"]", ProblemCodes.WrongType, "'source' must be text, not a list", "source as a list" },
        { "\"xname\": \"x1000c0s0b0n0a0\"", $"\"xname\": {Marker}\"X1000-a0\"", ProblemCodes.InvalidValue, "'xname' is 'X1000-a0' (text)", "malformed xname" },
        { "\"version\": 1,\n", "", ProblemCodes.MissingKey, "missing key 'version' at the top level", "no version" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Mistake_IsReportedWithCodeLineAndColumn(string find, string replace, string code, string fragment, string caseName)
    {
        using var dir = new TempDirectory();
        Assert.Contains(find, ValidExport, StringComparison.Ordinal);
        var text = ValidExport.Replace(find, replace, StringComparison.Ordinal);
        var (host, export) = Write(dir, text.Replace(Marker, "", StringComparison.Ordinal));

        var result = ConfigurationLoader.Load(host);

        Assert.False(result.Succeeded, caseName);
        var problem = Assert.Single(result.Problems, p => p.Code == code);
        Assert.Contains(fragment, problem.Message, StringComparison.Ordinal);
        Assert.Equal(export, problem.Where.File);
        if (BrokenConfigTests.Locate(text) is { } at)
        {
            Assert.Equal(at, (problem.Where.Line, problem.Where.Column));
        }
    }

    [Fact]
    public void Missing_export_is_reported_where_the_host_file_names_it()
    {
        using var dir = new TempDirectory();
        dir.Write("node.yaml", BrokenConfigTests.ValidNodeType);
        var host = dir.Write("host.yaml", BrokenConfigTests.ValidHost.Replace("nodeType: node.yaml", "nodeType: node.yaml\ninventoryExport: inventroy.json", StringComparison.Ordinal));

        var problem = Assert.Single(ConfigurationLoader.Load(host).Problems);

        Assert.Equal(ProblemCodes.FileNotFound, problem.Code);
        Assert.Equal((host, 3, 18), (problem.Where.File, problem.Where.Line, problem.Where.Column));
        Assert.Contains("inventroy.json: no such file", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_problems_come_in_the_same_run_as_the_host_files()
    {
        using var dir = new TempDirectory();
        var (host, export) = Write(dir, ValidExport.Replace("\"version\": 1", "\"version\": 3", StringComparison.Ordinal));
        File.WriteAllText(host, File.ReadAllText(host).Replace("port: 8443", "port: 99999", StringComparison.Ordinal));

        var problems = ConfigurationLoader.Load(host).Problems;

        Assert.Equal(2, problems.Count(p => p.Where.File == host));
        Assert.Single(problems, p => p.Where.File == export);
    }
}
