using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Images;
using OpenChami.VirtualBmc.Slots.Runtime;

namespace OpenChami.VirtualBmc.Libvirt;

/// <summary>How slots become libvirt domains on this host.</summary>
/// <param name="DomainType">libvirt domain type: 'kvm' in production, 'qemu' (TCG) on machines without usable KVM, 'test' for the test driver.</param>
/// <param name="HostId">The host's id, written into the domain metadata.</param>
/// <param name="ManagedHostdevs">managed='yes' on hostdevs: libvirt detaches them from host drivers itself.</param>
/// <param name="NamePrefix">Domain name = prefix + slot name.</param>
public sealed record DomainRenderOptions(string DomainType, string HostId, bool ManagedHostdevs = false, string NamePrefix = "vbmc-")
{
    public string DomainName(string slotName) => NamePrefix + slotName;

    /// <summary>
    /// When set, the serial console is also written to <c>&lt;dir&gt;/&lt;domain name&gt;.serial.log</c> (libvirt
    /// <c>&lt;log file append='off'/&gt;</c>: QEMU truncates it at each start). Absolute path; the directory must exist
    /// and be writable by QEMU. Null (default): pty only.
    /// </summary>
    public string? SerialLogDirectory { get; init; }

    /// <summary>
    /// When set, this raw image (absolute path) is attached read-only as a virtio hard disk, which the default boot
    /// order (disk, then network) boots. For the QEMU test tier, whose slots must boot a guest without a network;
    /// production slots are diskless (null, the default).
    /// </summary>
    public string? BootDiskImage { get; init; }

    /// <summary>
    /// When set, the VM also gets a QEMU user-mode (slirp) virtio NIC: the guest reaches the host's loopback as
    /// 10.0.2.2 with no bridge or DHCP server on the host. For the QEMU test tier's UEFI HTTP boot; never in production.
    /// </summary>
    public bool UserModeNetwork { get; init; }

    /// <summary>
    /// The host's state directory (absolute). When set, a slot with an image gets its root disk
    /// (<see cref="SlotStorage.RootDisk"/>, qcow2, writable virtio <c>vda</c>) and a slot whose template asks for a local
    /// seed gets it (<see cref="SlotStorage.Seed"/>, read-only virtio <c>vdb</c>). Null: diskless (network boot).
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>The serial log file of a slot's domain, or null without <see cref="SerialLogDirectory"/>.</summary>
    public string? SerialLogPath(string slotName) =>
        SerialLogDirectory is { } dir ? Path.Combine(dir, DomainName(slotName) + ".serial.log") : null;
}

/// <summary>
/// Where a slot lands on this host, resolved outside the renderer (sysfs inventory): the host CPUs its vCPUs run on
/// and the PCI address of each of its devices (by device name).
/// </summary>
public sealed record SlotPlacement(IReadOnlyList<int> Cpus, IReadOnlyDictionary<string, PciAddress> Devices);

/// <summary>Renders a slot's domain XML (System.Xml.Linq only) and reads back what the product owns in it.</summary>
public static class DomainXml
{
    /// <summary>The project's libvirt metadata namespace. A domain is ours only if it carries this element.</summary>
    public const string MetadataNamespace = "https://openchami.org/xmlns/virtual-bmc/slot/1";

    /// <summary>
    /// The slot's power-restore policy: its own metadata element (<c>&lt;policy powerRestore="AlwaysOn"/&gt;</c>), set
    /// with virDomainSetMetadata, so redefinitions of the slot element (boot overrides) never touch it.
    /// </summary>
    public const string PolicyNamespace = "https://openchami.org/xmlns/virtual-bmc/policy/1";

    public const string PolicyKey = "vbmcpolicy";

    /// <summary>The policy a metadata element names; LastState when there is none or it is not understood.</summary>
    public static PowerRestorePolicy ParsePolicy(string? xml) =>
        !string.IsNullOrWhiteSpace(xml) && Enum.TryParse<PowerRestorePolicy>(XElement.Parse(xml).Attribute("powerRestore")?.Value, out var policy)
            ? policy
            : PowerRestorePolicy.LastState;

