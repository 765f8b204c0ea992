using Skybridge.Core.Grounding;

namespace Skybridge.Core.Tests.Grounding;

/// <summary>A figure in an abstention's reason never reads as the bar it missed.</summary>
public sealed class ReasonFiguresTests
{
    [Theory]
    [InlineData(0.16, 0.30, "0.16")]
    [InlineData(0.2949, 0.30, "0.29")]
    [InlineData(0.2997, 0.30, "0.2997")]
    [InlineData(0.29951, 0.30, "0.2995")]
    [InlineData(0.3004, 0.30, "0.3004")]
    [InlineData(0.30, 0.30, "0.30")]
    [InlineData(1.0, 0.35, "1.00")]
    public void Beside_WritesTwoDecimals_OrAsManyMoreAsItTakesNotToReadAsTheBar(double value, double bar, string expected) =>
        Assert.Equal(expected, ReasonFigures.Beside(value, bar));

    [Fact]
    public void Bar_IsTwoDecimals_InEveryCulture()
    {
        var before = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.Equal("0.30", ReasonFigures.Bar(0.3));
            Assert.Equal("0.2997", ReasonFigures.Beside(0.2997, 0.3));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = before;
        }
    }
}
