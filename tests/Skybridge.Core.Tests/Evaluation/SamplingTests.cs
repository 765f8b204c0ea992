using System.Text;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Tests.Evaluation;

public sealed class SamplingTests
{
    private static readonly byte[] Salt = Encoding.UTF8.GetBytes("support-desk-salt-0123456789abcdef");
    private static readonly byte[] OtherSalt = Encoding.UTF8.GetBytes("another-workflow-salt-0123456789");

    private static IEnumerable<string> Ids(int n) => Enumerable.Range(0, n).Select(i => $"case-{i:x16}");

    [Fact]
    public void Decide_SameCase_SameVerdictEveryTime()
    {
        foreach (var id in Ids(500))
        {
            var a = ReviewSampling.Decide(id, Salt, AutonomyLevel.L2ApproveConsequential, 0.2, new RiskSignals(LowConfidence: true));
            var b = ReviewSampling.Decide(id, Salt, AutonomyLevel.L2ApproveConsequential, 0.2, new RiskSignals(LowConfidence: true));
            Assert.Equal(a.Sampled, b.Sampled);
            Assert.Equal(a.Draw, b.Draw);
            Assert.Equal(a.SecondReviewer, b.SecondReviewer);
        }
    }

    [Theory]
    [InlineData(AutonomyLevel.L1ApproveAll)]
    [InlineData(AutonomyLevel.L0Draft)]
    public void Decide_EveryCase_AtL0AndL1(AutonomyLevel level)
    {
        Assert.All(Ids(2_000), id => Assert.True(ReviewSampling.Decide(id, Salt, level, 0, new RiskSignals()).Sampled));
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.2)]
    [InlineData(0.5)]
    public void Decide_HonoursTheBaseRate_Within2PointsOver10000Ids(double rate)
    {
        var sampled = Ids(10_000).Count(id => ReviewSampling.Decide(id, Salt, AutonomyLevel.L2ApproveConsequential, rate, new RiskSignals()).Sampled);
        // Binomial sd at n = 10,000 is at most 0.5 points; 2 points is four of them.
        Assert.InRange(sampled / 10_000.0, rate - 0.02, rate + 0.02);
    }

    [Fact]
    public void Decide_RiskWeights_RaiseTheChance_AndStayCappedAt1()
    {
        int Count(RiskSignals risk) => Ids(10_000).Count(id => ReviewSampling.Decide(id, Salt, AutonomyLevel.L2ApproveConsequential, 0.1, risk).Sampled);
        var plain = Count(new RiskSignals());
        var consequential = Count(new RiskSignals(ConsequentialAction: true));
        Assert.InRange(plain, 800, 1_200);
        Assert.InRange(consequential, 3_600, 4_400);

        var everything = ReviewSampling.Decide("case-1", Salt, AutonomyLevel.L2ApproveConsequential, 0.1, new RiskSignals(true, true, true, true));
        Assert.Equal(1, everything.Rate);
        Assert.Equal(32, everything.Weight);
        Assert.Equal(["consequential_action", "abstained", "low_confidence", "unlike_golden_set"], everything.Reasons);
        Assert.Equal(10_000, Ids(10_000).Count(id => ReviewSampling.Decide(id, Salt, AutonomyLevel.L2ApproveConsequential, 0.1, new RiskSignals(true, true, true, true)).Sampled));
    }

    [Fact]
    public void Decide_RiskyCase_IsSampledWheneverTheSameCaseWithoutRiskIs()
    {
        // The weight scales the threshold over the same draw: adding risk never drops a case.
        foreach (var id in Ids(2_000))
        {
            if (ReviewSampling.Decide(id, Salt, AutonomyLevel.L2ApproveConsequential, 0.1, new RiskSignals()).Sampled)
            {
                Assert.True(ReviewSampling.Decide(id, Salt, AutonomyLevel.L2ApproveConsequential, 0.1, new RiskSignals(Abstained: true)).Sampled);
            }
        }
    }

    [Fact]
    public void Decide_DependsOnTheSalt_SoIdsCannotBeChosenWithoutIt()
    {
        var ids = Ids(2_000).ToList();
        var a = ids.Where(id => ReviewSampling.Decide(id, Salt, AutonomyLevel.L2ApproveConsequential, 0.1, new RiskSignals()).Sampled).ToHashSet();
        var b = ids.Where(id => ReviewSampling.Decide(id, OtherSalt, AutonomyLevel.L2ApproveConsequential, 0.1, new RiskSignals()).Sampled).ToHashSet();
        // Independent 10% samples share about 1% of ids; the same sample would share all.
        Assert.True(a.Intersect(b).Count() < a.Count / 3, $"{a.Intersect(b).Count()} of {a.Count} shared");
    }

    [Fact]
    public void Decide_SecondReviewerShare_IsHonouredAndIndependentOfSampling()
    {
        var seconds = Ids(10_000).Count(id => ReviewSampling.Decide(id, Salt, AutonomyLevel.L1ApproveAll, 0, new RiskSignals(), 0.1).SecondReviewer);
        Assert.InRange(seconds, 800, 1_200);
        Assert.DoesNotContain(Ids(100), id => ReviewSampling.Decide(id, Salt, AutonomyLevel.L1ApproveAll, 0, new RiskSignals(), 0).SecondReviewer);
    }

    [Fact]
    public void Decide_RefusesAShortSaltOrARateOutside0To1()
    {
        Assert.Throws<ArgumentException>(() => ReviewSampling.Decide("case-1", new byte[8], AutonomyLevel.L2ApproveConsequential, 0.1, new RiskSignals()));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReviewSampling.Decide("case-1", Salt, AutonomyLevel.L2ApproveConsequential, 1.5, new RiskSignals()));
    }

    [Fact]
    public void IsLowConfidence_CountsTheMarginAboveTheAbstainThreshold()
    {
        Assert.True(RiskSignals.IsLowConfidence(0.40, 0.35));
        Assert.False(RiskSignals.IsLowConfidence(0.46, 0.35));
    }

    [Fact]
    public void GoldenSimilarity_FlagsACaseSharingFewTerms_NotOneLikeAGoldenCase()
    {
        IReadOnlySet<string>[] golden = [GoldenSimilarity.Terms("How do I reset my password for the billing portal?"), GoldenSimilarity.Terms("Refund for a double charge on my invoice")];
        Assert.False(GoldenSimilarity.IsUnlike("I need to reset the password of my billing portal account", golden));
        Assert.True(GoldenSimilarity.IsUnlike("Quel temps fera-t-il demain à Lyon ?", golden));
        Assert.False(GoldenSimilarity.IsUnlike("anything at all", []));
    }
}
