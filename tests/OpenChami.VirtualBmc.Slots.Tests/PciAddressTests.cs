namespace OpenChami.VirtualBmc.Slots.Tests;

public sealed class PciAddressTests
{
    [Theory]
    [InlineData("0000:81:00.0", "0000:81:00.0")]
    [InlineData("0000:BC:01.7", "0000:bc:01.7")]
    public void Parse_AcceptsKernelForm(string text, string canonical) => Assert.Equal(canonical, PciAddress.Parse(text).ToString());

    [Theory]
    [InlineData("81:00.0")]
    [InlineData("0000:81:00")]
    [InlineData("0000:81:20.0")]
    [InlineData("0000:81:00.8")]
    [InlineData("0000-81-00.0")]
    [InlineData("")]
    public void TryParse_RejectsOtherSpellings(string text) => Assert.False(PciAddress.TryParse(text, out _));

    [Fact]
    public void Ordering_FollowsDomainBusDeviceFunction() =>
        Assert.True(PciAddress.Parse("0000:18:00.0") < PciAddress.Parse("0000:18:00.1") && PciAddress.Parse("0000:19:00.0") > PciAddress.Parse("0000:18:1f.7"));
}
