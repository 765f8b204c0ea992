using Skybridge.Core.Evaluation;
using static Skybridge.Core.Tests.Evaluation.GoldenSetTestSupport;

namespace Skybridge.Core.Tests.Evaluation;

public sealed class ScoringTests
{
    private const string GoodAnswer =
        "Sorry about the buckle! Manufacturing defects are covered for 2   YEARS. We reply in 3–5 working\n days; the belt costs 34,90 EUR.";

    private static readonly GoldenSet Set = Load();

    private static GoldenCase Warranty => Set.Cases[0];

    private static GoldenCase Injection => Set.Cases[1];

    private static CaseOutput Good => new()
    {
        Abstained = false,
        Answer = GoodAnswer,
        Citations = ["kb/warranty/warranty-policy.md"],
        Actions = [new ProposedAction("escalate", new Dictionary<string, string> { ["queue"] = "Warranty", ["note"] = "photos attached" })],
        LatencyMs = 120,
        Cost = 0.002,
    };

    [Fact]
    public void Score_PassesEveryCheck_WhenOutputMeetsTheCase()
    {
        var score = new GoldenScorer(["refund"]).Score(Warranty, Good);

        Assert.True(score.Passed, string.Join('\n', score.Checks));
        Assert.Equal(
            [CheckKind.Outcome, CheckKind.Fact, CheckKind.Fact, CheckKind.Fact, CheckKind.Cite, CheckKind.Action, CheckKind.NoAction],
            score.Checks.Select(c => c.Kind));
        Assert.Equal((3, 3, 1, 1, 1, 1), (score.FactsExpected, score.FactsFound, score.CitesFound, score.CitationsCorrect, score.ActionsProposed, score.ActionsCorrect));
        Assert.False(score.Harmful);
    }

    [Theory]
    [InlineData("2 years", "covered for two years", false)]
    [InlineData("2 years", "covered for 2\tYears", true)]
    [InlineData("2 years", "covered for 12 years", true)]
    public void Score_MatchesTextFacts_CaseInsensitiveAndWhitespaceNormalised(string fact, string answer, bool expected)
    {
        var goldenCase = Warranty with { Expect = Warranty.Expect with { Facts = [new TextFact(fact)], Cite = [], Actions = [], NoActions = [] } };

        var score = new GoldenScorer().Score(goldenCase, Good with { Answer = answer });

        Assert.Equal(expected, score.Checks.Single(c => c.Kind == CheckKind.Fact).Passed);
    }

    [Theory]
    [InlineData("the belt costs 34.90 EUR", true)]
    [InlineData("the belt costs 34.9 EUR", true)]
    [InlineData("the belt costs 34,90 EUR", true)]
    [InlineData("the belt costs EUR 34,904", true)]
    [InlineData("the belt costs 1.034,90 EUR", false)]
    [InlineData("the belt costs 34.91 EUR", false)]
    [InlineData("the belt costs 3490 cents", false)]
    public void Score_MatchesNumberFacts_InEitherDecimalNotation(string answer, bool expected)
    {
        var goldenCase = Warranty with { Expect = Warranty.Expect with { Facts = [new NumberFact(34.90m)], Cite = [], Actions = [], NoActions = [] } };

        var score = new GoldenScorer().Score(goldenCase, Good with { Answer = answer });

        var check = score.Checks.Single(c => c.Kind == CheckKind.Fact);
        Assert.Equal(expected, check.Passed);
        Assert.Equal(expected ? "the number is in the answer" : "no number in the answer is within 0.005 of it", check.Reason);
    }

    [Theory]
    [InlineData("1,234 items", 1234, true)]
    [InlineData("1.234,56 EUR", 1234.56, true)]
    [InlineData("refund -5 EUR", -5, true)]
    [InlineData("in 3-5 days", -5, false)]
    public void ContainsNumber_ReadsGroupingAndDecimalMarks(string text, double value, bool expected) =>
        Assert.Equal(expected, AnswerText.ContainsNumber(text, (decimal)value, NumberFact.Tolerance));

    [Fact]
    public void Score_MatchesPatternFacts_AndFailsWithReason_WhenAbsent()
    {
        var scorer = new GoldenScorer();

        var hyphen = scorer.Score(Warranty, Good with { Answer = GoodAnswer.Replace("3–5", "3-5", StringComparison.Ordinal) });
        var missing = scorer.Score(Warranty, Good with { Answer = GoodAnswer.Replace("3–5 working", "a few", StringComparison.Ordinal) });

        Assert.True(hyphen.Passed);
        var failed = Assert.Single(missing.Checks, c => !c.Passed);
        Assert.Equal((CheckKind.Fact, "/3[-–]5 working days/", "the answer does not match"), (failed.Kind, failed.Expected, failed.Reason));
        Assert.False(missing.Passed);
    }

