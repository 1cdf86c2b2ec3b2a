using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Libvirt;

namespace OpenChami.VirtualBmc.Qemu.Tests;

/// <summary>
/// A diskless UEFI slot on real QEMU with Debian's OVMF, driven over Redfish: secure boot really selects the
/// secure-boot firmware build with Microsoft-enrolled keys (and back), and <c>Boot.HttpBootUri</c> is really fetched by
/// the guest's firmware — Once by exactly one boot, Continuous again at a ForceRestart — from a loopback HTTP server
/// this test runs (the guest's user-mode NIC reaches the host's 127.0.0.1 as 10.0.2.2).
/// </summary>
[Collection(QemuCollection.Name)]
public sealed class FirmwareOnQemuTests
{
    private static readonly TimeSpan FirmwareFetch = TimeSpan.FromSeconds(180);

    [SkippableFact]
    public async Task Secure_boot_and_an_http_boot_uri_reach_the_guest_firmware()
    {
        await using var node = await QemuServiceNode.StartAsync("firmware", "127.0.0.31", uefiNetworkBoot: true);
        using var web = new RequestRecorder();
        var nvram = Path.Combine(node.StateDirectory, "slots", "slot0", "nvram.fd");
        var uuid = node.Node.State.Slots.Single().Slot.Identity.Uuid;

        // Secure boot on, and a Once HTTP boot from the recorder; then power on.
        await PatchAsync(node, "/redfish/v1/Systems/slot0/SecureBoot", """{"SecureBootEnable":true}""");
        var once = $"/once-{Guid.NewGuid():N}.efi";
        await PatchAsync(node, "/redfish/v1/Systems/slot0",
            $$$"""{"Boot":{"BootSourceOverrideTarget":"UefiHttp","BootSourceOverrideEnabled":"Once","HttpBootUri":"http://10.0.2.2:{{{web.Port}}}{{{once}}}"}}""");
        await ResetAsync(node, "On");

        await web.WaitForGetAsync(once, FirmwareFetch, node.Console);
        Assert.Contains("Start HTTP Boot over IPv4", node.Console.Text(), StringComparison.Ordinal);
        var live = LiveOs(uuid);
        var loader = live.Element("loader")!;
        Assert.Equal("yes", loader.Attribute("secure")?.Value);
        Assert.EndsWith(".ms.fd", loader.Value.Trim(), StringComparison.Ordinal); // Debian's secure-boot build, MS keys enrolled
        Assert.Equal(nvram, live.Element("nvram")!.Value.Trim());
        using (var secure = await GetAsync(node, "/redfish/v1/Systems/slot0/SecureBoot"))
        {
            Assert.Equal(("Enabled", "UserMode"), (secure.RootElement.GetProperty("SecureBootCurrentBoot").GetString(), secure.RootElement.GetProperty("SecureBootMode").GetString()));
        }
        using (var system = await GetAsync(node, "/redfish/v1/Systems/slot0"))
        {
            Assert.Equal("None", system.RootElement.GetProperty("Boot").GetProperty("BootSourceOverrideTarget").GetString()); // Once is spent
        }

        await ResetAsync(node, "ForceOff");
        var store = EfiVariableStore.Parse(await File.ReadAllBytesAsync(nvram));
        Assert.NotNull(store.Get("PK", EfiVariableStore.GlobalVariable)); // the enrolled variable store
        Assert.Null(store.Get("BootNext", EfiVariableStore.GlobalVariable)); // the firmware consumed it: one boot only
        Assert.Equal($"http://10.0.2.2:{web.Port}{once}", EfiVariableStore.UriOf(store.Get($"Boot{EfiVariableStore.HttpBootOption:X4}", EfiVariableStore.GlobalVariable)!));
        Assert.Equal(1, web.Gets(once));

        // Secure boot off, Continuous HTTP boot set while the guest runs: a ForceRestart is a cold start that selects the
        // plain build, remakes the NVRAM from its template and hands the URI over again.
        await ResetAsync(node, "On");
        await PatchAsync(node, "/redfish/v1/Systems/slot0/SecureBoot", """{"SecureBootEnable":false}""");
        var continuous = $"/continuous-{Guid.NewGuid():N}.efi";
        await PatchAsync(node, "/redfish/v1/Systems/slot0",
            $$$"""{"Boot":{"BootSourceOverrideTarget":"UefiHttp","BootSourceOverrideEnabled":"Continuous","HttpBootUri":"http://10.0.2.2:{{{web.Port}}}{{{continuous}}}"}}""");
        await ResetAsync(node, "ForceRestart");
        await web.WaitForGetAsync(continuous, FirmwareFetch, node.Console);
        live = LiveOs(uuid);
        Assert.NotEqual("yes", live.Element("loader")!.Attribute("secure")?.Value);
        Assert.DoesNotContain(".ms.", live.Element("loader")!.Value, StringComparison.Ordinal);
        using (var secure = await GetAsync(node, "/redfish/v1/Systems/slot0/SecureBoot"))
        {
            Assert.Equal("Disabled", secure.RootElement.GetProperty("SecureBootCurrentBoot").GetString());
        }
        using (var system = await GetAsync(node, "/redfish/v1/Systems/slot0"))
        {
            Assert.Equal("UefiHttp", system.RootElement.GetProperty("Boot").GetProperty("BootSourceOverrideTarget").GetString()); // Continuous stays
        }
        await ResetAsync(node, "ForceOff");
        Assert.Null(EfiVariableStore.Parse(await File.ReadAllBytesAsync(nvram)).Get("PK", EfiVariableStore.GlobalVariable));
        Assert.Equal(1, web.Gets(once)); // the spent Once URI was never fetched again
    }

