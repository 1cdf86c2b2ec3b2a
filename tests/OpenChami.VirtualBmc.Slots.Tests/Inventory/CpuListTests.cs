using OpenChami.VirtualBmc.Slots.Inventory;

namespace OpenChami.VirtualBmc.Slots.Tests.Inventory;

public sealed class CpuListTests
{
    [Theory]
    [InlineData("0-31,64-95", 64, 0, 95, 32)]
    [InlineData("0", 1, 0, 0, 1)]
    [InlineData("0-1\n", 2, 0, 1, 2)]
    [InlineData("", 0, -1, -1, 0)]
    [InlineData("3,x,5-4,7", 2, 3, 7, 5)]
    public void Parses_kernel_lists(string text, int count, int min, int max, int absent)
    {
        var set = CpuList.Parse(text);

        Assert.Equal(count, set.Count);
        if (count > 0)
        {
            Assert.Equal(min, set.Min());
            Assert.Equal(max, set.Max());
        }
        Assert.DoesNotContain(absent, set);
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2, 5 }, "0-2,5")]
    [InlineData(new[] { 7 }, "7")]
    [InlineData(new int[0], "")]
    [InlineData(new[] { 3, 1, 2, 2 }, "1-3")]
    public void Formats_ranges_and_round_trips(int[] cpus, string text)
    {
        Assert.Equal(text, CpuList.Format(cpus));
        Assert.Equal(cpus.Distinct().Order(), CpuList.Parse(text).Order());
    }
}
