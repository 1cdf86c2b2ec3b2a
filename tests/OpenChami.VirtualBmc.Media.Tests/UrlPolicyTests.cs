using System.Diagnostics;
using System.Net;
using OpenChami.VirtualBmc.Slots.Media;
using Xunit.Abstractions;

namespace OpenChami.VirtualBmc.Media.Tests;

/// <summary>The pure policy: every spelling of an address, every class, the allow-list and the switches.</summary>
public sealed class UrlPolicyTests(ITestOutputHelper output)
{
    private static ImageFetchOptions Options(bool loopback = false, bool privateNets = false, params string[] allowed) =>
        new() { CacheDirectory = "/nonexistent", AllowLoopback = loopback, AllowPrivateNetworks = privateNets, AllowedHosts = allowed };

    /// <summary>Null = allowed; otherwise a substring of the refusal reason.</summary>
    private static string? Evaluate(UrlPolicy policy, string url)
    {
        var target = policy.CheckUrl(new Uri(url), out var refusal);
        if (target is null)
            return refusal;
        return target.Literal is null ? null : policy.CheckAddress(target, target.Literal);
    }

    [Theory]
    [InlineData("file:///etc/passwd", "scheme 'file'")]
    [InlineData("ftp://images.example.org/a.iso", "scheme 'ftp'")]
    [InlineData("gopher://images.example.org/", "scheme 'gopher'")]
    [InlineData("data:text/plain,hello", "scheme 'data'")]
    [InlineData("smb://server/share/a.iso", "scheme 'smb'")]
    [InlineData("nfs://server/a.iso", "scheme 'nfs'")]
    [InlineData("http://user:secret@images.example.org/a.iso", "user information")]
    [InlineData("http://[fe80::1%25eth0]/a.iso", "zone id")]
    public void RefusesSchemesAndUrlShapes(string url, string reason)
    {
        var refusal = Evaluate(new UrlPolicy(Options()), url);
        Assert.NotNull(refusal);
        Assert.Contains(reason, refusal);
        Assert.DoesNotContain("secret", refusal);
    }