    private static XElement LiveOs(Guid uuid)
    {
        using var connection = LibvirtConnection.Open(QemuTier.Uri);
        using var dom = connection.TryLookupByUuid(uuid) ?? throw new InvalidOperationException("the slot's domain is gone");
        return XDocument.Parse(dom.GetXmlDesc()).Root!.Element("os")!;
    }

    private static async Task PatchAsync(QemuServiceNode node, string path, string body)
    {
        using var response = await node.Http.PatchAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"PATCH {path} {body}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task ResetAsync(QemuServiceNode node, string type)
    {
        using var response = await node.PostAsync("/redfish/v1/Systems/slot0/Actions/ComputerSystem.Reset", $$"""{"ResetType":"{{type}}"}""");
        Assert.True(response.IsSuccessStatusCode, $"Reset {type}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<JsonDocument> GetAsync(QemuServiceNode node, string path) =>
        JsonDocument.Parse(await node.Http.GetStringAsync(new Uri(path, UriKind.Relative)));

    /// <summary>
    /// An HTTP/1.1 server on 127.0.0.1 that answers every request with a small body that is not an EFI image and records
    /// the request lines. Raw sockets, because the guest's requests name 10.0.2.2 in their Host header, which
    /// HttpListener would refuse for a 127.0.0.1 prefix.
    /// </summary>
    private sealed class RequestRecorder : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly ConcurrentQueue<string> _requests = new();
        private readonly CancellationTokenSource _stop = new();

        public RequestRecorder()
        {
            _listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Gets(string path) => _requests.Count(r => r == $"GET {path}");

        public async Task WaitForGetAsync(string path, TimeSpan timeout, SerialConsole console)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (Gets(path) == 0)
            {
                if (DateTime.UtcNow > deadline)
                {
                    Assert.Fail($"the guest firmware never fetched {path} within {timeout.TotalSeconds:F0} s; requests: [{string.Join(", ", _requests)}]; console:\n{console.Tail()}");
                }
                await Task.Delay(100);
            }
        }

        private async Task LoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }
                _ = Task.Run(() => AnswerAsync(client));
            }
        }

        private async Task AnswerAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    var received = 0;
                    while (received < buffer.Length && !Encoding.ASCII.GetString(buffer, 0, received).Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var n = await stream.ReadAsync(buffer.AsMemory(received), _stop.Token);
                        if (n == 0)
                        {
                            return;
                        }
                        received += n;
                    }
                    var parts = Encoding.ASCII.GetString(buffer, 0, received).Split("\r\n")[0].Split(' ');
                    _requests.Enqueue($"{parts[0]} {(parts.Length > 1 ? parts[1] : "")}");
                    var body = "this is not an EFI image\n"u8.ToArray();
                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/efi\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(head, _stop.Token);
                    if (parts[0] != "HEAD")
                    {
                        await stream.WriteAsync(body, _stop.Token);
                    }
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                    // the firmware hung up; the request line, if any, is recorded
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
