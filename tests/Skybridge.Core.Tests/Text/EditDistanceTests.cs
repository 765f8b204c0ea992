using Skybridge.Core.Text;

namespace Skybridge.Core.Tests.Text;

public sealed class EditDistanceTests
{
    [Theory]
    [InlineData("consequence", "consequence", 0)]
    [InlineData("consequnce", "consequence", 1)]
    [InlineData("conenctor", "connector", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void Compute_CountsEdits_WithAdjacentSwapAsOne(string a, string b, int expected)
    {
        Assert.Equal(expected, EditDistance.Compute(a, b));
    }

    [Fact]
    public void FindNearest_ReturnsClosestCandidate_WhenCloseEnough()
    {
        Assert.Equal("consequence", EditDistance.FindNearest("consequnce", ["connector", "consequence", "name"]));
    }

    [Fact]
    public void FindNearest_ReturnsNull_WhenNothingIsClose()
    {
        Assert.Null(EditDistance.FindNearest("colour", ["connector", "consequence", "name"]));
    }
}
