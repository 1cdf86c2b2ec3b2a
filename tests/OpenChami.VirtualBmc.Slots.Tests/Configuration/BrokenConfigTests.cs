using OpenChami.VirtualBmc.Slots.Configuration;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Slots.Tests.Configuration;

/// <summary>
/// Real mistakes an operator makes, one per case. Each case edits a valid pair of files; the '⟦' marker in the
/// edit is where the message must point (it is removed before loading), so every line and column is asserted.
/// </summary>
public sealed class BrokenConfigTests
{
    internal const string Marker = "⟦";

    internal const string ValidNodeType = """
        nodeType: test-node
        physicalLabels:
          GPU0: "0000:18:00.0"
          GPU1: "0000:19:00.0"
        resources:
          numaNodes:
          - id: 0
            cores: 32
            memoryGiB: 256
          - id: 1
            cores: 32
            memoryGiB: 256
        vmSlots:
        - name: slot0
          image: ubuntu-hpc-base
          cpu:
            cores: 16
            numaPolicy: strict
            numaNode: 0
          memory:
            sizeGiB: 64
            hugepages: true
          devices:
          - name: gpu0
            kind: gpu
            selector:
              physicalLabel: GPU0
          - name: hsn0
            kind: nic
            mode: sriov-vf
            selector:
              pf: mlx5_0
              vfIndex: 0
        - name: slot1
          cpu:
            cores: 16
            numaNode: 1
          memory:
            sizeGiB: 64
          devices:
          - name: gpu0
            kind: gpu
            selector:
              pciAddress: "0000:19:00.0"
          - name: hsn0
            kind: nic
            mode: sriov-vf
            selector:
              pf: mlx5_0
              vfIndex: 1
          networks:
          - name: mgmt0
            network: default
          cloudInit:
            localSeed: true
            userData: |
              #cloud-config
              packages: [htop]
            metaData:
              cluster: demo
        """;

    internal const string ValidHost = """
        hostId: x1000c0s0b0n0
        nodeType: node.yaml
        libvirt:
          uri: test:///default
        insecurePlainHttp: true
        slots:
        - name: slot0
          bmc:
            address: 127.0.0.10
            port: 8443
        - name: slot1
          bmc:
            address: 127.0.0.11
            port: 8443
          identity:
            macAddresses:
              mgmt0: "02:00:00:00:01:01"
          ipv4:
          - interface: mgmt0
            address: 10.100.0.11/16
        """;

