using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using OpenChami.VirtualBmc.Libvirt;
using OpenChami.VirtualBmc.Server.Hosting;
using OpenChami.VirtualBmc.Server.Security;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Qemu.Tests;

/// <summary>
/// The whole service on a real QEMU slot, driven over Redfish as a client would: the image is downloaded by the
/// service (never by QEMU) from an http server, inserted, booted from with a Cd override, and ejected.
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class RedfishOnQemuTests : IAsyncDisposable
{
    private const string CdMarker = "VBMC-MARKER: VBMC-BOOTED-FROM-CD";
    private readonly TempDirectory _dir = new("vbmc-qemu-redfish");
    private RunningNode? _node;
    private WebApplication? _app;
    private string _serialDir = "";

    [SkippableFact]
    public async Task InsertMedia_OverRedfish_IsDownloadedByTheService_AndBootedFrom()
    {
        QemuTier.Require();
        var prefix = $"rf{Guid.NewGuid():N}"[..10] + "-";
        var port = FreePort();
        QemuTier.WriteNodeType(_dir.Path);
        File.WriteAllText(Path.Combine(_dir.Path, "accounts.yaml"), $"""
            accounts:
            - userName: admin
              role: Administrator
              passwordHash: "{PasswordHasher.Hash("qemu-admin-pass", 10_000)}"
            """);
        File.WriteAllText(Path.Combine(_dir.Path, "host.yaml"), $"""
            hostId: qemu-redfish-{Guid.NewGuid():N}
            nodeType: node.yaml
            libvirt:
              uri: {QemuTier.Uri}
              domainType: qemu
              domainPrefix: {prefix}
            accountsFile: accounts.yaml
            insecurePlainHttp: true
            virtualMedia:
              insecureAllowLoopback: true
            slots:
            - name: slot0
              bmc:
                address: 127.0.0.30
                port: {port}
            """);
        _serialDir = Directory.CreateDirectory(Path.Combine(_dir.Path, "serial")).FullName;
        var site = SiteLoader.Load(Path.Combine(_dir.Path, "host.yaml")).GetOrThrow();
        _node = await NodeComposer.StartAsync(site, Serilog.Core.Logger.None, adjustRendering: o => o with
        {
            SerialLogDirectory = _serialDir,
            BootDiskImage = QemuTier.DiskImage,
        });
        _app = RedfishServer.Build(_node.State, Serilog.Core.Logger.None);
        await _app.StartAsync();
        using var images = new RangeFileServer(QemuTier.CdImage, "images/cd.iso");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.30:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:qemu-admin-pass")));

        async Task<HttpResponseMessage> Post(string path, string body) =>
            await http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        var insert = await Post("/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia", $$"""{"Image":"{{images.Url}}"}""");
        Assert.True(insert.StatusCode == HttpStatusCode.NoContent, await insert.Content.ReadAsStringAsync());
        using (var media = JsonDocument.Parse(await http.GetStringAsync(new Uri("/redfish/v1/Systems/slot0/VirtualMedia/Cd", UriKind.Relative))))
        {
            Assert.True(media.RootElement.GetProperty("Inserted").GetBoolean());
            Assert.Equal(images.Url, media.RootElement.GetProperty("Image").GetString());
        }
        var patch = await http.PatchAsync(new Uri("/redfish/v1/Systems/slot0", UriKind.Relative),
            new StringContent("""{"Boot":{"BootSourceOverrideTarget":"Cd","BootSourceOverrideEnabled":"Once"}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Post("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"On"}""")).StatusCode);

        var console = new SerialConsole(Path.Combine(_serialDir, $"{prefix}slot0.serial.log"));
        await console.WaitForAsync(CdMarker, TimeSpan.FromSeconds(120));
        // The domain's CD is the service's cached copy, not the URL: QEMU never fetched anything itself.
        var domainXml = _node.Hypervisor!.FindSlot("slot0") is { } runtime ? await runtime.GetInsertedMediaAsync() : null;
        Assert.NotNull(domainXml);
        Assert.StartsWith(site.Host.Media.CacheDirectory, domainXml, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await Post("/redfish/v1/Managers/BMC/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia", "{}")).StatusCode);
        using var ejected = JsonDocument.Parse(await http.GetStringAsync(new Uri("/redfish/v1/Systems/slot0/VirtualMedia/Cd", UriKind.Relative)));
        Assert.False(ejected.RootElement.GetProperty("Inserted").GetBoolean());
        await Post("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", """{"ResetType":"ForceOff"}""");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Parse("127.0.0.30"), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        if (_node?.Hypervisor is { } hv)
        {
            try
            {
                using var connection = LibvirtConnection.Open(QemuTier.Uri);
                foreach (var slot in _node.State.Slots)
                {
                    using var dom = connection.TryLookupByUuid(slot.Slot.Identity.Uuid);
                    if (dom is null)
                    {
                        continue;
                    }
                    if (dom.GetState().State != DomainRunState.ShutOff)
                    {
                        dom.Destroy();
                    }
                    dom.Undefine(removeNvram: false);
                }
            }
            catch (LibvirtException)
            {
                // nothing defined, or already gone
            }
        }
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
        _dir.Dispose();
    }
}
