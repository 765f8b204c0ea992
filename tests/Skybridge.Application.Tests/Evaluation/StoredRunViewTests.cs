using Skybridge.Application.Evaluation;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;

namespace Skybridge.Application.Tests.Evaluation;

/// <summary>A stored run read back for the console: the same report as the run it keeps.</summary>
public sealed class StoredRunViewTests
{
    private static EvaluationRun Run()
    {
        var cases = Enumerable.Range(1, 12).Select(i =>
        {
            var passed = i % 4 != 0;
            var check = new CheckResult(CheckKind.Cite, "policies/refunds.md", passed, passed ? "cited" : "not cited");
            return new EvaluatedCase
            {
                CaseId = $"gc-{i:00}",
                Score = new CaseScore
                {
                    CaseId = $"gc-{i:00}", Tags = [i % 2 == 0 ? "typo" : "ugly"], Passed = passed, Checks = [check], CitesExpected = 1, CitesFound = passed ? 1 : 0,
                    CitationsMade = 1, CitationsCorrect = passed ? 1 : 0, LatencyMs = i,
                },
                Repeats = 2,
                Passes = passed ? 2 : 1,
                Output = new EvaluatedOutput { Abstained = false, Answer = "See the refund page.", Citations = ["policies/refunds.md"], LatencyMs = i },
            };
        }).ToList();
        IReadOnlyList<AcceptanceCriterion> bar =
        [
            new AcceptanceCriterion { Metric = Metrics.CitationCoverage, Min = 0.8, MinCases = 10 },
            new AcceptanceCriterion { Metric = Metrics.P95LatencyMs, Max = 100, Tag = "typo", MinCases = 5 },
        ];
        var scores = cases.Select(c => c.Score).ToList();
        var metrics = EvaluationMetrics.Compute(scores);
        return new EvaluationRun
        {
            Id = "run-0123456789abcdef", WorkflowId = "support-desk", Version = null, ManifestHash = new string('a', 64), GoldenSetHash = new string('b', 64),
            Bar = bar, Cases = cases, Metrics = metrics, Verdict = BarVerdict.Evaluate(bar, metrics), PassK = PassKResult.Combine([scores]), Repeat = 2,
            StartedAt = new DateTimeOffset(2026, 11, 27, 9, 30, 0, TimeSpan.Zero), FinishedAt = new DateTimeOffset(2026, 11, 27, 9, 30, 4, TimeSpan.Zero),
        };
    }

    [Fact]
    public void ToRun_StoredRun_RendersTheSameReportAsTheRunItKeeps()
    {
        var run = Run();
        var stored = EvaluationEvidence.ToStored(run, "owner");

        var back = StoredRunView.ToRun(stored);

        Assert.Equal(EvaluationReports.HtmlReportBody(run), EvaluationReports.HtmlReportBody(back));
        Assert.Equal(run.Verdict.Clears, back.Verdict.Clears);
        Assert.Equal(run.Repeat, back.Repeat);
        Assert.Equal((12, 9), StoredRunView.Counts(stored with { Cases = null }));
    }

    [Fact]
    public void HtmlReport_WrapsTheBodyTheConsoleShows_InADocumentWithItsOwnStyles()
    {
        var run = Run();
        var body = EvaluationReports.HtmlReportBody(run);
        var html = EvaluationReports.HtmlReport(run);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<style>", html, StringComparison.Ordinal);
        Assert.EndsWith(body + "</body></html>\n", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<style", body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", body, StringComparison.Ordinal);
        Assert.Contains("(manifest file)", body, StringComparison.Ordinal);
        Assert.Contains("gc-04", body, StringComparison.Ordinal);
    }
}
