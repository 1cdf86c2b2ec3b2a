using System.Net;
using System.Text.Json;
using OpenChami.VirtualBmc.Host.Services;
using OpenChami.VirtualBmc.Redfish.Serialization;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Resources;
using OpenChami.VirtualBmc.TestSupport;
using static OpenChami.VirtualBmc.Server.Tests.ServerTestSupport;

namespace OpenChami.VirtualBmc.Server.Tests.Resources;

/// <summary>UpdateService: the firmware and software inventory, read-only, and SimpleUpdate refused with the reason.</summary>
public sealed class UpdateServiceTests(RunningServer server) : IClassFixture<RunningServer>
{
    private static List<string> MessageIds(JsonElement body) =>
        body.GetProperty("error").GetProperty("@Message.ExtendedInfo").EnumerateArray().Select(m => m.GetProperty("MessageId").GetString()!).ToList();

    private static List<string> Members(JsonElement collection) =>
        collection.GetProperty("Members").EnumerateArray().Select(m => m.GetProperty("@odata.id").GetString()!).ToList();

    [SkippableFact]
    public async Task ServiceRoot_LinksIt_AndEveryPayloadValidates()
    {
        RedfishSchemas.SkipIfAbsent();
        var (_, root) = await server.GetAsync("/redfish/v1");
        Assert.Equal("/redfish/v1/UpdateService", root.GetProperty("UpdateService").GetProperty("@odata.id").GetString());
        var (_, service) = await server.GetAsync("/redfish/v1/UpdateService");
        RedfishSchemas.AssertValid(service.GetRawText());
        Assert.False(service.GetProperty("ServiceEnabled").GetBoolean());
        var action = service.GetProperty("Actions").GetProperty("#UpdateService.SimpleUpdate");
        Assert.Equal("/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate", action.GetProperty("target").GetString());
        var (infoResponse, info) = await server.GetAsync(action.GetProperty("@Redfish.ActionInfo").GetString()!);
        Assert.Equal(HttpStatusCode.OK, infoResponse.StatusCode);
        RedfishSchemas.AssertValid(info.GetRawText());

        foreach (var collection in new[] { service.GetProperty("FirmwareInventory"), service.GetProperty("SoftwareInventory") })
        {
            var (_, members) = await server.GetAsync(collection.GetProperty("@odata.id").GetString()!);
            RedfishSchemas.AssertValid(members.GetRawText());
            foreach (var member in Members(members))
            {
                var (response, item) = await server.GetAsync(member);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                RedfishSchemas.AssertValid(item.GetRawText());
                Assert.False(item.GetProperty("Updateable").GetBoolean());
            }
        }
    }