    [Theory]
    // loopback in every spelling
    [InlineData("http://127.0.0.1/", "loopback address 127.0.0.1")]
    [InlineData("http://127.0.0.1./", "loopback address 127.0.0.1")]
    [InlineData("http://2130706433/", "loopback address 127.0.0.1")]
    [InlineData("http://0177.0.0.1/", "loopback address 127.0.0.1")]
    [InlineData("http://0177.0000.0000.0001/", "loopback address 127.0.0.1")]
    [InlineData("http://0x7f.0.0.1/", "loopback address 127.0.0.1")]
    [InlineData("http://0x7f000001/", "loopback address 127.0.0.1")]
    [InlineData("http://017700000001/", "loopback address 127.0.0.1")]
    [InlineData("http://127.1/", "loopback address 127.0.0.1")]
    [InlineData("http://127.0.1/", "loopback address 127.0.0.1")]
    [InlineData("http://127.255.255.254/", "loopback address 127.255.255.254")]
    [InlineData("http://[::1]/", "loopback address ::1")]
    [InlineData("http://[0:0:0:0:0:0:0:1]/", "loopback address ::1")]
    [InlineData("http://[::ffff:127.0.0.1]/", "loopback address 127.0.0.1")]
    [InlineData("http://[::ffff:7f00:1]/", "loopback address 127.0.0.1")]
    [InlineData("http://[64:ff9b::7f00:1]/", "loopback address")]
    [InlineData("http://[2002:7f00:1::]/", "loopback address")]
    // cloud metadata / link-local
    [InlineData("http://169.254.169.254/latest/meta-data/", "link-local address 169.254.169.254")]
    [InlineData("http://2852039166/", "link-local address 169.254.169.254")]
    [InlineData("http://0xA9FEA9FE/", "link-local address 169.254.169.254")]
    [InlineData("http://0251.0376.0251.0376/", "link-local address 169.254.169.254")]
    [InlineData("http://[::ffff:169.254.169.254]/", "link-local address 169.254.169.254")]
    [InlineData("http://[fe80::1]/", "link-local address fe80::1")]
    // unspecified
    [InlineData("http://0.0.0.0/", "unspecified address 0.0.0.0")]
    [InlineData("http://0/", "unspecified address 0.0.0.0")]
    [InlineData("http://[::]/", "unspecified address ::")]
    // private networks
    [InlineData("http://10.0.0.1/", "private-network address 10.0.0.1")]
    [InlineData("http://012.0.0.1/", "private-network address 10.0.0.1")]
    [InlineData("http://172.16.0.1/", "private-network address 172.16.0.1")]
    [InlineData("http://172.31.255.255/", "private-network address 172.31.255.255")]
    [InlineData("http://192.168.1.1/", "private-network address 192.168.1.1")]
    [InlineData("http://100.64.0.1/", "private-network address 100.64.0.1")]
    [InlineData("http://100.127.255.254/", "private-network address 100.127.255.254")]
    [InlineData("http://[fc00::1]/", "private-network address fc00::1")]
    [InlineData("http://[fd12:3456::1]/", "private-network address fd12:3456::1")]
    [InlineData("http://[::ffff:10.1.2.3]/", "private-network address 10.1.2.3")]
    // multicast, broadcast, reserved
    [InlineData("http://224.0.0.1/", "multicast address 224.0.0.1")]
    [InlineData("http://239.255.255.250/", "multicast address")]
    [InlineData("http://[ff02::1]/", "multicast address ff02::1")]
    [InlineData("http://255.255.255.255/", "broadcast address 255.255.255.255")]
    [InlineData("http://0xffffffff/", "broadcast address 255.255.255.255")]
    [InlineData("http://240.0.0.1/", "reserved address 240.0.0.1")]
    [InlineData("http://192.0.2.1/", "reserved address 192.0.2.1")]
    [InlineData("http://198.18.0.1/", "reserved address 198.18.0.1")]
    [InlineData("http://[2001:db8::1]/", "reserved address 2001:db8::1")]
    [InlineData("http://[::7f00:1]/", "reserved address")]
    [InlineData("http://[100::1]/", "reserved address 100::1")]
    // malformed numeric hosts never go to DNS
    [InlineData("http://1.2.3.4.5/", "malformed numeric host")]
    [InlineData("http://256.0.0.1/", "malformed numeric host")]
    [InlineData("http://1.2.3.256/", "malformed numeric host")]
    [InlineData("http://4294967296/", "malformed numeric host")]
    [InlineData("http://08.0.0.1/", "malformed numeric host")]
    [InlineData("http://evil.0x7f/", "malformed numeric host")]
    public void RefusesNonPublicAddressesInEverySpelling(string url, string reason)
    {
        var refusal = Evaluate(new UrlPolicy(Options()), url);
        Assert.NotNull(refusal);
        Assert.Contains(reason, refusal);
    }

    [Theory]
    [InlineData("http://8.8.8.8/a.iso")]
    [InlineData("https://134744072/a.iso")]
    [InlineData("http://010.010.010.010/a.iso")]
    [InlineData("http://[2606:4700:4700::1111]/a.iso")]
    [InlineData("http://[::ffff:8.8.8.8]/a.iso")]
    [InlineData("http://100.128.0.1/a.iso")]
    [InlineData("http://172.32.0.1/a.iso")]
    [InlineData("https://images.example.org/a.iso")]
    [InlineData("https://IMAGES.example.org./a.iso")]
    public void AcceptsPublicHosts(string url)
    {
        Assert.Null(Evaluate(new UrlPolicy(Options()), url));
    }

    [Fact]
    public void NumericSpellings_ParseToTheSameAddress()
    {
        var policy = new UrlPolicy(Options());
        foreach (var url in new[] { "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.1/", "http://127.1/", "http://[::ffff:127.0.0.1]/" })
            Assert.Equal(IPAddress.Loopback, policy.CheckUrl(new Uri(url), out _)!.Literal);
        // 010 is octal (8), not decimal 10.
        Assert.Equal(IPAddress.Parse("8.8.8.8"), policy.CheckUrl(new Uri("http://010.010.010.010/"), out _)!.Literal);
    }