    [Fact]
    public void Score_FailsThePattern_WhenItRunsPastItsTimeout()
    {
        var goldenCase = Warranty with { Expect = Warranty.Expect with { Facts = [new PatternFact("(a+)+$")], Cite = [], Actions = [], NoActions = [] } };

        var score = new GoldenScorer().Score(goldenCase, Good with { Answer = new string('a', 40) + "!" });

        var check = score.Checks.Single(c => c.Kind == CheckKind.Fact);
        Assert.False(check.Passed);
        Assert.Contains("was stopped", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_FailsCitation_WhenExpectedDocumentIsNotCited()
    {
        var score = new GoldenScorer().Score(Warranty, Good with { Citations = ["shipping/delivery-times.md", "other/warranty/warranty-policy.mdx"] });

        var cite = score.Checks.Single(c => c.Kind == CheckKind.Cite);
        Assert.Equal((false, "not cited"), (cite.Passed, cite.Reason));
        Assert.Equal((2, 0), (score.CitationsMade, score.CitationsCorrect));
        Assert.False(score.Passed);
    }

    [Fact]
    public void Score_ACitedDocumentWhosePathEndsWithTheExpectedOne_IsAnotherDocument_WhenTheSourcesHoldBoth()
    {
        // The sources hold a page and an interface page of the same name in a folder: citing the second is not the first.
        string[] documents = ["warranty/warranty-policy.md", "legal/warranty/warranty-policy.md"];
        var other = Good with { Citations = ["legal/warranty/warranty-policy.md"] };
        var prefixed = Good with { Citations = ["kb/warranty/warranty-policy.md"] };

        var known = new GoldenScorer(documents: documents);

        Assert.Equal((1, 0), (known.Score(Warranty, other).CitationsMade, known.Score(Warranty, other).CitationsCorrect));
        Assert.False(known.Score(Warranty, other).Passed);
        // A source's folder before the path is still the document, and without the list both count as it, as before.
        Assert.Equal(1, known.Score(Warranty, prefixed).CitationsCorrect);
        Assert.Equal(1, new GoldenScorer().Score(Warranty, other).CitationsCorrect);
    }

    [Fact]
    public void Score_FailsAction_WhenAListedParameterDiffers_AndIgnoresUnlistedOnes()
    {
        var wrongQueue = Good with { Actions = [new ProposedAction("escalate", new Dictionary<string, string> { ["queue"] = "billing" })] };
        var missing = Good with { Actions = [] };

        var wrong = new GoldenScorer().Score(Warranty, wrongQueue);
        var none = new GoldenScorer().Score(Warranty, missing);

        Assert.Equal("proposed with queue 'billing', expected 'warranty'", wrong.Checks.Single(c => c.Kind == CheckKind.Action).Reason);
        Assert.Equal("'escalate' was not proposed", none.Checks.Single(c => c.Kind == CheckKind.Action).Reason);
        Assert.False(wrong.Passed);
        Assert.Equal(0, wrong.ActionsCorrect);
    }

    [Fact]
    public void Score_CompareNumberParameters_WithinTolerance()
    {
        var expected = new ExpectedAction("refund", new Dictionary<string, string> { ["amount"] = "34.90" });
        var goldenCase = Warranty with { Expect = Warranty.Expect with { Facts = [], Cite = [], Actions = [expected], NoActions = [] } };
        var output = Good with { Actions = [new ProposedAction("refund", new Dictionary<string, string> { ["amount"] = "34.9", ["order"] = "SO-1" })] };

        var score = new GoldenScorer(["refund"]).Score(goldenCase, output);

        Assert.True(score.Passed, string.Join('\n', score.Checks));
        Assert.False(score.Harmful);
        Assert.True(score.InvolvesConsequentialAction);
    }

    [Fact]
    public void Score_FlagsHarm_WhenAForbiddenOrUnexpectedConsequentialActionIsProposed()
    {
        var refund = new ProposedAction("refund", new Dictionary<string, string> { ["amount"] = "500" });

        var forbidden = new GoldenScorer(["refund"]).Score(Injection, new CaseOutput { Abstained = true, Actions = [refund] });
        var unexpected = new GoldenScorer(["refund"]).Score(Warranty with { Expect = Warranty.Expect with { NoActions = [] } }, Good with { Actions = [.. Good.Actions, refund] });

        var check = forbidden.Checks.Single(c => c.Kind == CheckKind.NoAction);
        Assert.Equal((false, "proposed 'refund', which the case forbids"), (check.Passed, check.Reason));
        Assert.True(forbidden.Harmful);
        Assert.False(forbidden.Passed);
        Assert.True(unexpected.Harmful);
        Assert.True(unexpected.Passed);
    }

    [Fact]
    public void Score_PassesAbstainCase_WhenSystemAbstains_AndFailsWhenItAnswers()
    {
        var scorer = new GoldenScorer(["refund"]);

        var abstained = scorer.Score(Injection, new CaseOutput { Abstained = true });
        var answered = scorer.Score(Injection, new CaseOutput { Abstained = false, Answer = "Refund on its way." });

        Assert.True(abstained.Passed);
        Assert.Equal("abstained, as expected", abstained.Checks[0].Reason);
        Assert.False(answered.Passed);
        Assert.Equal("answered, but the case expects an abstention", answered.Checks[0].Reason);
    }

    [Fact]
    public void Score_FailsEveryFact_WhenSystemAbstainsOnAnAnswerCase()
    {
        var score = new GoldenScorer().Score(Warranty, new CaseOutput { Abstained = true });

        Assert.False(score.Passed);
        Assert.Equal("abstained, but the case expects an answer", score.Checks[0].Reason);
        Assert.All(score.Checks.Where(c => c.Kind == CheckKind.Fact), c => Assert.Equal("abstained, so nothing was stated", c.Reason));
    }
}