    public static string PolicyElement(PowerRestorePolicy policy) =>
        new XElement(XNamespace.Get(PolicyNamespace) + "policy", new XAttribute("powerRestore", policy)).ToString(SaveOptions.DisableFormatting);

    /// <summary>Prefix libvirt uses for the metadata element.</summary>
    public const string MetadataKey = "vbmc";

    /// <summary>The predefined CD-ROM behind Redfish virtual media.</summary>
    public const string CdromTarget = "sda";

    public const string Manufacturer = "OpenCHAMI";
    public const string Product = "OpenCHAMI Virtual Node";

    private static readonly XNamespace Ns = MetadataNamespace;

    /// <summary>
    /// The domain for <paramref name="slot"/>. <paramref name="boot"/> sets the boot order (default: disk, then network)
    /// and is recorded in the metadata.
    /// </summary>
    public static XDocument Render(Slot slot, SlotPlacement placement, DomainRenderOptions options, BootOverride? boot = null)
    {
        var body = RenderBody(slot, placement, options, boot);
        if (slot.Template is { Firmware: Firmware.Uefi, SecureBoot: null })
        {
            // Not pinned: off until the operator switches it on (outside the template hash, like the metadata). Asked for
            // explicitly, as libvirt's autoselection would otherwise take the first descriptor, which may be secure.
            SetSecureBoot(body, false);
        }
        SetNvram(body, NvramPath(slot, options));
        var hash = TemplateHash(slot, placement, options);
        body.AddFirst(new XElement("metadata", Metadata(new SlotMetadata(slot.Name, options.HostId, hash, boot))));
        body.AddFirst(new XElement("uuid", slot.Identity.Uuid.ToString("D", CultureInfo.InvariantCulture)));
        body.AddFirst(new XElement("name", options.DomainName(slot.Name)));
        return new XDocument(body);
    }

    /// <summary>
    /// A hash of everything the template decides (not the boot override, not the metadata, not the serial console log:
    /// that is the host's choice, applied to defined domains by <see cref="ApplySerialLog"/> rather than reported as drift).
    /// </summary>
    public static string TemplateHash(Slot slot, SlotPlacement placement, DomainRenderOptions options)
    {
        var body = RenderBody(slot, placement, options with { SerialLogDirectory = null }, null);
        body.AddFirst(new XElement("uuid", slot.Identity.Uuid.ToString("D", CultureInfo.InvariantCulture)));
        body.AddFirst(new XElement("name", options.DomainName(slot.Name)));
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(body.ToString(SaveOptions.DisableFormatting)));
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>
    /// The metadata element <see cref="ParseMetadata"/> reads back: slot name, host id, template hash, the pending boot
    /// override, and the boot order and secure boot when set.
    /// </summary>
    internal static XElement Metadata(SlotMetadata metadata)
    {
        var (boot, order, secureBoot, nvramSecureBoot) = (metadata.BootOverride, metadata.BootOrder, metadata.SecureBoot, metadata.NvramSecureBoot);
        var element = new XElement(Ns + "slot",
            new XAttribute(XNamespace.Xmlns + MetadataKey, MetadataNamespace),
            new XAttribute("name", metadata.SlotName),
            new XAttribute("host", metadata.HostId),
            new XAttribute("templateHash", metadata.TemplateHash));
        if (boot is { IsActive: true })
        {
            element.Add(new XElement(Ns + "bootOverride",
                new XAttribute("target", boot.Target),
                new XAttribute("enabled", boot.Enabled),
                new XAttribute("mode", boot.Mode),
                boot.HttpBootUri is { } uri ? new XAttribute("httpBootUri", uri) : null));
        }
        if (!Slots.Runtime.BootOrder.AreEqual(order, Slots.Runtime.BootOrder.Default))
        {
            element.Add(new XElement(Ns + "bootOrder", new XAttribute("devices", string.Join(",", order))));
        }
        if (secureBoot is not null || nvramSecureBoot is not null)
        {
            // enabled: the operator's choice for the next power-on (absent: never set); nvram: what the VM's NVRAM was
            // last created for at a start through the BMC (absent: never), so a changed setting resets it once.
            element.Add(new XElement(Ns + "secureBoot",
                secureBoot is { } enabled ? new XAttribute("enabled", enabled ? "yes" : "no") : null,
                nvramSecureBoot is { } nvram ? new XAttribute("nvram", nvram ? "yes" : "no") : null));
        }
        return element;
    }

