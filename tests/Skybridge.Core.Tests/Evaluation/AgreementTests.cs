using Skybridge.Core.Evaluation;

namespace Skybridge.Core.Tests.Evaluation;

public sealed class AgreementTests
{
    private static List<(T, T)> Pairs<T>(params (T A, T B, int Count)[] cells) => [.. cells.SelectMany(c => Enumerable.Repeat((c.A, c.B), c.Count))];

    [Fact]
    public void CohensKappa_MatchesTheWorkedExample_OfFiftyGrantProposals()
    {
        // The worked example of Cohen's kappa in Wikipedia's article: 50 proposals, both yes 20, both no 15, A yes and B
        // no 5, A no and B yes 10: p_o = 0.7, p_e = 0.5, kappa = 0.4.
        var result = Agreement.CohensKappa(Pairs(("yes", "yes", 20), ("yes", "no", 5), ("no", "yes", 10), ("no", "no", 15)));
        Assert.Equal(0.7, result.Observed, 10);
        Assert.Equal(0.5, result.Expected, 10);
        Assert.Equal(0.4, result.Kappa!.Value, 10);
        Assert.Equal(50, result.Items);
    }

    [Fact]
    public void CohensKappa_MatchesAThreeCategoryExample()
    {
        // Three categories (as correctness has): 100 items, diagonal 40/20/10; p_o = 0.70; marginals A = 50/30/20,
        // B = 45/35/20, so p_e = 0.225 + 0.105 + 0.04 = 0.37 and kappa = 0.33/0.63.
        var result = Agreement.CohensKappa(Pairs(
            ("c", "c", 40), ("c", "p", 5), ("c", "w", 5),
            ("p", "c", 5), ("p", "p", 20), ("p", "w", 5),
            ("w", "c", 0), ("w", "p", 10), ("w", "w", 10)));
        Assert.Equal(0.70, result.Observed, 10);
        Assert.Equal(0.37, result.Expected, 10);
        Assert.Equal(0.33 / 0.63, result.Kappa!.Value, 10);
    }

    [Fact]
    public void CohensKappa_IsUndefined_WithNoItemsOrOneCategoryThroughout()
    {
        Assert.Null(Agreement.CohensKappa(new List<(string, string)>()).Kappa);
        Assert.Null(Agreement.CohensKappa(Pairs(("ok", "ok", 7))).Kappa);
    }

    [Fact]
    public void ProductionMetrics_CountRatesWithWilsonIntervals_AndKappaOverDoubleReviews()
    {
        var good = new ReviewGrades(CorrectnessVerdict.Correct, CitationVerdict.Ok, ActionVerdict.Right);
        var bad = new ReviewGrades(CorrectnessVerdict.Partly, CitationVerdict.Missing, ActionVerdict.NoneNeeded);
        IReadOnlyList<IReadOnlyList<ReviewGrades>> cases = [[good], [good], [bad], [good, good], [good, bad]];

        var m = ProductionMetrics.Of(cases);

        Assert.Equal((5, 7), (m.AnswerCorrectness.Successes, m.AnswerCorrectness.Total));
        Assert.Equal(Wilson.Interval(5, 7, 0.95), m.AnswerCorrectness.Interval);
        Assert.Equal((5, 7), (m.CitationsOk.Successes, m.CitationsOk.Total));
        Assert.Equal((5, 5), (m.ActionRight.Successes, m.ActionRight.Total));
        Assert.Equal(2, m.CorrectnessKappa.Items);
        Assert.Equal(0.5, m.CorrectnessKappa.Observed, 10);
    }

    [Fact]
    public void ReviewVerdicts_ParseTheirSpellingsOnly()
    {
        Assert.True(ReviewVerdicts.TryParse("partly", out CorrectnessVerdict c));
        Assert.Equal(CorrectnessVerdict.Partly, c);
        Assert.True(ReviewVerdicts.TryParse("none_needed", out ActionVerdict a));
        Assert.Equal(ActionVerdict.NoneNeeded, a);
        Assert.False(ReviewVerdicts.TryParse("Correct", out CorrectnessVerdict _));
        Assert.False(ReviewVerdicts.TryParse("fine", out CitationVerdict _));
        Assert.Equal("missing", ReviewVerdicts.Name(CitationVerdict.Missing));
    }
}
