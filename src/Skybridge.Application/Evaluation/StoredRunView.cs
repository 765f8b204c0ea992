using System.Text.Json;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Evaluation;

/// <summary>
/// A stored run read back as the run it was, so the console shows it with the same report <c>eval run --out</c> writes.
/// </summary>
public static class StoredRunView
{
    /// <summary>
    /// The run <paramref name="stored"/> keeps: its bar and cases as stored, the metrics and the verdict computed again
    /// from them (scoring is deterministic, so they are the stored ones; <see cref="StoredEvaluationRun.Verdict"/> stays
    /// the evidence). pass^k is over the kept repeat of each case, which the report does not show.
    /// </summary>
    public static EvaluationRun ToRun(StoredEvaluationRun stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var bar = JsonSerializer.Deserialize<List<AcceptanceCriterion>>(stored.Bar, EvaluationEvidence.Json) ?? [];
        var cases = EvaluationEvidence.CasesOf(stored);
        var scores = cases.Select(c => c.Score).ToList();
        var metrics = EvaluationMetrics.Compute(scores);
        return new EvaluationRun
        {
            Id = stored.Id,
            WorkflowId = stored.WorkflowId,
            Version = stored.Version,
            ManifestHash = stored.ManifestHash,
            GoldenSetHash = stored.GoldenSetHash,
            Bar = bar,
            Cases = cases,
            Metrics = metrics,
            Verdict = BarVerdict.Evaluate(bar, metrics),
            PassK = PassKResult.Combine([scores]),
            Repeat = cases.Count == 0 ? 1 : cases.Max(c => c.Repeats),
            StartedAt = stored.StartedAt,
            FinishedAt = stored.FinishedAt,
        };
    }

    /// <summary>How many cases a listed run had and how many passed, from its stored metrics (listings carry no cases).</summary>
    public static (int Cases, int Passed) Counts(StoredEvaluationRun stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        try
        {
            using var metrics = JsonDocument.Parse(stored.Metrics);
            return metrics.RootElement.TryGetProperty("overall", out var overall)
                   && overall.TryGetProperty("cases", out var cases) && overall.TryGetProperty("passed", out var passed)
                ? (cases.GetInt32(), passed.GetInt32())
                : (0, 0);
        }
        catch (JsonException)
        {
            return (0, 0);
        }
    }
}
