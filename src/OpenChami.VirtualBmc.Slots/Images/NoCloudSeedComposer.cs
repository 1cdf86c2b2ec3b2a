using System.Text.Json.Nodes;
using OpenChami.VirtualBmc.Slots.Catalog;

namespace OpenChami.VirtualBmc.Slots.Images;

/// <summary>
/// Builds the files of a slot's local NoCloud seed from its identity, its host entry and its template. A pure
/// function of the configuration: the same files give the same bytes, so rewriting the seed at every start changes
/// nothing the guest could notice (cloud-init re-runs per-instance modules only when instance-id changes).
/// </summary>
public static class NoCloudSeedComposer
{
    /// <summary>meta-data keys that belong to the slot, not the template, with where an operator sets them.</summary>
    public static readonly IReadOnlyList<(string Key, string Source)> IdentityKeys =
    [
        ("instance-id", "host file cloudInit.instanceId, else the slot's UUID"),
        ("local-hostname", "host file cloudInit.hostname, else the slot name"),
    ];

    public static NoCloudSeed Compose(Slot slot)
    {
        var cloudInit = slot.Template.CloudInit;
        return new NoCloudSeed(MetaData(slot), cloudInit.UserData ?? "", NetworkConfig(slot));
    }

    /// <summary>instance-id and local-hostname first, then the template's keys in the order written.</summary>
    private static string MetaData(Slot slot)
    {
        var metaData = new JsonObject
        {
            ["instance-id"] = slot.Identity.InstanceId,
            ["local-hostname"] = slot.Identity.Hostname,
        };
        if (slot.Template.CloudInit.MetaDataJson is { } json)
        {
            foreach (var (key, value) in JsonNode.Parse(json)!.AsObject())
            {
                // Loading rejects these keys (NodeTypeRules); a template built in code must not slip past either.
                if (metaData.ContainsKey(key))
                {
                    throw new ArgumentException($"slot {slot.Name}: template meta-data may not set '{key}'", nameof(slot));
                }
                metaData[key] = value?.DeepClone();
            }
        }
        return SeedYaml.Write(metaData);
    }

    /// <summary>
    /// Network config version 2 with the slot's planned IPv4 addresses, each interface matched by the MAC the domain
    /// gives it and renamed to its template name; null when nothing is planned (the guest keeps its own DHCP default).
    /// Interfaces without a planned address are left out and stay down: an HSN port must not wait for DHCP.
    /// </summary>
    private static string? NetworkConfig(Slot slot)
    {
        if (slot.Host.Ipv4.Count == 0)
        {
            return null;
        }
        var ethernets = new JsonObject();
        foreach (var name in slot.Template.InterfaceNames)
        {
            var planned = slot.Host.Ipv4.Where(a => a.Interface == name).ToList();
            if (planned.Count == 0)
            {
                continue;
            }
            var mac = slot.Identity.MacAddresses.TryGetValue(name, out var m)
                ? m.ToString()
                : throw new ArgumentException($"slot {slot.Name}: no MAC address for interface {name}", nameof(slot));
            var ethernet = new JsonObject
            {
                ["match"] = new JsonObject { ["macaddress"] = mac },
                ["set-name"] = name,
                ["addresses"] = new JsonArray(planned.Select(a => (JsonNode)JsonValue.Create(a.ToString())!).ToArray()),
            };
            var gateways = planned.Select(a => a.Gateway).OfType<System.Net.IPAddress>().Distinct().ToList();
            if (gateways.Count > 0)
            {
                // "to: 0.0.0.0/0" rather than "default" or gateway4: cloud-init before 23.x turns v2 routes into v1 and
                // only understands CIDR there, and netplan deprecates gateway4.
                ethernet["routes"] = new JsonArray(gateways.Select(g => (JsonNode)new JsonObject
                {
                    ["to"] = "0.0.0.0/0",
                    ["via"] = g.ToString(),
                }).ToArray());
            }
            ethernets[name] = ethernet;
        }
        return SeedYaml.Write(new JsonObject { ["version"] = 2, ["ethernets"] = ethernets });
    }
}