    /// <summary>
    /// Parses our metadata element; null when it is not ours. virDomainGetMetadata selects by namespace but returns the
    /// element without it, so names are matched by local name (the namespace is checked when present).
    /// </summary>
    internal static SlotMetadata? ParseMetadata(string? xml)
    {
        if (string.IsNullOrWhiteSpace(xml))
        {
            return null;
        }
        var root = XElement.Parse(xml);
        if (root.Name.LocalName != "slot" || (root.Name.Namespace != XNamespace.None && root.Name.Namespace != Ns) || root.Attribute("name")?.Value is not { } name || root.Attribute("host")?.Value is not { } host)
        {
            return null;
        }
        BootOverride? boot = null;
        if (root.Elements().FirstOrDefault(e => e.Name.LocalName == "bootOverride") is { } b
            && Enum.TryParse<BootSource>(b.Attribute("target")?.Value, out var target)
            && Enum.TryParse<BootOverrideEnabled>(b.Attribute("enabled")?.Value, out var enabled)
            && Enum.TryParse<BootMode>(b.Attribute("mode")?.Value, out var mode))
        {
            boot = new BootOverride(target, enabled, mode) { HttpBootUri = b.Attribute("httpBootUri")?.Value };
        }
        var secure = root.Elements().FirstOrDefault(e => e.Name.LocalName == "secureBoot");
        static bool? YesNo(string? value) => value switch { "yes" => true, "no" => false, _ => null };
        return new SlotMetadata(name, host, root.Attribute("templateHash")?.Value ?? "", boot)
        {
            BootOrder = ParseBootOrder(root.Elements().FirstOrDefault(e => e.Name.LocalName == "bootOrder")?.Attribute("devices")?.Value),
            SecureBoot = YesNo(secure?.Attribute("enabled")?.Value),
            NvramSecureBoot = YesNo(secure?.Attribute("nvram")?.Value),
        };
    }

    /// <summary>A recorded boot order; the default when there is none or it is not one we would have written.</summary>
    private static IReadOnlyList<BootSource> ParseBootOrder(string? devices)
    {
        if (devices is null)
        {
            return Slots.Runtime.BootOrder.Default;
        }
        var order = new List<BootSource>();
        foreach (var name in devices.Split(','))
        {
            if (!Enum.TryParse<BootSource>(name, out var device))
            {
                return Slots.Runtime.BootOrder.Default;
            }
            order.Add(device);
        }
        return Slots.Runtime.BootOrder.Problem(order) is null ? order : Slots.Runtime.BootOrder.Default;
    }

    /// <summary>The boot mode the slot's firmware gives.</summary>
    internal static BootMode BootModeOf(Slot slot) => BootOverride.ModeOf(slot.Template.Firmware);

    /// <summary>libvirt <c>&lt;os&gt;&lt;boot dev&gt;</c> values, in order, for an override over a persistent order.</summary>
    internal static IReadOnlyList<string> BootOrder(BootOverride? boot, IReadOnlyList<BootSource>? order = null) =>
        Slots.Runtime.BootOrder.Effective(boot, order ?? Slots.Runtime.BootOrder.Default).Select(BootDev).ToList();

    private static string BootDev(BootSource device) => device switch
    {
        BootSource.Hdd => "hd",
        BootSource.Cd => "cdrom",
        BootSource.Pxe or BootSource.UefiHttp => "network",
        _ => throw new ArgumentOutOfRangeException(nameof(device), device, "not a boot device"),
    };

