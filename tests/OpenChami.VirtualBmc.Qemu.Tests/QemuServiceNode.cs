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
/// The whole service (composer + Redfish server over plain HTTP on a loopback address) for the tier's one-slot node,
/// with an Administrator account and a client that sends Basic auth. The slot boots the guest's disk; its serial
/// console is logged. Disposing destroys and undefines the domain.
/// </summary>
internal sealed class QemuServiceNode : IAsyncDisposable
{
    public const string Password = "qemu-admin-pass";

    private readonly TempDirectory _dir;
    private readonly RunningNode _node;
    private readonly WebApplication _app;

    private QemuServiceNode(TempDirectory dir, RunningNode node, WebApplication app, HttpClient http, LoadedSite site, string prefix, string serialDir)
    {
        _dir = dir;
        _node = node;
        _app = app;
        Http = http;
        Site = site;
        Prefix = prefix;
        Console = new SerialConsole(Path.Combine(serialDir, $"{prefix}slot0.serial.log"));
    }

    public HttpClient Http { get; }

    public LoadedSite Site { get; }

    public string Prefix { get; }

    public SerialConsole Console { get; }

    public RunningNode Node => _node;

    /// <summary>The host's state directory (root overlays, base-image cache).</summary>
    public string StateDirectory => Site.Host.StateDirectory;

    /// <summary>
    /// Requires the tier, writes node type, accounts and host file, starts the node and its Redfish endpoint.
    /// The slot boots the guest's disk.img: read-only as it is, or — with <paramref name="rootDiskFromCatalog"/> — through
    /// the product's path: a local image catalog lists disk.img (raw, its SHA-256 computed here) and the slot's root disk
    /// is a writable qcow2 overlay on the service's verified copy of it.
    /// </summary>
    /// With <paramref name="uefiNetworkBoot"/> the slot is a diskless UEFI one with a user-mode NIC instead (the guest
    /// reaches the host's loopback as 10.0.2.2), for secure boot and UEFI HTTP boot.
    public static async Task<QemuServiceNode> StartAsync(string name, string address, bool rootDiskFromCatalog = false, int? sshPort = null, int consoleSessions = 8,
        bool uefiNetworkBoot = false)
    {
        QemuTier.Require();
        var dir = new TempDirectory($"vbmc-qemu-{name}");
        var prefix = $"{name[..2]}{Guid.NewGuid():N}"[..10] + "-";
        var port = FreePort(address);
        QemuTier.WriteNodeType(dir.Path, rootDiskFromCatalog ? "tier-disk" : null, uefiNetworkBoot ? "uefi" : "bios");
        if (rootDiskFromCatalog)
        {
            File.WriteAllText(Path.Combine(dir.Path, "images.yaml"), $"""
                images:
                - name: tier-disk
                  path: {QemuTier.DiskImage}
                  format: raw
                  sha256: "{DiskImages.Sha256(QemuTier.DiskImage)}"
                """);
        }
        File.WriteAllText(Path.Combine(dir.Path, "accounts.yaml"), $"""
            accounts:
            - userName: admin
              role: Administrator
              passwordHash: "{PasswordHasher.Hash(Password, 10_000)}"
            """);
        File.WriteAllText(Path.Combine(dir.Path, "host.yaml"), $"""
            hostId: qemu-{name}-{Guid.NewGuid():N}
            nodeType: node.yaml
            libvirt:
              uri: {QemuTier.Uri}
              domainType: qemu
              domainPrefix: {prefix}
            accountsFile: accounts.yaml
            stateDirectory: state
            {(rootDiskFromCatalog ? "images:\n  catalog: images.yaml" : "")}
            insecurePlainHttp: true
            console:
              sshPort: {sshPort ?? FreePort(address)}
              maxSessionsPerSlot: {consoleSessions}
              maxSessionsPerAccount: {consoleSessions}
            virtualMedia:
              insecureAllowLoopback: true
            slots:
            - name: slot0
              bmc:
                address: {address}
                port: {port}
            """);
        var serialDir = Directory.CreateDirectory(Path.Combine(dir.Path, "serial")).FullName;
        var site = SiteLoader.Load(Path.Combine(dir.Path, "host.yaml")).GetOrThrow();
        var node = await NodeComposer.StartAsync(site, Serilog.Core.Logger.None, adjustRendering: o => o with
        {
            SerialLogDirectory = serialDir,
            BootDiskImage = rootDiskFromCatalog || uefiNetworkBoot ? null : QemuTier.DiskImage,
            UserModeNetwork = uefiNetworkBoot,
        });
        var app = RedfishServer.Build(node.State, Serilog.Core.Logger.None);
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = new Uri($"http://{address}:{port}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{Password}")));
        return new QemuServiceNode(dir, node, app, http, site, prefix, serialDir);
    }

    public async Task<HttpResponseMessage> PostAsync(string path, string body) =>
        await Http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>PCS's status poll: GET the System with Accept */*, read PowerState.</summary>
    public async Task<string> PowerStateAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/redfish/v1/Systems/slot0", UriKind.Relative));
        request.Headers.Accept.ParseAdd("*/*");
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("PowerState").GetString()!;
    }

    private static int FreePort(string address)
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.DisposeAsync();
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
                dom.Undefine(removeNvram: true);
            }
        }
        catch (LibvirtException)
        {
            // nothing defined, or already gone
        }
        await _node.DisposeAsync();
        _dir.Dispose();
    }
}
