using Skybridge.Core.Evaluation;

namespace Skybridge.Core.Tests.Evaluation;

public sealed class ComparisonTests
{
    private static CaseScore Score(string id, bool passed, bool consequential = false) =>
        new() { CaseId = id, Passed = passed, Checks = [], InvolvesConsequentialAction = consequential };

    [Fact]
    public void Compare_ListsNewlyFailingAndPassing_AndFlagsSignificantDrop()
    {
        var ids = Enumerable.Range(1, 100).Select(i => $"gs-{i:000}").ToList();
        var baseline = ids.Select(id => Score(id, true)).ToList();
        // Nine cases got worse, one better (which failed before): p = 22/1024, significant even though 91% still pass.
        baseline[99] = Score(ids[99], false);
        var candidate = ids.Select((id, i) => Score(id, i is >= 90 and < 99 ? false : true)).ToList();

        var comparison = RunComparison.Compare(baseline, candidate);

        Assert.Equal(ids[90..99], comparison.NewlyFailing);
        Assert.Equal([ids[99]], comparison.NewlyPassing);
        Assert.Equal((90, 0), (comparison.BothPassing, comparison.BothFailing));
        Assert.Equal(22.0 / 1024, comparison.PValue, 1e-12);
        Assert.True(comparison.SignificantlyWorse);
        Assert.False(comparison.SignificantlyBetter);
    }

    [Fact]
    public void Compare_DoesNotFlag_WhenChangesBalance()
    {
        var baseline = new[] { Score("a", true), Score("b", false), Score("c", true), Score("only-before", true) };
        var candidate = new[] { Score("a", false), Score("b", true), Score("c", true), Score("only-after", false) };

        var comparison = RunComparison.Compare(baseline, candidate);

        Assert.Equal(1.0, comparison.PValue);
        Assert.False(comparison.SignificantlyWorse);
        Assert.Equal(["only-after", "only-before"], comparison.Unpaired);
        Assert.Equal(Metrics.Names, comparison.Deltas.Select(d => d.Metric));
    }

    [Fact]
    public void Combine_PassesACaseOnlyWhenEveryRepeatPassed()
    {
        var repeats = new IReadOnlyList<CaseScore>[]
        {
            [Score("a", true), Score("b", true, consequential: true), Score("c", true, consequential: true)],
            [Score("c", true), Score("b", false), Score("a", true)],
            [Score("a", true), Score("b", true), Score("c", true)],
        };

        var result = PassKResult.Combine(repeats);

        Assert.Equal(3, result.K);
        Assert.Equal(["a", "b", "c"], result.Cases.Select(c => c.CaseId));
        Assert.Equal([true, false, true], result.Cases.Select(c => c.PassedAll));
        Assert.Equal((2, 3), (result.Overall.Successes, result.Overall.Trials));
        Assert.Equal((1, 2), (result.Consequential.Successes, result.Consequential.Trials));
    }
}
