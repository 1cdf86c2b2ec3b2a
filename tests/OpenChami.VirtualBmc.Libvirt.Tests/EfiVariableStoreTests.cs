using System.Buffers.Binary;
using OpenChami.VirtualBmc.Libvirt;

namespace OpenChami.VirtualBmc.Libvirt.Tests;

/// <summary>
/// The NVRAM writer on Debian's own OVMF variable templates (the `ovmf` package, installed by `make deps`): what it writes
/// reads back as a boot option with a URI device path and BootNext, and nothing else in the store changes.
/// </summary>
public sealed class EfiVariableStoreTests
{
    private const string MsTemplate = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd";
    private const string PlainTemplate = "/usr/share/OVMF/OVMF_VARS_4M.fd";
    private const string Uri = "http://10.0.2.2:8080/boot/ipxe.efi";

    private static readonly string OptionName = $"Boot{EfiVariableStore.HttpBootOption:X4}";

    [Fact]
    public void The_enrolled_template_has_its_secure_boot_keys_and_no_boot_next()
    {
        var store = EfiVariableStore.Parse(File.ReadAllBytes(MsTemplate));
        var names = store.Variables().Select(v => v.Name).ToHashSet();
        Assert.Contains("PK", names);
        Assert.Contains("KEK", names);
        Assert.Contains("db", names);
        Assert.Null(store.Get("BootNext", EfiVariableStore.GlobalVariable));
        Assert.DoesNotContain("PK", EfiVariableStore.Parse(File.ReadAllBytes(PlainTemplate)).Variables().Select(v => v.Name));
    }

    [Theory]
    [InlineData(MsTemplate)]
    [InlineData(PlainTemplate)]
    public void SetHttpBootNext_adds_a_uri_boot_option_and_boot_next_and_keeps_every_other_variable(string template)
    {
        var original = EfiVariableStore.Parse(File.ReadAllBytes(template));
        var store = EfiVariableStore.Parse(File.ReadAllBytes(template));
        store.SetHttpBootNext(Uri);

        var reread = EfiVariableStore.Parse(store.ToArray());
        var option = reread.Get(OptionName, EfiVariableStore.GlobalVariable);
        Assert.NotNull(option);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(option)); // LOAD_OPTION_ACTIVE
        Assert.Equal(Uri, EfiVariableStore.UriOf(option));
        Assert.Equal(EfiVariableStore.HttpBootOption, BinaryPrimitives.ReadUInt16LittleEndian(reread.Get("BootNext", EfiVariableStore.GlobalVariable)));
        Assert.Equal(7u, reread.Variables().Single(v => v.Name == "BootNext").Attributes);
        var others = reread.Variables().Where(v => v.Name != OptionName && v.Name != "BootNext").ToList();
        Assert.Equal(original.Variables().Count, others.Count);
        Assert.All(original.Variables().Zip(others), p => Assert.Equal((p.First.Name, p.First.Vendor, Convert.ToHexString(p.First.Data)), (p.Second.Name, p.Second.Vendor, Convert.ToHexString(p.Second.Data))));
        Assert.Equal(File.ReadAllBytes(template).Length, store.ToArray().Length);
    }

    [Fact]
    public void A_second_uri_replaces_the_first_so_one_option_and_one_boot_next_are_live()
    {
        var store = EfiVariableStore.Parse(File.ReadAllBytes(MsTemplate));
        store.SetHttpBootNext(Uri);
        store.SetHttpBootNext("https://boot.example.org/other.efi");
        var live = store.Variables();
        Assert.Single(live, v => v.Name == OptionName);
        Assert.Single(live, v => v.Name == "BootNext");
        Assert.Equal("https://boot.example.org/other.efi", EfiVariableStore.UriOf(store.Get(OptionName, EfiVariableStore.GlobalVariable)!));
    }

    [Fact]
    public void A_full_store_is_reclaimed_like_the_firmware_does_and_keeps_its_live_variables()
    {
        var store = EfiVariableStore.Parse(File.ReadAllBytes(PlainTemplate));
        var before = store.Variables();
        // Thousands of boots' worth of replaced options fill the store with deleted copies; every write still fits.
        for (var i = 0; i < 3000; i++)
        {
            store.SetHttpBootNext($"http://10.0.2.2/{i}/{new string('x', 200)}.efi");
        }
        var after = store.Variables();
        Assert.Equal(before.Count + 2, after.Count);
        Assert.Equal($"http://10.0.2.2/2999/{new string('x', 200)}.efi", EfiVariableStore.UriOf(store.Get(OptionName, EfiVariableStore.GlobalVariable)!));
        Assert.All(before, v => Assert.Equal(v.Data, store.Get(v.Name, v.Vendor)));
    }

    [Theory]
    [InlineData("ftp://10.0.2.2/boot.efi")]
    [InlineData("/boot.efi")]
    [InlineData("http://10.0.2.2/boot efi")]
    [InlineData("http://10.0.2.2/bööt.efi")]
    public void Only_absolute_http_uris_in_printable_ascii_are_written(string uri)
    {
        var image = File.ReadAllBytes(MsTemplate);
        var store = EfiVariableStore.Parse(image);
        Assert.Throws<ArgumentException>(() => store.SetHttpBootNext(uri));
        Assert.Equal(image, store.ToArray());
    }

    [Fact]
    public void Anything_but_an_ovmf_variable_store_is_refused()
    {
        Assert.Throws<FormatException>(() => EfiVariableStore.Parse(new byte[4096]));
        Assert.Throws<FormatException>(() => EfiVariableStore.Parse(File.ReadAllBytes("/usr/share/OVMF/OVMF_CODE_4M.fd")));
        var truncated = File.ReadAllBytes(PlainTemplate)[..1024];
        Assert.Throws<FormatException>(() => EfiVariableStore.Parse(truncated));
        var corrupt = File.ReadAllBytes(MsTemplate);
        BinaryPrimitives.WriteUInt32LittleEndian(corrupt.AsSpan(72 + 28 + 36), 0x7FFF_FFFF); // first variable's NameSize
        Assert.Throws<FormatException>(() => EfiVariableStore.Parse(corrupt).Variables());
    }
}