    [Fact]
    public async Task FirmwareInventory_IsTheBmcAndThisEndpointsSlotFirmware_AsTheHostHasIt()
    {
        var (_, firmware) = await server.GetAsync("/redfish/v1/UpdateService/FirmwareInventory");
        Assert.Equal(["/redfish/v1/UpdateService/FirmwareInventory/BMC", "/redfish/v1/UpdateService/FirmwareInventory/slot0-Firmware"], Members(firmware));
        var (_, bmc) = await server.GetAsync("/redfish/v1/UpdateService/FirmwareInventory/BMC");
        Assert.Equal(ServiceVersion.Text, bmc.GetProperty("Version").GetString());

        var (_, slotFirmware) = await server.GetAsync("/redfish/v1/UpdateService/FirmwareInventory/slot0-Firmware");
        var package = slotFirmware.GetProperty("SoftwareId").GetString()!;
        var expected = server.Node.State.Slots.Single(s => s.Name == "slot0").Slot.Template.Firmware == OpenChami.VirtualBmc.Slots.Catalog.Firmware.Uefi ? "ovmf" : "seabios";
        Assert.Equal(expected, package);
        var installed = new DpkgStatus().InstalledVersion(package);
        Assert.Equal(installed, slotFirmware.TryGetProperty("Version", out var v) ? v.GetString() : null);
        Assert.Equal(installed is null ? "Absent" : "Enabled", slotFirmware.GetProperty("Status").GetProperty("State").GetString());
        Assert.Equal("/redfish/v1/Systems/slot0", slotFirmware.GetProperty("RelatedItem")[0].GetProperty("@odata.id").GetString());

        var (missing, body) = await server.GetAsync("/redfish/v1/UpdateService/FirmwareInventory/slot1-Firmware");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode); // slot1 is another endpoint's
        Assert.Contains("Base.1.22.ResourceNotFound", MessageIds(body));
    }

    [Fact]
    public async Task SoftwareInventory_IsTheServiceAndTheLibvirtLibrary()
    {
        var (_, software) = await server.GetAsync("/redfish/v1/UpdateService/SoftwareInventory");
        Assert.Equal(["/redfish/v1/UpdateService/SoftwareInventory/openchami-vbmc", "/redfish/v1/UpdateService/SoftwareInventory/libvirt"], Members(software));
        var (_, libvirt) = await server.GetAsync("/redfish/v1/UpdateService/SoftwareInventory/libvirt");
        Assert.NotNull(OpenChami.VirtualBmc.Libvirt.LibvirtVersion.Library); // the server just drove test:///default with it
        Assert.Equal(OpenChami.VirtualBmc.Libvirt.LibvirtVersion.Library, libvirt.GetProperty("Version").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+$", libvirt.GetProperty("Version").GetString()!);
    }

    [Fact]
    public async Task SimpleUpdate_IsRefusedWithActionNotSupported_SayingFirmwareComesFromTheHostsPackages()
    {
        var (response, body) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
            """{"ImageURI":"http://example.test/fw.bin"}""");
        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        var info = body.GetProperty("error").GetProperty("@Message.ExtendedInfo")[0];
        Assert.Equal("Base.1.22.ActionNotSupported", info.GetProperty("MessageId").GetString());
        Assert.Contains("host's packages", info.GetProperty("Resolution").GetString(), StringComparison.Ordinal);

        using var reader = server.ClientFor("reader", TestAccounts.ReaderPassword);
        var (denied, _) = await server.SendAsync(HttpMethod.Post, "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate", "{}", client: reader);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }

    [SkippableFact]
    public void SlotFirmware_NotInstalled_IsAbsentWithoutAVersion_AndValidates()
    {
        RedfishSchemas.SkipIfAbsent();
        using var dir = new TempDirectory();
        var status = dir.Write("status", "Package: ovmf\nStatus: deinstall ok config-files\nVersion: 2022.11-6\n\nPackage: seabios\nStatus: deinstall ok config-files\nVersion: 1.16.2-1\n");
        var slot = server.Node.State.Slots.Single(s => s.Name == "slot0");
        var payload = UpdateServiceResource.SlotFirmware(slot, new DpkgStatus(status));
        Assert.Null(payload.Version);
        Assert.Equal("Absent", payload.Status.State);
        RedfishSchemas.AssertValid(JsonSerializer.Serialize(payload, RedfishJsonContext.Wire.SoftwareInventory));
    }
}

/// <summary>Installed package versions from a dpkg status database the test writes.</summary>
public sealed class DpkgStatusTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void InstalledVersion_OnlyForAnInstalledPackage()
    {
        var path = _dir.Write("status", """
            Package: ovmf
            Status: install ok installed
            Priority: optional
            Version: 2022.11-6+deb12u2
            Description: UEFI firmware for 64-bit x86 virtual machines

            Package: seabios
            Status: deinstall ok config-files
            Version: 1.16.2-1

            Package: qemu-system-x86
            Status: install ok installed
            Version: 1:7.2+dfsg-7
            """);
        var dpkg = new DpkgStatus(path);
        Assert.Equal("2022.11-6+deb12u2", dpkg.InstalledVersion("ovmf"));
        Assert.Null(dpkg.InstalledVersion("seabios"));
        Assert.Equal("1:7.2+dfsg-7", dpkg.InstalledVersion("qemu-system-x86")); // the last stanza, with no blank line after it
        Assert.Null(dpkg.InstalledVersion("ovmf-ia32"));
        Assert.Null(new DpkgStatus(Path.Combine(_dir.Path, "missing")).InstalledVersion("ovmf"));
    }

    [Fact]
    public void InstalledVersion_FollowsAnUpgradeAndARemoval()
    {
        var path = _dir.Write("status", "Package: ovmf\nStatus: install ok installed\nVersion: 2022.11-6\n");
        var dpkg = new DpkgStatus(path);
        Assert.Equal("2022.11-6", dpkg.InstalledVersion("ovmf"));
        // dpkg replaces the file: a new time (and here the same length), so the next read scans it again.
        File.WriteAllText(path, "Package: ovmf\nStatus: install ok installed\nVersion: 2022.11-7\n");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal("2022.11-7", dpkg.InstalledVersion("ovmf"));
        File.Delete(path);
        Assert.Null(dpkg.InstalledVersion("ovmf"));
    }
}
