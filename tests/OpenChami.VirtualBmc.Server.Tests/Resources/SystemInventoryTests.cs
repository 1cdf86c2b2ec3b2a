using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>A slot's Processors, Memory, Storage and SimpleStorage: schema-valid, consistent with the System's summaries, truthful about the host.</summary>
public sealed class SystemInventoryTests(RunningServer server) : IClassFixture<RunningServer>
{
    private const string System0 = "/redfish/v1/Systems/slot0";

    /// <summary>slot0 answers on 127.0.0.10, slot1 on 127.0.0.11.</summary>
    private static string AddressOf(string path) => path.Contains("/slot1", StringComparison.Ordinal) ? "127.0.0.11" : "127.0.0.10";

    private async Task<(HttpResponseMessage Response, JsonElement Body)> Send(HttpMethod method, string path, string? content = null)
    {
        using var request = new HttpRequestMessage(method, server.Url(path, AddressOf(path)));
        if (content is not null)
        {
            request.Content = new StringContent(content, System.Text.Encoding.UTF8, "application/json");
        }
        var response = await server.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<JsonElement> Get(string path)
    {
        var (response, body) = await Send(HttpMethod.Get, path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
        Assert.Empty(RedfishSchemas.Validate(body.GetRawText()));
        return body;
    }

    private async Task<List<JsonElement>> Members(string collection)
    {
        var body = await Get(collection);
        var members = new List<JsonElement>();
        foreach (var member in body.GetProperty("Members").EnumerateArray())
        {
            members.Add(await Get(member.GetProperty("@odata.id").GetString()!));
        }
        Assert.Equal(members.Count, body.GetProperty("Members@odata.count").GetInt32());
        return members;
    }

    [Fact]
    public async Task System_LinksItsInventory_AndNamesItsHost()
    {
        var system = await Get(System0);
        Assert.Equal("/redfish/v1/Systems/slot0/Processors", system.GetProperty("Processors").GetProperty("@odata.id").GetString());
        Assert.Equal("/redfish/v1/Systems/slot0/Memory", system.GetProperty("Memory").GetProperty("@odata.id").GetString());
        Assert.Equal("/redfish/v1/Systems/slot0/Storage", system.GetProperty("Storage").GetProperty("@odata.id").GetString());
        Assert.Equal("/redfish/v1/Systems/slot0/SimpleStorage", system.GetProperty("SimpleStorage").GetProperty("@odata.id").GetString());
        var oem = system.GetProperty("Oem").GetProperty("OpenCHAMI");
        Assert.Equal(server.Node.State.Site.Host.HostId, oem.GetProperty("HostId").GetString());
        Assert.Equal(server.Node.State.Site.NodeType.Name, oem.GetProperty("NodeType").GetString());
    }

    [Fact]
    public async Task Processors_AreTheGuestSockets_ConsistentWithTheSummary_AndPinnedOnTheTemplatesNumaNode()
    {
        var summary = (await Get(System0)).GetProperty("ProcessorSummary");
        var processors = await Members(System0 + "/Processors");
        Assert.Equal(summary.GetProperty("Count").GetInt32(), processors.Count);
        Assert.Equal(16, summary.GetProperty("CoreCount").GetInt32()); // slot0's template: 16 cores
        Assert.Equal(summary.GetProperty("CoreCount").GetInt32(), processors.Sum(p => p.GetProperty("TotalCores").GetInt32()));
        Assert.Equal(summary.GetProperty("LogicalProcessorCount").GetInt32(), processors.Sum(p => p.GetProperty("TotalThreads").GetInt32()));
        var node0 = server.Node.State.Slots[0].HostPlacement;
        var hostCpus = new List<int>();
        foreach (var p in processors)
        {
            Assert.Equal("x86-64", p.GetProperty("InstructionSet").GetString());
            Assert.Equal("x86", p.GetProperty("ProcessorArchitecture").GetString());
            Assert.Equal(summary.GetProperty("Model").GetString(), p.GetProperty("Model").GetString());
            var oem = p.GetProperty("Oem").GetProperty("OpenCHAMI");
            Assert.Equal("AMD EPYC 9654 96-Core Processor", oem.GetProperty("HostCpuModel").GetString()); // the fixture's /proc/cpuinfo
            Assert.Equal(0, oem.GetProperty("HostNumaNode").GetInt32());
            Assert.Equal("Strict", oem.GetProperty("NumaPolicy").GetString());
            hostCpus.AddRange(oem.GetProperty("HostCpus").EnumerateArray().Select(c => c.GetInt32()));
        }
        Assert.Equal(node0.Cpus.Order(), hostCpus.Order());
        Assert.Equal(16, hostCpus.Distinct().Count());
    }

    [Fact]
    public async Task Memory_IsOneGuestCell_WithTheSummarysCapacity_AndItsHugepageBacking()
    {
        var summary = (await Get(System0)).GetProperty("MemorySummary");
        var memory = Assert.Single(await Members(System0 + "/Memory"));
        Assert.Equal(summary.GetProperty("TotalSystemMemoryGiB").GetDouble() * 1024, memory.GetProperty("CapacityMiB").GetInt32());
        var oem = memory.GetProperty("Oem").GetProperty("OpenCHAMI");
        Assert.True(oem.GetProperty("Hugepages").GetBoolean());
        Assert.Equal("1GiB", oem.GetProperty("HugepageSize").GetString());
        Assert.Equal(0, oem.GetProperty("HostNumaNode").GetInt32());
    }

    [Fact]
    public async Task Storage_ShowsTheRootOverlayWithTheVirtualSizeInItsQcow2Header_AndSimpleStorageAgrees()
    {
        var storage = Assert.Single(await Members(System0 + "/Storage"));
        var drive = await Get(storage.GetProperty("Drives").EnumerateArray().First().GetProperty("@odata.id").GetString()!);
        Assert.Equal("vda", drive.GetProperty("Id").GetString());
        Assert.Equal("/redfish/v1/Chassis/slot0/Drives/vda", drive.GetProperty("@odata.id").GetString());
        var overlay = server.Node.State.Disks!.StorageOf(server.Node.State.Slots[0].Slot).RootDisk;
        var header = new byte[32];
        using (var file = File.OpenRead(overlay))
        {
            file.ReadExactly(header);
        }
        Assert.Equal(BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(24)), drive.GetProperty("CapacityBytes").GetInt64());
        var simple = Assert.Single(await Members(System0 + "/SimpleStorage"));
        var device = simple.GetProperty("Devices").EnumerateArray().Single(d => d.GetProperty("Name").GetString() == "vda");
        Assert.Equal(drive.GetProperty("CapacityBytes").GetInt64(), device.GetProperty("CapacityBytes").GetInt64());
        Assert.Equal("Enabled", device.GetProperty("Status").GetProperty("State").GetString());
    }

    [Fact]
    public async Task ASlotWithoutItsRootDisk_ShowsNoRootDrive()
    {
        var (deleted, _) = await Send(HttpMethod.Post, "/redfish/v1/Systems/slot1/Actions/Oem/OpenCHAMIComputerSystem.DeleteState", "{}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var storage = await Get("/redfish/v1/Systems/slot1/Storage/VirtioBlock");
        Assert.DoesNotContain(storage.GetProperty("Drives").EnumerateArray(), d => d.GetProperty("@odata.id").GetString() == "/redfish/v1/Chassis/slot1/Drives/vda");
        var (missing, _) = await Send(HttpMethod.Get, "/redfish/v1/Chassis/slot1/Drives/vda");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var simple = await Get("/redfish/v1/Systems/slot1/SimpleStorage/VirtioBlock");
        Assert.DoesNotContain(simple.GetProperty("Devices").EnumerateArray(), d => d.GetProperty("Name").GetString() == "vda");
    }

    [Theory]
    [InlineData("/redfish/v1/Systems/slot0/Processors/CPU16")]
    [InlineData("/redfish/v1/Systems/slot0/Processors/cpu0")]
    [InlineData("/redfish/v1/Systems/slot0/Memory/Memory1")]
    [InlineData("/redfish/v1/Systems/slot0/Storage/Other")]
    [InlineData("/redfish/v1/Chassis/slot0/Drives/vdz")]
    [InlineData("/redfish/v1/Systems/slot0/SimpleStorage/Other")]
    [InlineData("/redfish/v1/Systems/slot9/Processors")]
    public async Task UnknownMembers_Are404(string path)
    {
        var (response, body) = await server.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Base.1.22.ResourceNotFound", body.GetProperty("error").GetProperty("code").GetString());
    }
}
