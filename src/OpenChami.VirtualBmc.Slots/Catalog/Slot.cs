namespace OpenChami.VirtualBmc.Slots.Catalog;

/// <summary>A slot of this host: its template from the node type joined with its host entry and its stable identity.</summary>
public sealed record Slot(
    string Name,
    SlotTemplate Template,
    HostSlot Host,
    SlotIdentity Identity,
    string? Image,
    CloudInitDatasource? CloudInit)
{
    public BmcEndpoint Bmc => Host.Bmc;

    /// <summary>Where the <c>image</c> in force was written: the host entry's when it sets one, else the template's.</summary>
    public SourceLocation? ImageWhere => Host.Image is not null ? Host.ImageWhere : Template.ImageWhere;
}

/// <summary>What a slot is known as: never random per start, either written in the host file or derived from hostId and slot name.</summary>
/// <param name="Hostname">The guest's hostname in the local NoCloud seed: the host file's value, else the slot name.</param>
public sealed record SlotIdentity(Guid Uuid, string SerialNumber, IReadOnlyDictionary<string, MacAddress> MacAddresses, string InstanceId, string Hostname);

/// <summary>Where the guest's cloud-init finds its metadata: OpenCHAMI's service URL and the instance ID it knows the slot by.</summary>
public sealed record CloudInitDatasource(Uri MetadataUrl, string InstanceId);

/// <summary>
/// The whole configuration of this host, loaded and checked; <see cref="InventoryExport"/> is the device inventory
/// the host file's <c>inventoryExport</c> names, when it names one.
/// </summary>
public sealed record SiteConfiguration(
    string HostFile,
    string NodeTypeFile,
    HostConfig Host,
    NodeType NodeType,
    IReadOnlyList<Slot> Slots,
    OpenChami.VirtualBmc.Slots.Inventory.DeviceInventoryExport? InventoryExport = null)
{
    public Slot? FindSlot(string name) => Slots.FirstOrDefault(s => s.Name == name);
}