    /// <summary>Replaces the <c>&lt;os&gt;&lt;boot&gt;</c> entries of a domain document (keeping the rest of &lt;os&gt;).</summary>
    internal static void SetBootOrder(XDocument domain, BootOverride? boot, IReadOnlyList<BootSource>? order = null)
    {
        var os = domain.Root!.Element("os") ?? throw new InvalidOperationException("domain XML has no <os>");
        os.Elements("boot").Remove();
        var anchor = os.Element("type");
        foreach (var dev in BootOrder(boot, order).Reverse())
        {
            var element = new XElement("boot", new XAttribute("dev", dev));
            if (anchor is null) os.AddFirst(element); else anchor.AddAfterSelf(element);
        }
    }

    /// <summary>
    /// What the definition asks libvirt's firmware autoselection for: true/false from
    /// <c>&lt;os&gt;&lt;firmware&gt;&lt;feature name="secure-boot" enabled&gt;</c>, null when it asks nothing.
    /// </summary>
    internal static bool? SecureBootRequested(XElement? os) =>
        os?.Element("firmware")?.Elements("feature").FirstOrDefault(f => f.Attribute("name")?.Value == "secure-boot")?.Attribute("enabled")?.Value switch
        {
            "yes" => true,
            "no" => false,
            _ => null,
        };

    /// <summary>
    /// Asks libvirt's firmware autoselection for a secure-boot build with Microsoft-enrolled keys (OVMF_CODE*.ms.fd and
    /// its VARS template, SMM on, as libvirt requires) or for a build without secure boot. A loader or NVRAM template
    /// libvirt resolved for the other setting is dropped, so the next start selects again. Returns whether it changed
    /// anything. Only for UEFI domains (<c>&lt;os firmware="efi"&gt;</c>).
    /// </summary>
    internal static bool SetSecureBoot(XElement domain, bool enabled)
    {
        var os = domain.Element("os") ?? throw new InvalidOperationException("domain XML has no <os>");
        var value = enabled ? "yes" : "no";
        var features = domain.Element("features");
        var smm = features?.Element("smm");
        var wantSmm = enabled;
        var hasSmm = smm?.Attribute("state")?.Value == "on";
        if (SecureBootRequested(os) == enabled
            && os.Element("firmware")?.Elements("feature").FirstOrDefault(f => f.Attribute("name")?.Value == "enrolled-keys")?.Attribute("enabled")?.Value == value
            && hasSmm == wantSmm)
        {
            return false;
        }
        if (SecureBootRequested(os) != enabled)
        {
            os.Elements("loader").Remove();
            os.Element("nvram")?.Attribute("template")?.Remove();
        }
        os.Elements("firmware").Remove();
        var firmware = new XElement("firmware",
            new XElement("feature", new XAttribute("enabled", value), new XAttribute("name", "enrolled-keys")),
            new XElement("feature", new XAttribute("enabled", value), new XAttribute("name", "secure-boot")));
        if (os.Element("type") is { } type) type.AddAfterSelf(firmware); else os.AddFirst(firmware);
        smm?.Remove();
        if (wantSmm)
        {
            if (features is null)
            {
                features = new XElement("features");
                os.AddAfterSelf(features);
            }
            features.Add(new XElement("smm", new XAttribute("state", "on")));
        }
        return true;
    }