    public static TheoryData<string, string, string, string, string, string> Cases => new()
    {
        // file, find, replace (with marker), expected code, expected message fragment, case name
        { "node", "      vfIndex: 0", $"      {Marker}vfIndx: 0", ProblemCodes.UnknownKey, "unknown key 'vfIndx' (did you mean 'vfIndex'?)", "typo in a key" },
        { "node", "- name: slot1\n  cpu:", $"- {Marker}name: slot1\n  cpux:", ProblemCodes.MissingKey, "missing key 'cpu'", "missing cpu section" },
        { "node", "    cores: 16\n    numaPolicy: strict", $"    cores: {Marker}sixteen\n    numaPolicy: strict", ProblemCodes.WrongType, "'cores' must be a whole number, not 'sixteen' (text)", "text where a number belongs" },
        { "node", "numaPolicy: strict", $"numaPolicy: {Marker}strcit", ProblemCodes.InvalidValue, "allowed values are strict, preferred, none", "misspelt enum value" },
        { "node", "pciAddress: \"0000:19:00.0\"", $"pciAddress: {Marker}\"19:00.0\"", ProblemCodes.InvalidValue, "'pciAddress' is '19:00.0' (text), which is not of the expected form", "short PCI address" },
        { "node", "    kind: gpu\n    selector:\n      pciAddress", $"    kind: {Marker}fpga\n    selector:\n      pciAddress", ProblemCodes.InvalidValue, "'kind' is 'fpga' (text); allowed values are gpu, nic, pci", "unknown device kind" },
        { "node", "  - name: hsn0\n    kind: nic\n    mode: sriov-vf\n    selector:\n      pf: mlx5_0\n      vfIndex: 1", $"  - {Marker}name: hsn0\n    kind: nic\n    selector:\n      pf: mlx5_0\n      vfIndex: 1", ProblemCodes.DeviceKindMode, "NIC 'hsn0' needs a mode", "NIC without mode" },
        { "node", "  - name: gpu0\n    kind: gpu\n    selector:\n      physicalLabel: GPU0", $"  - {Marker}name: gpu0\n    kind: gpu\n    mode: sriov-vf\n    selector:\n      physicalLabel: GPU0", ProblemCodes.DeviceKindMode, "'mode' applies to kind nic only", "GPU given a NIC mode" },
        { "node", "      pf: mlx5_0\n      vfIndex: 0", $"      {Marker}pf: mlx5_0", ProblemCodes.SelectorShape, "needs both 'pf'", "VF without index" },
        { "node", "      physicalLabel: GPU0", $"      {Marker}physicalLabel: GPU0\n      pf: mlx5_0", ProblemCodes.SelectorShape, "'pf' and 'vfIndex' belong to nic devices with mode sriov-vf", "GPU selected by PF" },
        { "node", "      physicalLabel: GPU0", $"      {Marker}physicalLabel: GPU0\n      pciAddress: \"0000:81:00.0\"", ProblemCodes.SelectorConflict, "physicalLabel GPU0 is 0000:18:00.0 in the node type's physicalLabels, but pciAddress says 0000:81:00.0", "label and address disagree" },
        { "node", "pciAddress: \"0000:19:00.0\"", $"{Marker}pciAddress: \"0000:18:00.0\"", ProblemCodes.DeviceAssignedTwice, "PCI device 0000:18:00.0 of device 'gpu0' in slot 'slot1' is already given to device 'gpu0' of slot 'slot0'", "one GPU in two slots" },
        { "node", "      pf: mlx5_0\n      vfIndex: 1", $"      {Marker}pf: mlx5_0\n      vfIndex: 0", ProblemCodes.DeviceAssignedTwice, "VF 0 of PF mlx5_0", "one VF in two slots" },
        { "node", "- name: slot1", $"- {Marker}name: slot0", ProblemCodes.DuplicateName, "slot name 'slot0' is used twice", "duplicate slot name" },
        { "node", "  - name: mgmt0", $"  - {Marker}name: hsn0", ProblemCodes.DuplicateName, "name 'hsn0' is used twice in slot 'slot1'", "network named like a device" },
        { "node", "    cores: 16\n    numaNode: 1", "    cores: 17\n    numaNode: 0", ProblemCodes.Overcommit, "slots slot0, slot1 ask for 33 cores, but NUMA node 0 offers 32", "cores overcommit on one NUMA node" },
        { "node", "    sizeGiB: 64\n  devices:\n  - name: gpu0\n    kind: gpu\n    selector:\n      pciAddress", "    sizeGiB: 300\n  devices:\n  - name: gpu0\n    kind: gpu\n    selector:\n      pciAddress", ProblemCodes.Overcommit, "slots slot1 ask for 300 GiB of memory, but NUMA node 1 offers 256 GiB", "memory overcommit on a NUMA node" },
        { "node", "    cores: 16\n    numaNode: 1", $"    {Marker}cores: 16\n    numaNode: 3", ProblemCodes.NumaNodeUnknown, "asks for NUMA node 3, but resources list only nodes 0, 1", "NUMA node the host does not have" },
        { "node", "    cores: 16\n    numaPolicy: strict", $"    cores: 16\n{Marker}\tnumaPolicy: strict", ProblemCodes.YamlSyntax, "", "tab in indentation" },
        { "node", "    cores: 16\n    numaPolicy: strict", $"    cores: 16\n    {Marker}cores: 8\n    numaPolicy: strict", ProblemCodes.DuplicateKey, "", "key written twice" },
        { "node", "    sizeGiB: 64\n    hugepages: true", $"    sizeGiB: {Marker}0\n    hugepages: true", ProblemCodes.InvalidValue, "'sizeGiB' is 0 (a number); it must be between 1 and 65536", "zero memory" },
        { "node", "    sizeGiB: 64\n  devices:\n  - name: gpu0\n    kind: gpu\n    selector:\n      pciAddress", $"    {Marker}sizeGiB: 64\n    hugepageSize: 2M\n  devices:\n  - name: gpu0\n    kind: gpu\n    selector:\n      pciAddress", ProblemCodes.InvalidValue, "'hugepageSize' is set but 'hugepages' is not true", "page size without hugepages" },
        { "node", "  image: ubuntu-hpc-base", $"  image: ubuntu-hpc-base\n  firmware: bios\n  {Marker}secureBoot: enabled", ProblemCodes.InvalidValue, "slot 'slot0' sets 'secureBoot' but boots firmware: bios", "secure boot pinned on a BIOS template" },
        { "node", "  image: ubuntu-hpc-base", $"  image: ubuntu-hpc-base\n  secureBoot: {Marker}on", ProblemCodes.InvalidValue, "allowed values are enabled, disabled", "secure boot written as on" },
        { "node", "vfIndex: 1", $"vfIndex: {Marker}-1", ProblemCodes.InvalidValue, "'vfIndex' is -1 (a number); it must be between 0 and 255", "negative VF index" },
        { "host", "- name: slot1", $"- {Marker}name: slot9", ProblemCodes.UnknownSlot, "slot 'slot9' is not a slot of node type 'test-node' (did you mean 'slot0'?)", "host names a slot the type lacks" },
        { "host", "address: 127.0.0.11\n    port: 8443", $"{Marker}address: 127.0.0.10\n    port: 8443", ProblemCodes.EndpointConflict, "slot 'slot1' uses BMC endpoint 127.0.0.10:8443, already used by slot 'slot0'", "two slots on one endpoint" },
        { "host", "address: 127.0.0.11", $"address: {Marker}127.0.0.256", ProblemCodes.InvalidValue, "bmc address '127.0.0.256' is not an IP address", "impossible IP" },
        { "host", "      mgmt0: \"02:00:00:00:01:01\"", $"      mgmt0: \"02:00:00:00:01:01\"\n      eth9: \"02:00:00:00:01:02\"", ProblemCodes.UnknownInterface, "pins a MAC for 'eth9', which is not a NIC device or network of the slot (hsn0, mgmt0)", "MAC for a NIC the slot lacks" },
        { "host", "  - interface: mgmt0", $"  - {Marker}interface: mgmt1", ProblemCodes.UnknownInterface, "plans 10.100.0.11/16 on 'mgmt1'", "IP on a NIC the slot lacks" },
        { "host", "nodeType: node.yaml", $"nodeType: {Marker}nodes.yaml", ProblemCodes.FileNotFound, "nodes.yaml: no such file", "node type path typo" },
        { "host", "      mgmt0: \"02:00:00:00:01:01\"", $"      mgmt0: {Marker}\"03:00:00:00:01:01\"", ProblemCodes.InvalidValue, "is a multicast address", "multicast MAC" },
        { "host", "address: 127.0.0.10", $"{Marker}address: 0.0.0.0", ProblemCodes.InvalidValue, "listens on 0.0.0.0", "wildcard BMC address" },
        { "host", "- name: slot1\n  bmc:\n    address: 127.0.0.11\n    port: 8443\n  identity:\n    macAddresses:\n      mgmt0: \"02:00:00:00:01:01\"\n  ipv4:\n  - interface: mgmt0\n    address: 10.100.0.11/16", "", ProblemCodes.MissingSlot, "slot 'slot1' of node type 'test-node' has no entry under 'slots'", "slot left out of the host file" },
        { "host", "    port: 8443\n  identity:", $"    port: {Marker}84430\n  identity:", ProblemCodes.InvalidValue, "'port' is 84430 (a number); it must be between 1 and 65535", "port out of range" },
        { "host", "  identity:\n", $"  identity:\n    uuid: {Marker}not-a-uuid\n", ProblemCodes.InvalidValue, "'uuid' is 'not-a-uuid' (text)", "malformed UUID" },
        { "host", "hostId: x1000c0s0b0n0", $"hostId: x1000c0s0b0n0\n{Marker}sysfsroot: /", ProblemCodes.UnknownKey, "unknown key 'sysfsroot' (did you mean 'sysfsRoot'?)", "case typo at top level" },
        { "node", "    metaData:\n      cluster: demo", $"    metaData:\n      {Marker}instance-id: i-1\n      cluster: demo", ProblemCodes.InvalidValue, "metaData of slot 'slot1' sets 'instance-id', which the seed takes from the slot's identity", "template meta-data overriding the instance ID" },
        { "node", "    metaData:\n      cluster: demo", $"    metaData:\n      {Marker}local-hostname: node\n      cluster: demo", ProblemCodes.InvalidValue, "sets 'local-hostname'", "template meta-data overriding the hostname" },
        { "node", "    userData: |\n      #cloud-config\n", $"    userData: {Marker}|\n      cloud-config\n", ProblemCodes.InvalidValue, "userData of slot 'slot1' does not start with a cloud-init header", "user-data without a header" },
        { "node", "packages: [htop]", $"packages: [htop", ProblemCodes.InvalidValue, "userData of slot 'slot1' is #cloud-config but is not YAML at its line", "cloud-config that is not YAML" },
        { "node", "      #cloud-config\n      packages: [htop]", $"      #cloud-config\n      - htop", ProblemCodes.InvalidValue, "is #cloud-config but its body is not a mapping", "cloud-config that is a list" },
        { "node", "    userData: |\n      #cloud-config\n      packages: [htop]\n", $"    userData: {Marker}12\n", ProblemCodes.WrongType, "'userData' must be text or a mapping of keys to values, not 12 (a number)", "user-data that is a number" },
        { "host", "    address: 10.100.0.11/16", $"    address: 10.100.0.11/16\n  cloudInit:\n    hostname: {Marker}bad_name", ProblemCodes.InvalidValue, "'hostname' is 'bad_name' (text), which is not of the expected form", "hostname that is not a DNS name" },
        { "host", "- name: slot1\n", $"- {Marker}name: slot1\n  cloudInit:\n    hostname: slot0\n", ProblemCodes.IdentityConflict, "slot 'slot1' has hostname slot0, the same as slot 'slot0'", "hostname of another slot" },
        { "host", "    address: 10.100.0.11/16", $"    address: 10.100.0.11/16\n    gateway: 10.100.0.1\n  - {Marker}interface: mgmt0\n    address: 10.100.1.11/24\n    gateway: 10.100.1.1", ProblemCodes.InvalidValue, "has a local seed and plans a second gateway 10.100.1.1 (first 10.100.0.1)", "two gateways in a seeded slot" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Mistake_IsReportedWithCodeLineAndColumn(string file, string find, string replace, string code, string fragment, string caseName)
    {
        using var dir = new TempDirectory();
        var node = ValidNodeType;
        var host = ValidHost;
        if (file == "node")
        {
            Assert.Contains(find, node, StringComparison.Ordinal);
            node = node.Replace(find, replace, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains(find, host, StringComparison.Ordinal);
            host = host.Replace(find, replace, StringComparison.Ordinal);
        }
        var expected = Locate(file == "node" ? node : host);
        var nodePath = dir.Write("node.yaml", node.Replace(Marker, "", StringComparison.Ordinal));
        var hostPath = dir.Write("host.yaml", host.Replace(Marker, "", StringComparison.Ordinal));

        var result = ConfigurationLoader.Load(hostPath);

        Assert.False(result.Succeeded, caseName);
        var problem = Assert.Single(result.Problems, p => p.Code == code);
        Assert.Contains(fragment, problem.Message, StringComparison.Ordinal);
        Assert.Equal(file == "node" ? nodePath : hostPath, problem.Where.File);
        if (expected is { } at)
        {
            Assert.Equal(at, (problem.Where.Line, problem.Where.Column));
        }
        else
        {
            Assert.True(problem.Where.Line >= 1, $"{caseName}: {problem}");
        }
    }

    [Fact]
    public void ControlCase_ValidFilesLoad()
    {
        using var dir = new TempDirectory();
        dir.Write("node.yaml", ValidNodeType);
        var result = ConfigurationLoader.Load(dir.Write("host.yaml", ValidHost));
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
    }

    [Theory]
    [InlineData("  secureBoot: enabled\n", true)]
    [InlineData("  secureBoot: disabled\n", false)]
    [InlineData("", null)]
    public void SecureBoot_IsPinnedByTheTemplateOrLeftToTheOperator(string line, bool? expected)
    {
        using var dir = new TempDirectory();
        dir.Write("node.yaml", ValidNodeType.Replace("  image: ubuntu-hpc-base\n", "  image: ubuntu-hpc-base\n" + line, StringComparison.Ordinal));
        var result = ConfigurationLoader.Load(dir.Write("host.yaml", ValidHost));
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        Assert.Equal(expected, result.Value!.NodeType.FindSlot("slot0")!.SecureBoot);
        Assert.Null(result.Value!.NodeType.FindSlot("slot1")!.SecureBoot);
    }

    [Fact]
    public void EveryProblemInBothFiles_IsReportedInOneRun()
    {
        using var dir = new TempDirectory();
        dir.Write("node.yaml", ValidNodeType
            .Replace("numaPolicy: strict", "numaPolicy: strcit", StringComparison.Ordinal)
            .Replace("vfIndex: 0", "vfIndx: 0", StringComparison.Ordinal)
            .Replace("sizeGiB: 64\n    hugepages", "sizeGiB: lots\n    hugepages", StringComparison.Ordinal));
        var host = dir.Write("host.yaml", ValidHost.Replace("port: 8443", "port: 99999", StringComparison.Ordinal));

        var result = ConfigurationLoader.Load(host);

        var codes = result.Problems.Select(p => p.Code).ToList();
        Assert.Equal(2, result.Problems.Count(p => p.Where.File == host && p.Code == ProblemCodes.InvalidValue)); // both ports
        Assert.Contains(ProblemCodes.UnknownKey, codes);
        Assert.Contains(ProblemCodes.WrongType, codes);
        Assert.True(result.Problems.Count == 5, string.Join("\n", result.Problems));
    }

    /// <summary>1-based line and column of the marker, or null when the case has none (a removed section).</summary>
    internal static (int, int)? Locate(string text)
    {
        var index = text.IndexOf(Marker, StringComparison.Ordinal);
        if (index < 0)
        {
            return null;
        }
        var before = text[..index];
        var line = before.Count(c => c == '\n') + 1;
        var column = index - (before.LastIndexOf('\n') + 1) + 1;
        return (line, column);
    }
}
