using System.Net;
using System.Text;
using System.Text.Json;

namespace OpenChami.VirtualBmc.Qemu.Tests;

/// <summary>
/// The whole service on a real QEMU slot, driven over Redfish as a client would: the image is downloaded by the
/// service (never by QEMU) from an http server, inserted, booted from with a Cd override, and ejected.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class RedfishOnQemuTests
{
    private const string CdMarker = "VBMC-MARKER: VBMC-BOOTED-FROM-CD";

    [SkippableFact]
    public async Task InsertMedia_OverRedfish_IsDownloadedByTheService_AndBootedFrom()
    {
        await using var node = await QemuServiceNode.StartAsync("redfish", "127.0.0.30");
        using var images = new RangeFileServer(QemuTier.CdImage, "images/cd.iso");
        var http = node.Http;

        var insert = await node.PostAsync("/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia", $$"""{"Image":"{{images.Url}}"}""");
        Assert.True(insert.StatusCode == HttpStatusCode.NoContent, await insert.Content.ReadAsStringAsync());
        using (var media = JsonDocument.Parse(await http.GetStringAsync(new Uri("/redfish/v1/Systems/slot0/VirtualMedia/Cd", UriKind.Relative))))
        {
            Assert.True(media.RootElement.GetProperty("Inserted").GetBoolean());
            Assert.Equal(images.Url, media.RootElement.GetProperty("Image").GetString());
        }
        var patch = await http.PatchAsync(new Uri("/redfish/v1/Systems/slot0", UriKind.Relative),
            new StringContent("""{"Boot":{"BootSourceOverrideTarget":"Cd","BootSourceOverrideEnabled":"Once"}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""")).StatusCode);

        await node.Console.WaitForAsync(CdMarker, TimeSpan.FromSeconds(120));
        // The domain's CD is the service's cached copy, not the URL: QEMU never fetched anything itself.
        var domainXml = node.Node.Hypervisor!.FindSlot("slot0") is { } runtime ? await runtime.GetInsertedMediaAsync() : null;
        Assert.NotNull(domainXml);
        Assert.StartsWith(node.Site.Host.Media.CacheDirectory, domainXml, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await node.PostAsync("/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia", "{}")).StatusCode);
        using var ejected = JsonDocument.Parse(await http.GetStringAsync(new Uri("/redfish/v1/Systems/slot0/VirtualMedia/Cd", UriKind.Relative)));
        Assert.False(ejected.RootElement.GetProperty("Inserted").GetBoolean());
        await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""");
    }
}