    /// <summary>The firmware a domain document gives: its boot menu, and the loader libvirt resolved (if it did).</summary>
    internal static FirmwareView FirmwareOf(XDocument domain)
    {
        var os = domain.Root?.Element("os");
        var menu = os?.Element("bootmenu");
        var enabled = menu?.Attribute("enable")?.Value == "yes";
        // libvirt ignores the timeout unless the menu is enabled.
        var timeout = enabled && int.TryParse(menu!.Attribute("timeout")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? ms / 1000 : 0;
        var loader = os?.Element("loader");
        var path = loader?.Value.Trim() is { Length: > 0 } p ? p : null;
        var requested = SecureBootRequested(os);
        // A resolved loader says what the build is (QEMU fills it in at start); without one (libvirt's test driver, or
        // before the first start) the definition's request is what the VM was or will be started with.
        var secure = path is not null ? loader!.Attribute("secure")?.Value == "yes" : requested == true;
        return new FirmwareView(new FirmwareSettings(enabled, timeout), path, secure) { SecureBootRequested = requested };
    }

    /// <summary>Writes firmware settings into a domain document's &lt;os&gt; (the default is no &lt;bootmenu&gt; at all).</summary>
    internal static void SetFirmwareSettings(XDocument domain, FirmwareSettings settings)
    {
        var os = domain.Root!.Element("os") ?? throw new InvalidOperationException("domain XML has no <os>");
        os.Elements("bootmenu").Remove();
        if (!settings.BootMenu)
        {
            return;
        }
        var menu = new XElement("bootmenu", new XAttribute("enable", "yes"),
            new XAttribute("timeout", (settings.BootMenuTimeoutSeconds * 1000).ToString(CultureInfo.InvariantCulture)));
        if ((os.Elements("boot").LastOrDefault() ?? os.Element("type")) is { } before) before.AddAfterSelf(menu); else os.AddFirst(menu);
    }

    /// <summary>Replaces (or adds) our metadata element in a domain document.</summary>
    internal static void SetMetadata(XDocument domain, XElement metadata)
    {
        var root = domain.Root!;
        var container = root.Element("metadata");
        if (container is null)
        {
            container = new XElement("metadata");
            (root.Element("uuid") ?? root.Element("name"))!.AddAfterSelf(container);
        }
        container.Elements(Ns + "slot").Remove();
        container.Add(metadata);
    }

    /// <summary>
    /// The SMBIOS system serial cloud-init's NoCloud datasource reads. http(s) seeds use "nocloud-net" (accepted by
    /// every cloud-init release; 24.1+ also accepts plain "nocloud" for network seeds). ';' would end the value, so it
    /// is percent-encoded.
    /// </summary>
    public static string NoCloudSerial(CloudInitDatasource datasource)
    {
        var url = datasource.MetadataUrl.AbsoluteUri;
        if (!url.EndsWith('/'))
        {
            url += "/"; // cloud-init appends "meta-data" and "user-data" to the seed URL.
        }
        var kind = datasource.MetadataUrl.Scheme is "http" or "https" ? "nocloud-net" : "nocloud";
        return $"ds={kind};s={url.Replace(";", "%3B", StringComparison.Ordinal)};i={datasource.InstanceId.Replace(";", "%3B", StringComparison.Ordinal)}";
    }

    /// <summary>"0-3,8,10-11" for a set of CPUs.</summary>
    internal static string CpuSet(IEnumerable<int> cpus)
    {
        var sorted = cpus.Distinct().Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(j == i
                ? sorted[i].ToString(CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{sorted[i]}-{sorted[j]}"));
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    /// <summary>Parses libvirt's cpuset syntax ("0-3,^2,8").</summary>
    internal static IReadOnlySet<int> ParseCpuSet(string text)
    {
        var set = new SortedSet<int>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var exclude = raw.StartsWith('^');
            var part = exclude ? raw[1..] : raw;
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var from = int.Parse(dash < 0 ? part : part[..dash], CultureInfo.InvariantCulture);
            var to = dash < 0 ? from : int.Parse(part[(dash + 1)..], CultureInfo.InvariantCulture);
            for (var c = from; c <= to; c++)
            {
                if (exclude) set.Remove(c); else set.Add(c);
            }
        }
        return set;
    }

    internal static XElement PciAddressElement(PciAddress a, bool typed = false)
    {
        var element = new XElement("address");
        if (typed)
        {
            element.Add(new XAttribute("type", "pci"));
        }
        element.Add(
            new XAttribute("domain", Hex(a.Domain, 4)),
            new XAttribute("bus", Hex(a.Bus, 2)),
            new XAttribute("slot", Hex(a.Device, 2)),
            new XAttribute("function", Hex(a.Function, 1)));
        return element;
    }

    internal static PciAddress? ParsePciAddress(XElement? address)
    {
        if (address is null)
        {
            return null;
        }
        static int H(XElement e, string name) =>
            int.Parse((e.Attribute(name)?.Value ?? "0").Replace("0x", "", StringComparison.OrdinalIgnoreCase), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return new PciAddress(H(address, "domain"), H(address, "bus"), H(address, "slot"), H(address, "function"));
    }

    private static string Hex(int value, int digits) => "0x" + value.ToString("x" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static XElement RenderBody(Slot slot, SlotPlacement placement, DomainRenderOptions options, BootOverride? boot)
    {
        var template = slot.Template;
        var domain = new XElement("domain", new XAttribute("type", options.DomainType));

        domain.Add(new XElement("memory", new XAttribute("unit", "KiB"), (long)template.Memory.SizeGiB * 1024 * 1024));
        if (template.Memory.Hugepages)
        {
            var pageKiB = template.Memory.EffectivePageSize == HugepageSize.TwoMiB ? 2048 : 1048576;
            domain.Add(new XElement("memoryBacking",
                new XElement("hugepages", new XElement("page", new XAttribute("size", pageKiB), new XAttribute("unit", "KiB")))));
        }
        domain.Add(new XElement("vcpu", new XAttribute("placement", "static"), template.Cpu.Cores));
        if (placement.Cpus.Count > 0)
        {
            // One host CPU per vCPU when the placement gives exactly that many; otherwise every vCPU floats over the set.
            var oneToOne = placement.Cpus.Count == template.Cpu.Cores;
            var all = CpuSet(placement.Cpus);
            var cputune = new XElement("cputune");
            for (var v = 0; v < template.Cpu.Cores; v++)
            {
                cputune.Add(new XElement("vcpupin",
                    new XAttribute("vcpu", v),
                    new XAttribute("cpuset", oneToOne ? placement.Cpus[v].ToString(CultureInfo.InvariantCulture) : all)));
            }
            domain.Add(cputune);
        }
        if (template.Cpu.NumaNode is { } node && template.Cpu.NumaPolicy != NumaPolicy.None)
        {
            domain.Add(new XElement("numatune", new XElement("memory",
                new XAttribute("mode", template.Cpu.NumaPolicy == NumaPolicy.Strict ? "strict" : "preferred"),
                new XAttribute("nodeset", node))));
        }

        var serial = slot.CloudInit is { } ci ? NoCloudSerial(ci) : slot.Identity.SerialNumber;
        var system = new XElement("system",
            Entry("manufacturer", Manufacturer),
            Entry("product", Product),
            Entry("serial", serial),
            Entry("uuid", slot.Identity.Uuid.ToString("D", CultureInfo.InvariantCulture)),
            Entry("sku", slot.Template.Profile ?? slot.Template.Name),
            Entry("family", "OpenCHAMI Virtual BMC"));
        domain.Add(new XElement("sysinfo", new XAttribute("type", "smbios"),
            system,
            new XElement("baseBoard", Entry("manufacturer", Manufacturer), Entry("serial", slot.Identity.SerialNumber)),
            new XElement("chassis", Entry("manufacturer", Manufacturer), Entry("serial", slot.Identity.SerialNumber))));

        var os = new XElement("os");
        if (template.Firmware == Firmware.Uefi)
        {
            os.Add(new XAttribute("firmware", "efi"));
        }
        os.Add(new XElement("type", new XAttribute("arch", "x86_64"), new XAttribute("machine", "q35"), "hvm"));
        foreach (var dev in BootOrder(boot))
        {
            os.Add(new XElement("boot", new XAttribute("dev", dev)));
        }
        os.Add(new XElement("smbios", new XAttribute("mode", "sysinfo")));
        domain.Add(os);
        domain.Add(new XElement("features", new XElement("acpi"), new XElement("apic")));
        if (template.Firmware == Firmware.Uefi && template.SecureBoot is { } pinned)
        {
            SetSecureBoot(domain, pinned); // pinned by the template: part of the template hash
        }
        domain.Add(new XElement("on_poweroff", "destroy"), new XElement("on_reboot", "restart"), new XElement("on_crash", "destroy"));

        var devices = new XElement("devices");
        devices.Add(new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "cdrom"),
            new XElement("target", new XAttribute("dev", CdromTarget), new XAttribute("bus", "sata")),
            new XElement("readonly")));
        if (options.StateDirectory is { } state)
        {
            var storage = SlotStorage.For(state, slot.Name);
            if (slot.Image is not null)
            {
                if (options.BootDiskImage is not null)
                {
                    throw new ArgumentException($"slot {slot.Name} has an image and the render options a boot disk image; both would be vda", nameof(options));
                }
                devices.Add(VirtioDisk(storage.RootDisk, "qcow2", "vda", readOnly: false));
            }
            if (template.CloudInit.LocalSeed)
            {
                devices.Add(VirtioDisk(storage.Seed, "raw", "vdb", readOnly: true));
            }
        }
        if (options.BootDiskImage is { } image)
        {
            if (!Path.IsPathFullyQualified(image))
            {
                throw new ArgumentException($"boot disk image '{image}' is not an absolute path", nameof(options));
            }
            devices.Add(new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
                new XElement("source", new XAttribute("file", image)),
                new XElement("target", new XAttribute("dev", "vda"), new XAttribute("bus", "virtio")),
                new XElement("readonly")));
        }
        var managed = options.ManagedHostdevs ? "yes" : "no";
        foreach (var device in template.Devices)
        {
            if (!placement.Devices.TryGetValue(device.Name, out var address))
            {
                throw new ArgumentException($"slot {slot.Name}: no PCI address resolved for device {device.Name}", nameof(placement));
            }
            if (device.IsVirtualFunction)
            {
                devices.Add(new XElement("interface", new XAttribute("type", "hostdev"), new XAttribute("managed", managed),
                    new XElement("mac", new XAttribute("address", Mac(slot, device.Name))),
                    new XElement("source", PciAddressElement(address, typed: true))));
            }
            else
            {
                devices.Add(new XElement("hostdev", new XAttribute("mode", "subsystem"), new XAttribute("type", "pci"), new XAttribute("managed", managed),
                    new XElement("source", PciAddressElement(address))));
            }
        }
        foreach (var network in template.Networks)
        {
            var source = network.Bridge is { } bridge
                ? new XElement("source", new XAttribute("bridge", bridge))
                : new XElement("source", new XAttribute("network", network.Network ?? "default"));
            devices.Add(new XElement("interface", new XAttribute("type", network.Bridge is null ? "network" : "bridge"),
                new XElement("mac", new XAttribute("address", Mac(slot, network.Name))),
                source,
                new XElement("model", new XAttribute("type", "virtio"))));
        }
        if (options.UserModeNetwork)
        {
            devices.Add(new XElement("interface", new XAttribute("type", "user"), new XElement("model", new XAttribute("type", "virtio"))));
        }
        var serialDevice = new XElement("serial", new XAttribute("type", "pty"));
        if (options.SerialLogPath(slot.Name) is { } log)
        {
            if (!Path.IsPathFullyQualified(log))
            {
                throw new ArgumentException($"serial log directory '{options.SerialLogDirectory}' is not an absolute path", nameof(options));
            }
            serialDevice.Add(new XElement("log", new XAttribute("file", log), new XAttribute("append", "off")));
        }
        serialDevice.Add(new XElement("target", new XAttribute("port", 0)));
        devices.Add(serialDevice);
        devices.Add(new XElement("console", new XAttribute("type", "pty"), new XElement("target", new XAttribute("type", "serial"), new XAttribute("port", 0))));
        domain.Add(devices);
        return domain;
    }

    /// <summary>
    /// Makes the serial console log of <paramref name="defined"/> (a domain's persistent XML) what <paramref name="expected"/>
    /// (its rendering) says: the same <c>&lt;log&gt;</c> on the first serial device, or none. True when it changed
    /// something, so the caller redefines the domain; a running guest gets the change at its next power-on.
    /// </summary>
    public static bool ApplySerialLog(XDocument defined, XDocument expected)
    {
        var serial = defined.Root?.Element("devices")?.Element("serial");
        if (serial is null)
        {
            return false;
        }
        var want = expected.Root?.Element("devices")?.Element("serial")?.Element("log");
        var have = serial.Element("log");
        static string Describe(XElement? log) => log is null ? "" : $"{log.Attribute("file")?.Value}|{log.Attribute("append")?.Value}";
        if (Describe(want) == Describe(have))
        {
            return false;
        }
        have?.Remove();
        if (want is not null)
        {
            serial.AddFirst(new XElement(want)); // libvirt wants <log> before <target>
        }
        return true;
    }

    /// <summary>
    /// A UEFI slot's NVRAM file, in the slot's state directory (<see cref="SlotStorage.Nvram"/>) rather than libvirt's
    /// default under /var/lib/libvirt, so the service — which runs unprivileged there — can hand the firmware an HTTP
    /// boot URI (<see cref="EfiVariableStore"/>). Null for BIOS slots and without a state directory.
    /// </summary>
    public static string? NvramPath(Slot slot, DomainRenderOptions options) =>
        slot.Template.Firmware == Firmware.Uefi && options.StateDirectory is { } state ? SlotStorage.For(state, slot.Name).Nvram : null;

    /// <summary>The NVRAM file a domain document names (<c>&lt;os&gt;&lt;nvram&gt;</c>), or null.</summary>
    public static string? NvramOf(XDocument domain) =>
        domain.Root?.Element("os")?.Element("nvram")?.Value.Trim() is { Length: > 0 } path ? path : null;

    /// <summary>The variable template libvirt made a running domain's NVRAM from (live XML only), or null.</summary>
    public static string? NvramTemplateOf(XDocument domain) =>
        domain.Root?.Element("os")?.Element("nvram")?.Attribute("template")?.Value is { Length: > 0 } path ? path : null;

    private static void SetNvram(XElement domain, string? path)
    {
        var os = domain.Element("os");
        if (os is null || path is null)
        {
            return;
        }
        os.Elements("nvram").Remove();
        var nvram = new XElement("nvram", path);
        if (os.Element("firmware") is { } firmware) firmware.AddAfterSelf(nvram);
        else if (os.Element("type") is { } type) type.AddAfterSelf(nvram);
        else os.AddFirst(nvram);
    }

    /// <summary>
    /// Gives a defined UEFI domain (its persistent XML) the NVRAM file its rendering names, like <see cref="ApplySerialLog"/>:
    /// not drift, the host's choice of place. True when it changed something. The old file is left where it was; the
    /// firmware starts from its template once, as after a NVRAM reset.
    /// </summary>
    public static bool ApplyNvram(XDocument defined, XDocument expected)
    {
        var want = NvramOf(expected);
        if (want is null || NvramOf(defined) == want || defined.Root?.Element("os") is null)
        {
            return false;
        }
        SetNvram(defined.Root, want);
        return true;
    }

    private static XElement Entry(string name, string value) => new("entry", new XAttribute("name", name), value);

    private static string Mac(Slot slot, string interfaceName) =>
        slot.Identity.MacAddresses.TryGetValue(interfaceName, out var mac)
            ? mac.ToString()
            : throw new ArgumentException($"slot {slot.Name}: no MAC address for interface {interfaceName}", nameof(slot));

    private static XElement VirtioDisk(string file, string format, string target, bool readOnly)
    {
        var disk = new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", format)),
            new XElement("source", new XAttribute("file", file)),
            new XElement("target", new XAttribute("dev", target), new XAttribute("bus", "virtio")));
        if (readOnly)
        {
            disk.Add(new XElement("readonly"));
        }
        return disk;
    }

}

/// <summary>What our metadata element says about a domain.</summary>
internal sealed record SlotMetadata(string SlotName, string HostId, string TemplateHash, BootOverride? BootOverride)
{
    /// <summary>The persistent boot order (the default when none was set).</summary>
    public IReadOnlyList<BootSource> BootOrder { get; init; } = Slots.Runtime.BootOrder.Default;

    /// <summary>The operator's secure-boot choice for the next power-on (null: never set).</summary>
    public bool? SecureBoot { get; init; }

    /// <summary>What the NVRAM was last created for at a start through the BMC (null: never).</summary>
    public bool? NvramSecureBoot { get; init; }
}
