using Skybridge.Core.Evaluation;

namespace Skybridge.Core.Tests.Evaluation;

public sealed class StatisticsTests
{
    // Published Wilson score intervals (no continuity correction): 8/10 is the textbook example; the rest are
    // Newcombe, "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17 (1998), Table I, method 3.
    [Theory]
    [InlineData(8, 10, 0.4902, 0.9433)]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Interval_MatchesPublishedValues_At95Percent(int successes, int n, double lower, double upper)
    {
        var interval = Wilson.Interval(successes, n, 0.95);

        Assert.Equal(lower, interval.Lower, 0.0001);
        Assert.Equal(upper, interval.Upper, 0.0001);
    }

    [Fact]
    public void Interval_WidensWithConfidence_AndStaysInsideZeroToOne()
    {
        var at90 = Wilson.Interval(10, 10, 0.90);
        var at99 = Wilson.Interval(10, 10, 0.99);

        Assert.Equal(1.0, at90.Upper);
        Assert.True(at99.Lower < at90.Lower);
        Assert.Equal(new ProportionInterval(0, 1), Wilson.Interval(0, 0, 0.95));
    }

    [Theory]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.995, 2.5758293035489004)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.05, -1.6448536269514729)]
    [InlineData(1e-10, -6.361340902404056)]
    public void Quantile_MatchesStandardNormalTables(double p, double z) =>
        Assert.Equal(z, Normal.Quantile(p), 1e-9);

    // By hand: 7 cases got worse and 1 better, n = 8; P(X <= 1) = (C(8,0) + C(8,1)) / 2^8 = 9/256, two-sided 18/256.
    [Theory]
    [InlineData(7, 1, 18.0 / 256)]
    [InlineData(1, 7, 18.0 / 256)]
    [InlineData(9, 1, 22.0 / 1024)]
    [InlineData(6, 0, 2.0 / 64)]
    [InlineData(3, 3, 1.0)]
    [InlineData(0, 0, 1.0)]
    public void ExactPValue_MatchesHandComputedBinomialTail(int b, int c, double expected) =>
        Assert.Equal(expected, McNemar.ExactPValue(b, c), 1e-12);

    [Fact]
    public void ExactPValue_StaysFinite_ForThousandsOfDiscordantCases()
    {
        var p = McNemar.ExactPValue(1100, 900);

        Assert.InRange(p, 1e-6, 0.05);
        Assert.Equal(1.0, McNemar.ExactPValue(1000, 1000));
    }
}