    [Fact]
    public void Switches_AllowOnlyTheirOwnClass()
    {
        var loopback = new UrlPolicy(Options(loopback: true));
        Assert.Null(Evaluate(loopback, "http://127.0.0.1/"));
        Assert.Null(Evaluate(loopback, "http://[::1]/"));
        Assert.Contains("link-local", Evaluate(loopback, "http://169.254.169.254/"));
        Assert.Contains("private-network", Evaluate(loopback, "http://10.0.0.1/"));

        var privateNets = new UrlPolicy(Options(privateNets: true));
        Assert.Null(Evaluate(privateNets, "http://10.0.0.1/"));
        Assert.Null(Evaluate(privateNets, "http://[fd00::1]/"));
        Assert.Null(Evaluate(privateNets, "http://100.64.0.1/"));
        Assert.Contains("loopback", Evaluate(privateNets, "http://127.0.0.1/"));
        Assert.Contains("link-local", Evaluate(privateNets, "http://169.254.169.254/"));
        Assert.Contains("unspecified", Evaluate(privateNets, "http://0.0.0.0/"));
    }

    [Fact]
    public void AllowList_CidrAndExactNames()
    {
        var policy = new UrlPolicy(Options(false, false, "10.1.0.0/16", "images.example.org", "2001:db8:1::/48", "192.0.2.7"));
        Assert.Null(Evaluate(policy, "http://10.1.2.3/a.iso"));                   // listed range beats the private class
        Assert.Null(Evaluate(policy, "http://[::ffff:10.1.2.3]/a.iso"));
        Assert.Null(Evaluate(policy, "http://[2001:db8:1::5]/a.iso"));
        Assert.Null(Evaluate(policy, "http://192.0.2.7/a.iso"));                  // single address entry
        Assert.Contains("not in the allow-list", Evaluate(policy, "http://10.2.0.1/a.iso"));
        Assert.Contains("not in the allow-list", Evaluate(policy, "http://8.8.8.8/a.iso"));
        Assert.Contains("not in the allow-list", Evaluate(policy, "http://127.0.0.1/a.iso"));

        var target = policy.CheckUrl(new Uri("https://images.example.org/a.iso"), out _)!;
        Assert.True(target.HostListed);
        Assert.Null(policy.CheckAddress(target, IPAddress.Parse("8.8.4.4")));
        // A listed name does not make its addresses trusted: internal answers still need their class allowed.
        Assert.Contains("loopback", policy.CheckAddress(target, IPAddress.Loopback));
        Assert.Contains("link-local", policy.CheckAddress(target, IPAddress.Parse("169.254.169.254")));
        // An unlisted name may still pass when it resolves into a listed range.
        var other = policy.CheckUrl(new Uri("https://other.example.org/a.iso"), out _)!;
        Assert.Null(policy.CheckAddress(other, IPAddress.Parse("10.1.9.9")));
        Assert.Contains("not in the allow-list", policy.CheckAddress(other, IPAddress.Parse("8.8.8.8")));

        var namesOnly = new UrlPolicy(Options(false, false, "images.example.org"));
        Assert.Contains("not in the allow-list", Evaluate(namesOnly, "https://other.example.org/a.iso"));
        Assert.Null(Evaluate(namesOnly, "https://images.example.org/a.iso"));
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("not a/host")]
    public void AllowList_BadEntriesAreRejected(string entry)
    {
        Assert.Throws<ArgumentException>(() => new UrlPolicy(Options(false, false, entry)));
    }

    [Fact]
    public void SchemeSetting_CanNarrowToHttps()
    {
        var policy = new UrlPolicy(Options() with { AllowedSchemes = ["https"] });
        Assert.Contains("scheme 'http'", Evaluate(policy, "http://8.8.8.8/a.iso"));
        Assert.Null(Evaluate(policy, "https://8.8.8.8/a.iso"));
    }

    [Fact]
    public void PolicyCheck_IsCheap()
    {
        var policy = new UrlPolicy(Options(false, false, "10.1.0.0/16", "images.example.org"));
        var urls = new[] { new Uri("http://0177.0.0.1/a.iso"), new Uri("https://images.example.org/a.iso"), new Uri("http://[::ffff:10.1.2.3]/x") };
        const int n = 30_000;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
            Evaluate(policy, urls[i % urls.Length].OriginalString);
        watch.Stop();
        var micros = watch.Elapsed.TotalMicroseconds / n;
        output.WriteLine($"policy check (Uri parse + host parse + classify): {micros:F2} µs per URL");
        Assert.True(micros < 1000, $"{micros} µs per check");
    }
}
