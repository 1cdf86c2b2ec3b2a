using System.Xml.Linq;
using OpenChami.VirtualBmc.Slots;
using OpenChami.VirtualBmc.Slots.Catalog;
using OpenChami.VirtualBmc.Slots.Runtime;
using OpenChami.VirtualBmc.TestSupport;

namespace OpenChami.VirtualBmc.Libvirt.Tests;

public sealed class DomainXmlTests
{
    /// <summary>Set to 1 to rewrite the golden files from the current renderer (then review the diff).</summary>
    private const string UpdateVariable = "VBMC_UPDATE_GOLDEN";

    private static string GoldenDir => Path.Combine(RepoPaths.Root, "tests", "OpenChami.VirtualBmc.Libvirt.Tests", "Golden");

    public static TheoryData<string> DemoSlots => new(TestSlots.DemoSite.Slots.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(DemoSlots))]
    public void Demo_slot_renders_as_the_golden_file(string slotName)
    {
        var slot = TestSlots.DemoSite.FindSlot(slotName)!;
        var options = new DomainRenderOptions("kvm", TestSlots.DemoSite.Host.HostId, ManagedHostdevs: false);
        var rendered = DomainXml.Render(slot, TestSlots.Placement(slot), options).ToString() + "\n";
        var golden = Path.Combine(GoldenDir, slotName + ".xml");
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(golden, rendered);
        }
        Assert.True(File.Exists(golden), $"missing golden file {golden}; run once with {UpdateVariable}=1 and review it");
        Assert.Equal(File.ReadAllText(golden), rendered);
    }

    [Fact]
    public void Rendering_carries_identity_numa_devices_and_the_empty_cdrom()
    {
        var slot = TestSlots.DemoSite.FindSlot("slot1")!;
        var placement = TestSlots.Placement(slot);
        var root = DomainXml.Render(slot, placement, TestSlots.Options("x-")).Root!;
        Assert.Equal("x-slot1", root.Element("name")!.Value);
        Assert.Equal(slot.Identity.Uuid.ToString(), root.Element("uuid")!.Value);
        Assert.Equal((128L * 1024 * 1024).ToString(), root.Element("memory")!.Value);
        Assert.Equal("1048576", root.Element("memoryBacking")!.Element("hugepages")!.Element("page")!.Attribute("size")!.Value);
        Assert.Equal(slot.Template.Cpu.Cores.ToString(), root.Element("vcpu")!.Value);
        var pins = root.Element("cputune")!.Elements("vcpupin").ToList();
        Assert.Equal(slot.Template.Cpu.Cores, pins.Count);
        Assert.Equal(placement.Cpus.Select(c => c.ToString()), pins.Select(p => p.Attribute("cpuset")!.Value));
        var numa = root.Element("numatune")!.Element("memory")!;
        Assert.Equal("strict", numa.Attribute("mode")!.Value);
        Assert.Equal("0", numa.Attribute("nodeset")!.Value);

        var devices = root.Element("devices")!;
        var cdrom = devices.Elements("disk").Single();
        Assert.Equal("cdrom", cdrom.Attribute("device")!.Value);
        Assert.Null(cdrom.Element("source"));
        Assert.Equal("sata", cdrom.Element("target")!.Attribute("bus")!.Value);
        Assert.NotNull(cdrom.Element("readonly"));

        var gpus = devices.Elements("hostdev").Select(h => DomainXml.ParsePciAddress(h.Element("source")!.Element("address"))).ToList();
        Assert.Equal([placement.Devices["gpu0"], placement.Devices["gpu1"]], gpus.Select(g => g!.Value));
        var vfs = devices.Elements("interface").Where(i => i.Attribute("type")!.Value == "hostdev").ToList();
        Assert.Equal(2, vfs.Count);
        Assert.Equal(slot.Identity.MacAddresses["hsn0"].ToString(), vfs[0].Element("mac")!.Attribute("address")!.Value);
        Assert.Equal(placement.Devices["data0"], DomainXml.ParsePciAddress(vfs[1].Element("source")!.Element("address")));
        var mgmt = devices.Elements("interface").Single(i => i.Attribute("type")!.Value == "network");
        Assert.Equal(slot.Identity.MacAddresses["mgmt0"].ToString(), mgmt.Element("mac")!.Attribute("address")!.Value);
        Assert.Equal("virtio", mgmt.Element("model")!.Attribute("type")!.Value);
        Assert.NotNull(devices.Element("console"));

        var system = root.Element("sysinfo")!.Element("system")!;
        string Entry(string name) => system.Elements("entry").Single(e => e.Attribute("name")!.Value == name).Value;
        Assert.Equal(slot.Identity.Uuid.ToString(), Entry("uuid"));
        Assert.Equal($"ds=nocloud-net;s={slot.CloudInit!.MetadataUrl.AbsoluteUri};i={slot.CloudInit.InstanceId}", Entry("serial"));
        Assert.Equal("sysinfo", root.Element("os")!.Element("smbios")!.Attribute("mode")!.Value);
        Assert.Equal(["hd", "network"], root.Element("os")!.Elements("boot").Select(b => b.Attribute("dev")!.Value));

        var metadata = DomainXml.ParseMetadata(root.Element("metadata")!.Elements().Single().ToString());
        Assert.Equal(new SlotMetadata("slot1", TestSlots.DemoSite.Host.HostId, DomainXml.TemplateHash(slot, placement, TestSlots.Options("x-")), null), metadata);
    }

    [Fact]
    public void Serial_log_and_boot_disk_options_render_and_are_off_by_default()
    {
        var slot = TestSlots.DemoSite.FindSlot("slot0")!;
        var placement = TestSlots.Placement(slot);
        var plain = DomainXml.Render(slot, placement, TestSlots.Options("x-")).Root!.Element("devices")!;
        Assert.Null(plain.Element("serial")!.Element("log"));
        Assert.Single(plain.Elements("disk"));

        var options = TestSlots.Options("x-") with { SerialLogDirectory = "/var/log/vbmc", BootDiskImage = "/images/boot.img" };
        var devices = DomainXml.Render(slot, placement, options).Root!.Element("devices")!;
        var log = devices.Element("serial")!.Element("log")!;
        Assert.Equal("/var/log/vbmc/x-slot0.serial.log", log.Attribute("file")!.Value);
        Assert.Equal("off", log.Attribute("append")!.Value);
        Assert.Equal("/var/log/vbmc/x-slot0.serial.log", options.SerialLogPath("slot0"));
        // libvirt wants <log> before <target> inside the character device.
        Assert.Equal(["log", "target"], devices.Element("serial")!.Elements().Select(e => e.Name.LocalName));
        var disk = devices.Elements("disk").Single(d => d.Attribute("device")!.Value == "disk");
        Assert.Equal("/images/boot.img", disk.Element("source")!.Attribute("file")!.Value);
        Assert.Equal("virtio", disk.Element("target")!.Attribute("bus")!.Value);
        Assert.NotNull(disk.Element("readonly"));
        Assert.NotEqual(DomainXml.TemplateHash(slot, placement, TestSlots.Options("x-")), DomainXml.TemplateHash(slot, placement, options));
        // The serial log is the host's choice, not the template's: it does not change the hash (no drift when it is set).
        Assert.Equal(DomainXml.TemplateHash(slot, placement, TestSlots.Options("x-")),
            DomainXml.TemplateHash(slot, placement, TestSlots.Options("x-") with { SerialLogDirectory = "/var/log/vbmc" }));

        Assert.Throws<ArgumentException>(() => DomainXml.Render(slot, placement, TestSlots.Options("x-") with { SerialLogDirectory = "relative" }));
        Assert.Throws<ArgumentException>(() => DomainXml.Render(slot, placement, TestSlots.Options("x-") with { BootDiskImage = "boot.img" }));
    }

    [Fact]
    public void ApplySerialLog_sets_changes_and_removes_the_log_of_a_defined_domain()
    {
        var slot = TestSlots.DemoSite.FindSlot("slot0")!;
        var placement = TestSlots.Placement(slot);
        XDocument Rendered(string? dir) => DomainXml.Render(slot, placement, TestSlots.Options("x-") with { SerialLogDirectory = dir });
        string? LogFile(XDocument d) => d.Root!.Element("devices")!.Element("serial")!.Element("log")?.Attribute("file")?.Value;

        var defined = Rendered(null);
        Assert.False(DomainXml.ApplySerialLog(defined, Rendered(null)));
        Assert.True(DomainXml.ApplySerialLog(defined, Rendered("/var/log/a")));
        Assert.Equal("/var/log/a/x-slot0.serial.log", LogFile(defined));
        Assert.Equal(["log", "target"], defined.Root!.Element("devices")!.Element("serial")!.Elements().Select(e => e.Name.LocalName));
        Assert.False(DomainXml.ApplySerialLog(defined, Rendered("/var/log/a")));
        Assert.True(DomainXml.ApplySerialLog(defined, Rendered("/var/log/b")));
        Assert.Equal("/var/log/b/x-slot0.serial.log", LogFile(defined));
        Assert.True(DomainXml.ApplySerialLog(defined, Rendered(null)));
        Assert.Null(LogFile(defined));
        Assert.Equal(Rendered(null).ToString(), defined.ToString());
    }

    [Fact]
    public void NoCloud_serial_follows_cloud_inits_format()
    {
        Assert.Equal("ds=nocloud-net;s=http://10.0.0.1:8000/ci/;i=iid-1",
            DomainXml.NoCloudSerial(new CloudInitDatasource(new Uri("http://10.0.0.1:8000/ci"), "iid-1")));
        Assert.Equal("ds=nocloud;s=file:///seed/;i=a%3Bb",
            DomainXml.NoCloudSerial(new CloudInitDatasource(new Uri("file:///seed/"), "a;b")));
    }

    [Fact]
    public void Boot_override_changes_order_and_metadata_not_the_template_hash()
    {
        var slot = TestSlots.DemoSite.Slots[0];
        var placement = TestSlots.Placement(slot);
        var options = TestSlots.Options("x-");
        var pxe = new BootOverride(BootSource.Pxe, BootOverrideEnabled.Once, BootMode.Uefi);
        var root = DomainXml.Render(slot, placement, options, pxe).Root!;
        Assert.Equal(["network", "hd"], root.Element("os")!.Elements("boot").Select(b => b.Attribute("dev")!.Value));
        Assert.Equal(pxe, DomainXml.ParseMetadata(root.Element("metadata")!.Elements().Single().ToString())!.BootOverride);
        Assert.Equal(["cdrom", "hd", "network"], DomainXml.BootOrder(pxe with { Target = BootSource.Cd }));
        Assert.Equal(["hd", "network"], DomainXml.BootOrder(pxe with { Enabled = BootOverrideEnabled.Disabled }));

        var other = slot with { Template = slot.Template with { Cpu = slot.Template.Cpu with { Cores = 8 } } };
        Assert.NotEqual(DomainXml.TemplateHash(slot, placement, options), DomainXml.TemplateHash(other, placement with { Cpus = placement.Cpus.Take(8).ToList() }, options));
    }

    [Fact]
    public void Boot_order_is_kept_in_the_metadata_and_an_override_goes_before_it()
    {
        IReadOnlyList<BootSource> order = [BootSource.Cd, BootSource.Hdd];
        var metadata = DomainXml.Metadata(new SlotMetadata("slot0", "host", "hash", null) { BootOrder = order });
        Assert.Equal(order, DomainXml.ParseMetadata(metadata.ToString())!.BootOrder);
        // The default is not written; an order we would not have written reads as the default.
        Assert.Null(DomainXml.Metadata(new SlotMetadata("slot0", "host", "hash", null) { BootOrder = BootOrder.Default }).Elements().FirstOrDefault());
        foreach (var written in new[] { "Cd,Cd", "Hdd,Floppy", "", "UefiHttp" })
        {
            var tampered = new XElement(metadata);
            tampered.Elements().Single().Attribute("devices")!.Value = written;
            Assert.Equal(BootOrder.Default, DomainXml.ParseMetadata(tampered.ToString())!.BootOrder);
        }

        var pxe = new BootOverride(BootSource.Pxe, BootOverrideEnabled.Once, BootMode.Uefi);
        Assert.Equal(["network", "cdrom", "hd"], DomainXml.BootOrder(pxe, order));
        Assert.Equal(["network", "cdrom", "hd"], DomainXml.BootOrder(pxe with { Target = BootSource.UefiHttp }, order));
        Assert.Equal(["cdrom", "hd"], DomainXml.BootOrder(pxe with { Target = BootSource.Cd }, order));
        Assert.Equal(["cdrom", "hd"], DomainXml.BootOrder(null, order));
    }

    [Fact]
    public void Firmware_settings_write_the_boot_menu_and_read_back_with_the_loader()
    {
        var slot = TestSlots.DemoSite.Slots[0];
        var xml = DomainXml.Render(slot, TestSlots.Placement(slot), TestSlots.Options("x-"));
        // A UEFI slot whose template does not pin secure boot asks for it off.
        Assert.Equal(new FirmwareView(FirmwareSettings.Default, null, false) { SecureBootRequested = false }, DomainXml.FirmwareOf(xml));

        DomainXml.SetFirmwareSettings(xml, new FirmwareSettings(true, 7));
        var menu = xml.Root!.Element("os")!.Element("bootmenu")!;
        Assert.Equal(("yes", "7000"), (menu.Attribute("enable")!.Value, menu.Attribute("timeout")!.Value));
        Assert.Equal(new FirmwareSettings(true, 7), DomainXml.FirmwareOf(xml).Settings);

        xml.Root!.Element("os")!.Add(new XElement("loader", new XAttribute("secure", "yes"), "/usr/share/OVMF/OVMF_CODE_4M.ms.fd"));
        Assert.Equal(("/usr/share/OVMF/OVMF_CODE_4M.ms.fd", true), (DomainXml.FirmwareOf(xml).Loader, DomainXml.FirmwareOf(xml).SecureBoot));

        DomainXml.SetFirmwareSettings(xml, FirmwareSettings.Default);
        Assert.Null(xml.Root!.Element("os")!.Element("bootmenu"));
    }

    private static string Features(XElement root) =>
        string.Join(",", root.Element("os")!.Element("firmware")?.Elements("feature").Select(f => $"{f.Attribute("name")!.Value}={f.Attribute("enabled")!.Value}") ?? [])
        + "|smm=" + (root.Element("features")!.Element("smm")?.Attribute("state")?.Value ?? "none");

    [Fact]
    public void Secure_boot_asks_firmware_autoselection_for_enrolled_keys_and_smm_and_back()
    {
        var slot = TestSlots.DemoSite.Slots.First(s => s.Template.Firmware == Firmware.Uefi);
        var xml = DomainXml.Render(slot, TestSlots.Placement(slot), TestSlots.Options("x-"));
        var root = xml.Root!;
        Assert.Equal("enrolled-keys=no,secure-boot=no|smm=none", Features(root));
        Assert.False(DomainXml.SetSecureBoot(root, false));

        // A loader and NVRAM template libvirt resolved for the old setting are dropped, so the next start selects again.
        root.Element("os")!.Element("firmware")!.AddAfterSelf(
            new XElement("loader", new XAttribute("secure", "no"), "/usr/share/OVMF/OVMF_CODE_4M.fd"),
            new XElement("nvram", new XAttribute("template", "/usr/share/OVMF/OVMF_VARS_4M.fd"), "/var/lib/libvirt/qemu/nvram/x_VARS.fd"));
        Assert.True(DomainXml.SetSecureBoot(root, true));
        Assert.Equal("enrolled-keys=yes,secure-boot=yes|smm=on", Features(root));
        Assert.Null(root.Element("os")!.Element("loader"));
        Assert.Equal("/var/lib/libvirt/qemu/nvram/x_VARS.fd", root.Element("os")!.Element("nvram")!.Value);
        Assert.Null(root.Element("os")!.Element("nvram")!.Attribute("template"));
        Assert.Equal(["type", "firmware"], root.Element("os")!.Elements().Take(2).Select(e => e.Name.LocalName));
        Assert.False(DomainXml.SetSecureBoot(root, true));
        Assert.Equal((true, true), (DomainXml.FirmwareOf(xml).SecureBoot, DomainXml.FirmwareOf(xml).SecureBootRequested == true));

        // QEMU's resolved loader is the truth when there is one.
        root.Element("os")!.Element("firmware")!.AddAfterSelf(new XElement("loader", new XAttribute("secure", "no"), "/usr/share/OVMF/OVMF_CODE_4M.fd"));
        Assert.False(DomainXml.FirmwareOf(xml).SecureBoot);

        Assert.True(DomainXml.SetSecureBoot(root, false));
        Assert.Equal("enrolled-keys=no,secure-boot=no|smm=none", Features(root));
        Assert.Null(root.Element("os")!.Element("loader"));
    }

    [Fact]
    public void A_uefi_slot_keeps_its_nvram_in_its_state_directory_outside_the_template_hash_and_applied_to_defined_domains()
    {
        var uefi = TestSlots.DemoSite.Slots.First(s => s.Template.Firmware == Firmware.Uefi);
        var bios = uefi with { Template = uefi.Template with { Firmware = Firmware.Bios } };
        var placement = TestSlots.Placement(uefi);
        var options = TestSlots.Options("x-") with { StateDirectory = "/var/lib/openchami-vbmc" };

        var rendered = DomainXml.Render(uefi, placement, options);
        Assert.Equal($"/var/lib/openchami-vbmc/slots/{uefi.Name}/nvram.fd", DomainXml.NvramOf(rendered));
        Assert.Equal(["type", "firmware", "nvram"], rendered.Root!.Element("os")!.Elements().Take(3).Select(e => e.Name.LocalName));
        Assert.Null(DomainXml.NvramOf(DomainXml.Render(bios, placement, options)));
        Assert.Null(DomainXml.NvramOf(DomainXml.Render(uefi, placement, options with { StateDirectory = null })));

        // A domain defined before (libvirt's default NVRAM place) gets the rendered one; applying twice changes nothing.
        var defined = DomainXml.Render(uefi, placement, options);
        defined.Root!.Element("os")!.Element("nvram")!.Value = "/var/lib/libvirt/qemu/nvram/x-slot_VARS.fd";
        Assert.True(DomainXml.ApplyNvram(defined, rendered));
        Assert.Equal(DomainXml.NvramOf(rendered), DomainXml.NvramOf(defined));
        Assert.Single(defined.Root!.Element("os")!.Elements("nvram"));
        Assert.False(DomainXml.ApplyNvram(defined, rendered));
        var biosDefined = DomainXml.Render(bios, placement, options);
        Assert.False(DomainXml.ApplyNvram(biosDefined, DomainXml.Render(bios, placement, options)));
    }

    [Fact]
    public void Secure_boot_pinned_by_the_template_is_template_the_operators_choice_is_not()
    {
        var slot = TestSlots.DemoSite.Slots.First(s => s.Template.Firmware == Firmware.Uefi);
        var placement = TestSlots.Placement(slot);
        var options = TestSlots.Options("x-");
        var pinned = slot with { Template = slot.Template with { SecureBoot = true } };
        Assert.Equal("enrolled-keys=yes,secure-boot=yes|smm=on", Features(DomainXml.Render(pinned, placement, options).Root!));
        Assert.NotEqual(DomainXml.TemplateHash(slot, placement, options), DomainXml.TemplateHash(pinned, placement, options));
        var off = slot with { Template = slot.Template with { SecureBoot = false } };
        Assert.NotEqual(DomainXml.TemplateHash(slot, placement, options), DomainXml.TemplateHash(off, placement, options));

        var bios = slot with { Template = slot.Template with { Firmware = Firmware.Bios } };
        var biosRoot = DomainXml.Render(bios, placement, options).Root!;
        Assert.Null(biosRoot.Element("os")!.Element("firmware"));
        Assert.Null(biosRoot.Element("os")!.Attribute("firmware"));

        // The operator's choice and what the NVRAM was made for live in the metadata; never set, nothing is written.
        var metadata = DomainXml.Metadata(new SlotMetadata("slot0", "host", "hash", null) { SecureBoot = true, NvramSecureBoot = false });
        var parsed = DomainXml.ParseMetadata(metadata.ToString())!;
        Assert.Equal((true, false), (parsed.SecureBoot, parsed.NvramSecureBoot));
        var never = DomainXml.ParseMetadata(DomainXml.Metadata(new SlotMetadata("slot0", "host", "hash", null)).ToString())!;
        Assert.Equal((null, null), (never.SecureBoot, never.NvramSecureBoot));
        Assert.Empty(DomainXml.Metadata(new SlotMetadata("slot0", "host", "hash", null)).Elements());
    }

    [Fact]
    public void Cpu_sets_compress_and_parse()
    {
        Assert.Equal("0-3,8,10-11", DomainXml.CpuSet([3, 1, 2, 0, 8, 11, 10]));
        Assert.Equal([0, 1, 3, 8], DomainXml.ParseCpuSet("0-3,^2,8"));
        var slot = TestSlots.DemoSite.Slots[2];
        var wide = new SlotPlacement(Enumerable.Range(64, 60).ToList(), TestSlots.Placement(slot).Devices);
        var pins = DomainXml.Render(slot, wide, TestSlots.Options("x-")).Root!.Element("cputune")!.Elements("vcpupin");
        Assert.All(pins, p => Assert.Equal("64-123", p.Attribute("cpuset")!.Value));
    }

    [Fact]
    public void Every_demo_slot_defines_and_starts_on_the_test_driver_without_drift()
    {
        using var conn = LibvirtConnection.Open("test:///default");
        var options = TestSlots.Options(TestSlots.UniquePrefix());
        foreach (var template in TestSlots.DemoSite.Slots)
        {
            var slot = template with { Identity = template.Identity with { Uuid = Guid.NewGuid() } };
            var expected = DomainXml.Render(slot, TestSlots.Placement(slot), options);
            using var dom = conn.Define(expected.ToString());
            try
            {
                dom.Create();
                Assert.Equal(DomainRunState.Running, dom.GetState().State);
                Assert.Empty(DomainDrift.Compare(expected, XDocument.Parse(dom.GetXmlDesc(inactive: true))));
                dom.Destroy();
            }
            finally
            {
                dom.Undefine(removeNvram: false);
            }
        }
    }

    [Fact]
    public void Drift_lists_each_changed_aspect()
    {
        var slot = TestSlots.DemoSite.Slots[1];
        var placement = TestSlots.Placement(slot);
        var expected = DomainXml.Render(slot, placement, TestSlots.Options("x-"));
        var actual = new XDocument(expected);
        var root = actual.Root!;
        root.Element("vcpu")!.Value = "4";
        root.Element("memory")!.Value = "1024";
        root.Element("numatune")!.Element("memory")!.SetAttributeValue("nodeset", "1");
        root.Element("cputune")!.Elements("vcpupin").First().SetAttributeValue("cpuset", "99");
        root.Element("devices")!.Elements("hostdev").First().Remove();
        var drift = DomainDrift.Compare(expected, actual);
        Assert.Equal(["vcpus", "memory KiB", "numa memory", "vcpu pinning", "pci hostdevs"], drift.Select(d => d.Aspect));
        Assert.Equal(new DriftItem("vcpus", "16", "4"), drift[0]);
        Assert.Empty(DomainDrift.Compare(expected, new XDocument(expected)));
    }

    [Fact]
    public void With_a_state_directory_a_slot_with_an_image_gets_its_overlay_and_a_local_seed_slot_its_seed()
    {
        var withImage = TestSlots.DemoSite.FindSlot("slot0")!;
        var seeded = withImage with { Template = withImage.Template with { CloudInit = new CloudInitTemplate(true, "#cloud-config\n", null) } };
        var diskless = withImage with { Image = null };
        var options = TestSlots.Options("x-") with { StateDirectory = "/var/lib/openchami-vbmc" };

        var disks = DomainXml.Render(seeded, TestSlots.Placement(seeded), options).Root!.Element("devices")!.Elements("disk")
            .Where(d => d.Attribute("device")!.Value == "disk").ToList();
        Assert.Equal(2, disks.Count);
        Assert.Equal("/var/lib/openchami-vbmc/slots/slot0/root.qcow2", disks[0].Element("source")!.Attribute("file")!.Value);
        Assert.Equal("qcow2", disks[0].Element("driver")!.Attribute("type")!.Value);
        Assert.Equal("vda", disks[0].Element("target")!.Attribute("dev")!.Value);
        Assert.Null(disks[0].Element("readonly"));
        Assert.Equal("/var/lib/openchami-vbmc/slots/slot0/seed.iso", disks[1].Element("source")!.Attribute("file")!.Value);
        Assert.Equal("vdb", disks[1].Element("target")!.Attribute("dev")!.Value);
        Assert.NotNull(disks[1].Element("readonly"));

        Assert.DoesNotContain(DomainXml.Render(diskless, TestSlots.Placement(diskless), options).Root!.Element("devices")!.Elements("disk"),
            d => d.Attribute("device")!.Value == "disk");
        Assert.NotEqual(DomainXml.TemplateHash(withImage, TestSlots.Placement(withImage), options),
            DomainXml.TemplateHash(diskless, TestSlots.Placement(diskless), options));
        Assert.Throws<ArgumentException>(() => DomainXml.Render(withImage, TestSlots.Placement(withImage), options with { BootDiskImage = "/tmp/x.img" }));
    }
}
