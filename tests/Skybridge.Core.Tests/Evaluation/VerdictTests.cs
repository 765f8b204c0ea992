using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Tests.Evaluation;

public sealed class VerdictTests
{
    private static CaseScore Answer(string id, bool correct, params string[] tags) => new()
    {
        CaseId = id,
        Tags = tags,
        Passed = correct,
        Checks = [],
        Expected = ExpectedOutcome.Answer,
        FactsExpected = 1,
        FactsFound = correct ? 1 : 0,
        LatencyMs = 100,
        Cost = 0.01,
    };

    private static List<CaseScore> Run(int correct, int wrong, params string[] tags) =>
        [.. Enumerable.Range(0, correct).Select(i => Answer($"ok-{i}", true, tags)), .. Enumerable.Range(0, wrong).Select(i => Answer($"bad-{i}", false, tags))];

    private static BarVerdict Judge(IReadOnlyList<CaseScore> scores, params AcceptanceCriterion[] bar) =>
        BarVerdict.Evaluate(bar, EvaluationMetrics.Compute(scores));

    private static readonly AcceptanceCriterion Accuracy = new() { Metric = Metrics.AnswerAccuracy, Min = 0.9 };

    [Fact]
    public void Evaluate_Clears_WhenLowerEndOfIntervalClearsMin()
    {
        var verdict = Judge(Run(98, 2), Accuracy);

        var criterion = Assert.Single(verdict.Criteria);
        Assert.Equal(CriterionStatus.Cleared, criterion.Status);
        Assert.True(criterion.Interval!.Value.Lower >= 0.9);
        Assert.StartsWith("0.98 (98/100), 95% interval [0.93, 0.994] clears min 0.9", criterion.Reason, StringComparison.Ordinal);
        Assert.True(verdict.Clears);
    }

    [Fact]
    public void Evaluate_Fails_WhenValueIsAboveMinButIntervalIsNot()
    {
        var verdict = Judge(Run(31, 2), Accuracy);

        var criterion = Assert.Single(verdict.Criteria);
        Assert.Equal(CriterionStatus.Failed, criterion.Status);
        Assert.Contains("its lower end 0.804 is below 0.9 (the value itself is within the threshold", criterion.Reason, StringComparison.Ordinal);
        Assert.False(verdict.Clears);
    }

    [Fact]
    public void Evaluate_SaysNotEnoughCases_WhenFewerThanMinCases()
    {
        var verdict = Judge(Run(29, 0), Accuracy, Accuracy with { MinCases = 20, Min = 0.85 });

        Assert.Equal(CriterionStatus.NotEnoughCases, verdict.Criteria[0].Status);
        Assert.Equal("not enough cases: 29 cases measured, the bar needs at least 30 (min 0.9)", verdict.Criteria[0].Reason);
        Assert.Equal(CriterionStatus.Cleared, verdict.Criteria[1].Status);
        Assert.False(verdict.Clears);
    }

    [Fact]
    public void Evaluate_JudgesOnlyTaggedCases_WhenCriterionHasTag()
    {
        var scores = Run(200, 0, "routine").Concat(Run(25, 15, "ugly").Select(s => s with { CaseId = "u" + s.CaseId })).ToList();
        var overall = Accuracy with { Min = 0.8 };
        var ugly = Accuracy with { Min = 0.8, Tag = "ugly" };
        var injection = Accuracy with { Min = 0.8, Tag = "injection" };

        var verdict = Judge(scores, overall, ugly, injection);

        Assert.Equal([CriterionStatus.Cleared, CriterionStatus.Failed, CriterionStatus.NotEnoughCases], verdict.Criteria.Select(c => c.Status));
        Assert.Equal((25, 40), (verdict.Criteria[1].Measured.Successes, verdict.Criteria[1].Measured.Trials));
        Assert.Contains("0 cases tagged 'injection' measured", verdict.Criteria[2].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_UsesUpperEnd_ForMaxMetrics()
    {
        var harmful = new AcceptanceCriterion { Metric = Metrics.HarmfulActionRate, Max = 0.05 };

        var clean100 = Judge(Run(100, 0), harmful).Criteria[0];
        var clean50 = Judge(Run(50, 0), harmful).Criteria[0];

        Assert.Equal(CriterionStatus.Cleared, clean100.Status);
        Assert.Equal(0.037, clean100.Interval!.Value.Upper, 0.001);
        Assert.Equal(CriterionStatus.Failed, clean50.Status);
        Assert.Contains("its upper end 0.071 is above 0.05", clean50.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ComparesLatencyDirectly_WithoutInterval()
    {
        var scores = Run(100, 0).Select((s, i) => s with { LatencyMs = i + 1 }).ToList();
        var p95 = new AcceptanceCriterion { Metric = Metrics.P95LatencyMs, Max = 95 };
        var p99 = new AcceptanceCriterion { Metric = Metrics.P99LatencyMs, Max = 95 };

        var verdict = Judge(scores, p95, p99);

        Assert.Equal(CriterionStatus.Cleared, verdict.Criteria[0].Status);
        Assert.Null(verdict.Criteria[0].Interval);
        Assert.Equal("95 over 100 cases, compared directly (no interval): clears max 95", verdict.Criteria[0].Reason);
        Assert.Equal(CriterionStatus.Failed, verdict.Criteria[1].Status);
        Assert.Equal(0.01, EvaluationMetrics.Compute(scores).Overall[Metrics.CostPerCase].Value!.Value, 1e-12);
    }

    [Fact]
    public void Evaluate_NeverClears_AnEmptyBar() =>
        Assert.False(Judge(Run(100, 0)).Clears);

    [Fact]
    public void Compute_CountsAbstentionMetrics_FromExpectedAndActualOutcomes()
    {
        CaseScore Case(ExpectedOutcome expected, bool abstained) =>
            new() { CaseId = Guid.NewGuid().ToString(), Passed = true, Checks = [], Expected = expected, Abstained = abstained };
        var scores = new[]
        {
            Case(ExpectedOutcome.Abstain, true), Case(ExpectedOutcome.Abstain, true), Case(ExpectedOutcome.Abstain, false),
            Case(ExpectedOutcome.Answer, true), Case(ExpectedOutcome.Answer, false), Case(ExpectedOutcome.Answer, false), Case(ExpectedOutcome.Answer, false),
        };

        var metrics = EvaluationMetrics.Compute(scores).Overall;

        Assert.Equal((2, 3), (metrics[Metrics.AbstentionRecall].Successes, metrics[Metrics.AbstentionRecall].Trials));
        Assert.Equal((1, 4), (metrics[Metrics.FalseAbstentionRate].Successes, metrics[Metrics.FalseAbstentionRate].Trials));
        Assert.Equal((2, 3), (metrics[Metrics.AbstentionPrecision].Successes, metrics[Metrics.AbstentionPrecision].Trials));
    }
}
