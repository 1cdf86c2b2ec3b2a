using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Tests.Configuration;
using OpenChami.VirtualBmc.TestSupport;
using YamlDotNet.RepresentationModel;

namespace OpenChami.VirtualBmc.Slots.Tests.Images;

public sealed class NoCloudSeedComposerTests
{
    private static readonly SiteConfiguration Demo =
        ConfigurationLoader.Load(Path.Combine(RepoPaths.Examples, "demo", "host.yaml")).GetOrThrow();

    private static YamlMappingNode Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static YamlScalarNode Scalar(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            node = node is YamlSequenceNode list ? list[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)] : ((YamlMappingNode)node)[key];
        }
        return (YamlScalarNode)node;
    }

    private static Slot WithCloudInit(Slot slot, string? userData, string? metaDataJson) =>
        slot with { Template = slot.Template with { CloudInit = new CloudInitTemplate(true, userData, metaDataJson) } };

    [Fact]
    public void Meta_data_carries_the_slots_instance_id_and_hostname()
    {
        var slot = Demo.FindSlot("slot0")!;

        var metaData = Parse(NoCloudSeedComposer.Compose(slot).MetaData);

        Assert.Equal(slot.Identity.InstanceId, Scalar(metaData, "instance-id").Value);
        Assert.Equal(slot.Identity.Uuid.ToString(), Scalar(metaData, "instance-id").Value); // the demo pins no instance ID
        Assert.Equal("slot0", Scalar(metaData, "local-hostname").Value);
        Assert.Equal(2, metaData.Children.Count);
    }

    [Fact]
    public void Host_file_instance_id_and_hostname_win_over_the_derived_ones()
    {
        using var dir = new TempDirectory();
        dir.Write("node.yaml", BrokenConfigTests.ValidNodeType);
        var host = dir.Write("host.yaml", BrokenConfigTests.ValidHost + "\n  cloudInit:\n    instanceId: iid-slot1\n    hostname: nid000123.cluster.example");

        var slot = ConfigurationLoader.Load(host).GetOrThrow().FindSlot("slot1")!;
        var metaData = Parse(NoCloudSeedComposer.Compose(slot).MetaData);

        Assert.Equal("iid-slot1", Scalar(metaData, "instance-id").Value);
        Assert.Equal("nid000123.cluster.example", Scalar(metaData, "local-hostname").Value);
        Assert.Equal("demo", Scalar(metaData, "cluster").Value); // the template's key, after the identity
        Assert.Equal(["instance-id", "local-hostname", "cluster"], metaData.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
    }

    [Fact]
    public void Template_meta_data_adds_keys_in_order_and_may_not_replace_the_identity()
    {
        var slot = WithCloudInit(Demo.FindSlot("slot1")!, null, """{"zone":"b","public-keys":["ssh-ed25519 AAAA demo"],"count":3,"flags":{"debug":true}}""");

        var metaData = Parse(NoCloudSeedComposer.Compose(slot).MetaData);

        Assert.Equal(["instance-id", "local-hostname", "zone", "public-keys", "count", "flags"], metaData.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        Assert.Equal("ssh-ed25519 AAAA demo", Scalar(metaData, "public-keys", "0").Value);
        Assert.Equal("3", Scalar(metaData, "count").Value);
        Assert.Equal("true", Scalar(metaData, "flags", "debug").Value);
        var hijack = WithCloudInit(slot, null, """{"instance-id":"other"}""");
        Assert.Throws<ArgumentException>(() => NoCloudSeedComposer.Compose(hijack));
    }

    [Fact]
    public void Strings_cloud_init_would_read_as_other_types_are_quoted()
    {
        // PyYAML (YAML 1.1) reads these plain as a boolean, a base-60 integer, a date, a float, null and a comment.
        string[] tricky = ["yes", "off", "52:54:00:12:34:56", "2024-01-01", "1e3", "~", "#not-a-comment", " padded", "", "a: b"];
        var json = System.Text.Json.JsonSerializer.Serialize(tricky.Select((t, i) => (t, i)).ToDictionary(x => $"k{x.i}", x => x.t));
        var slot = WithCloudInit(Demo.FindSlot("slot1")!, null, json);

        var metaData = Parse(NoCloudSeedComposer.Compose(slot).MetaData);

        for (var i = 0; i < tricky.Length; i++)
        {
            var value = Scalar(metaData, $"k{i}");
            Assert.Equal(tricky[i], value.Value);
            Assert.NotEqual(YamlDotNet.Core.ScalarStyle.Plain, value.Style);
        }
        Assert.Equal(YamlDotNet.Core.ScalarStyle.Plain, Scalar(metaData, "local-hostname").Style); // words stay readable
    }

    [SkippableFact]
    public void PyYAML_the_parser_cloud_init_uses_reads_every_value_as_written()
    {
        var pyyaml = ExternalTool.Exists("python3") ? ExternalTool.Run("python3", "-c", "import yaml") : (Code: 1, Out: "", Err: "");
        Skip.If(pyyaml.Code != 0, "python3 with PyYAML is not installed (Debian package python3-yaml; `make deps` installs it)");
        var extra = new System.Text.Json.Nodes.JsonObject
        {
            ["mac"] = "52:54:00:12:34:56", ["answer"] = "yes", ["day"] = "2024-01-01", ["time"] = "10:30", ["octal"] = "0755",
            ["script"] = "#!/bin/sh\n\techo \"hi\"  \nexit 0\n", ["crlf"] = "a\r\nb", ["indented"] = "  two spaces\nthen none",
            ["text"] = "héllo ✓", ["count"] = 3, ["ratio"] = 1.5, ["on"] = true, ["nothing"] = null,
            ["keys"] = new System.Text.Json.Nodes.JsonArray("ssh-ed25519 AAAA a@b", "x: y"), ["nested"] = new System.Text.Json.Nodes.JsonObject { ["a-b"] = "c" },
        };
        var slot0 = Demo.FindSlot("slot0")!;
        var seed = NoCloudSeedComposer.Compose(WithCloudInit(slot0, null, extra.ToJsonString()));
        var expected = new System.Text.Json.Nodes.JsonObject { ["instance-id"] = slot0.Identity.InstanceId, ["local-hostname"] = "slot0" };
        foreach (var (key, value) in extra)
        {
            expected[key] = value?.DeepClone();
        }

        foreach (var (yaml, want) in new[] { (seed.MetaData, (System.Text.Json.Nodes.JsonNode)expected), (seed.NetworkConfig!, NetworkConfigOf(slot0)) })
        {
            var read = ExternalTool.Run("python3", ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))"], yaml);
            Assert.True(read.Code == 0, read.Err);
            var got = System.Text.Json.Nodes.JsonNode.Parse(read.Out);
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(want, got), $"PyYAML read\n{got}\nfrom\n{yaml}\nexpected\n{want}");
        }
    }

    /// <summary>slot0's network-config as data, written out by hand from the demo host file.</summary>
    private static System.Text.Json.Nodes.JsonNode NetworkConfigOf(Slot slot0) => System.Text.Json.Nodes.JsonNode.Parse(
        ("""{"version": 2, "ethernets": {"mgmt0": {"match": {"macaddress": "MAC"}, "set-name": "mgmt0", """
        + """ "addresses": ["10.100.0.10/16"], "routes": [{"to": "0.0.0.0/0", "via": "10.100.0.1"}]}}}""")
            .Replace("MAC", slot0.Identity.MacAddresses["mgmt0"].ToString(), StringComparison.Ordinal))!;

    [Fact]
    public void User_data_is_the_templates_text_verbatim_or_empty()
    {
        const string config = "#cloud-config\nruncmd:\n- [sh, -c, 'echo hi']\n";
        Assert.Equal(config, NoCloudSeedComposer.Compose(WithCloudInit(Demo.FindSlot("slot0")!, config, null)).UserData);
        Assert.Equal("", NoCloudSeedComposer.Compose(Demo.FindSlot("slot0")!).UserData);
    }

    [Fact]
    public void Network_config_matches_each_planned_interface_by_the_domains_MAC()
    {
        var slot = Demo.FindSlot("slot0")!;

        var network = Parse(NoCloudSeedComposer.Compose(slot).NetworkConfig!);

        Assert.Equal("2", Scalar(network, "version").Value);
        var ethernets = (YamlMappingNode)network["ethernets"];
        var mgmt = (YamlMappingNode)Assert.Single(ethernets.Children, e => ((YamlScalarNode)e.Key).Value == "mgmt0").Value;
        Assert.Single(ethernets.Children); // hsn0 has no planned address: left out
        Assert.Equal(slot.Identity.MacAddresses["mgmt0"].ToString(), Scalar(mgmt, "match", "macaddress").Value);
        Assert.Equal("mgmt0", Scalar(mgmt, "set-name").Value);
        Assert.Equal("10.100.0.10/16", Scalar(mgmt, "addresses", "0").Value);
        Assert.Equal("0.0.0.0/0", Scalar(mgmt, "routes", "0", "to").Value);
        Assert.Equal("10.100.0.1", Scalar(mgmt, "routes", "0", "via").Value);

        var noGateway = Parse(NoCloudSeedComposer.Compose(Demo.FindSlot("slot1")!).NetworkConfig!);
        var slot1Mgmt = (YamlMappingNode)((YamlMappingNode)noGateway["ethernets"])["mgmt0"];
        Assert.Equal("10.100.0.11/16", Scalar(slot1Mgmt, "addresses", "0").Value);
        Assert.False(slot1Mgmt.Children.ContainsKey("routes"));
    }

    [Fact]
    public void Network_config_is_omitted_when_the_slot_plans_no_address()
    {
        var slot2 = Demo.FindSlot("slot2")!;
        Assert.Empty(slot2.Host.Ipv4);

        var seed = NoCloudSeedComposer.Compose(slot2);

        Assert.Null(seed.NetworkConfig);
        Assert.Equal(["meta-data", "user-data"], seed.Files.Select(f => f.Name));
        Assert.Equal(["meta-data", "user-data", "network-config"], NoCloudSeedComposer.Compose(Demo.FindSlot("slot0")!).Files.Select(f => f.Name));
    }

    [Fact]
    public void The_same_configuration_gives_the_same_text_and_another_slot_other_text()
    {
        var again = ConfigurationLoader.Load(Path.Combine(RepoPaths.Examples, "demo", "host.yaml")).GetOrThrow();

        foreach (var slot in Demo.Slots)
        {
            Assert.Equal(NoCloudSeedComposer.Compose(slot), NoCloudSeedComposer.Compose(again.FindSlot(slot.Name)!));
        }
        Assert.NotEqual(NoCloudSeedComposer.Compose(Demo.FindSlot("slot0")!).MetaData, NoCloudSeedComposer.Compose(Demo.FindSlot("slot1")!).MetaData);
        Assert.DoesNotContain("\r", NoCloudSeedComposer.Compose(Demo.FindSlot("slot0")!).NetworkConfig!, StringComparison.Ordinal);
    }

    [Fact]
    public void User_data_written_as_a_mapping_becomes_cloud_config_text()
    {
        using var dir = new TempDirectory();
        var node = BrokenConfigTests.ValidNodeType.Replace(
            "    userData: |\n      #cloud-config\n      packages: [htop]\n",
            "    userData:\n      packages: [htop]\n      write_files:\n      - path: /etc/motd\n        content: |\n          slot one\n          second line\n      ssh_pwauth: false\n",
            StringComparison.Ordinal);
        Assert.NotEqual(BrokenConfigTests.ValidNodeType, node);
        dir.Write("node.yaml", node);

        var userData = ConfigurationLoader.Load(dir.Write("host.yaml", BrokenConfigTests.ValidHost)).GetOrThrow().FindSlot("slot1")!.Template.CloudInit.UserData!;

        Assert.StartsWith("#cloud-config\n", userData, StringComparison.Ordinal);
        var config = Parse(userData);
        Assert.Equal("htop", Scalar(config, "packages", "0").Value);
        Assert.Equal("slot one\nsecond line\n", Scalar(config, "write_files", "0", "content").Value);
        Assert.Equal(YamlDotNet.Core.ScalarStyle.Literal, Scalar(config, "write_files", "0", "content").Style);
        Assert.Equal("false", Scalar(config, "ssh_pwauth").Value);
        Assert.Equal(YamlDotNet.Core.ScalarStyle.Plain, Scalar(config, "ssh_pwauth").Style); // a boolean, not the text "false"
    }

    [Fact]
    public void Template_written_before_seeds_existed_still_loads_the_same()
    {
        // userData as text and metaData as a mapping: the format this change keeps.
        using var dir = new TempDirectory();
        dir.Write("node.yaml", BrokenConfigTests.ValidNodeType);

        var cloudInit = ConfigurationLoader.Load(dir.Write("host.yaml", BrokenConfigTests.ValidHost)).GetOrThrow().FindSlot("slot1")!.Template.CloudInit;

        Assert.True(cloudInit.LocalSeed);
        Assert.Equal("#cloud-config\npackages: [htop]\n", cloudInit.UserData);
        Assert.Equal("""{"cluster":"demo"}""", cloudInit.MetaDataJson);
    }

    [Fact]
    public void A_seeded_slot_planning_an_address_on_a_passthrough_NIC_needs_its_MAC_pinned()
    {
        using var dir = new TempDirectory();
        dir.Write("node.yaml", BrokenConfigTests.ValidNodeType.Replace(
            "  networks:\n  - name: mgmt0\n    network: default\n",
            "  - name: eth0\n    kind: nic\n    mode: passthrough\n    selector:\n      pciAddress: \"0000:5e:00.0\"\n  networks:\n  - name: mgmt0\n    network: default\n",
            StringComparison.Ordinal));
        var planned = BrokenConfigTests.ValidHost + "\n  - interface: eth0\n    address: 10.200.0.11/24";

        var unpinned = ConfigurationLoader.Load(dir.Write("host.yaml", planned));
        var pinned = ConfigurationLoader.Load(dir.Write("host.yaml", planned.Replace(
            "      mgmt0: \"02:00:00:00:01:01\"", "      mgmt0: \"02:00:00:00:01:01\"\n      eth0: \"b8:3f:d2:00:00:01\"", StringComparison.Ordinal)));

        var problem = Assert.Single(unpinned.Problems);
        Assert.Equal(ProblemCodes.MissingKey, problem.Code);
        Assert.Contains("passthrough NIC 'eth0'; pin the card's MAC", problem.Message, StringComparison.Ordinal);
        Assert.True(pinned.Succeeded, string.Join("\n", pinned.Problems));
        var network = Parse(NoCloudSeedComposer.Compose(pinned.Value!.FindSlot("slot1")!).NetworkConfig!);
        Assert.Equal("b8:3f:d2:00:00:01", Scalar(network, "ethernets", "eth0", "match", "macaddress").Value);
    }
}
