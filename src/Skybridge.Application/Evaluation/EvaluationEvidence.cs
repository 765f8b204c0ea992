using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Skybridge.Application.Ledger;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Evaluation;

/// <summary>
/// A run as evidence: the stored row (hashes of what ran, the bar, metrics, verdict, every case) written in one
/// transaction with its <c>evaluation.completed</c> event; and the JSON forms the CLI prints and writes.
/// </summary>
public static class EvaluationEvidence
{
    /// <summary>How runs and cases are written as JSON (camelCase, enums as text).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The row that keeps <paramref name="run"/>.</summary>
    public static StoredEvaluationRun ToStored(EvaluationRun run, string runBy)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new StoredEvaluationRun
        {
            Id = run.Id,
            WorkflowId = run.WorkflowId,
            Version = run.Version,
            ManifestHash = run.ManifestHash,
            GoldenSetHash = run.GoldenSetHash,
            Bar = JsonSerializer.Serialize(run.Bar, Json),
            Metrics = MetricsJson(run).ToJsonString(),
            Verdict = run.Verdict.Clears ? StoredEvaluationRun.Clears : StoredEvaluationRun.Fails,
            Cases = JsonSerializer.Serialize(run.Cases, Json),
            GoldenTerms = JsonSerializer.Serialize(run.GoldenTerms, Json),
            StartedAt = Micros(run.StartedAt),
            FinishedAt = Micros(run.FinishedAt),
            RunBy = runBy,
        };
    }

    // The store keeps times to the microsecond: the row returned is the row read back.
    private static DateTimeOffset Micros(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero);

    /// <summary>Stores <paramref name="run"/> with its <c>evaluation.completed</c> event, in one transaction.</summary>
    public static async Task<StoredEvaluationRun> RecordAsync(ILedger ledger, EvaluationRun run, string runBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var stored = ToStored(run, runBy);
        var entry = new LedgerEntry
        {
            Type = LedgerEventTypes.EvaluationCompleted,
            Actors = [LedgerActor.Human(runBy)],
            WorkflowId = run.WorkflowId,
            WorkflowVersion = run.Version,
            Resource = new LedgerResource("evaluation_run", run.Id),
            Outcome = stored.Verdict,
            // Hashes, counts and metric values only: the golden cases' text and the answers stay in the run row.
            Content = new JsonObject
            {
                ["run"] = run.Id,
                ["manifestHash"] = run.ManifestHash,
                ["goldenSetHash"] = run.GoldenSetHash,
                ["version"] = run.Version,
                ["cases"] = run.Cases.Count,
                ["passed"] = run.Cases.Count(c => c.Score.Passed),
                ["repeat"] = run.Repeat,
                ["criteria"] = new JsonArray([.. run.Verdict.Criteria.Select(c => (JsonNode)new JsonObject
                {
                    ["metric"] = c.Criterion.Metric,
                    ["tag"] = c.Criterion.Tag,
                    ["value"] = c.Measured.Value,
                    ["status"] = Status(c.Status),
                })]),
            },
        };
        await ledger.AppendAsync([entry], [new EvaluationRunRecordedRow(stored)], cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>The case results of a stored run (what <see cref="RunComparison.Compare"/> takes).</summary>
    public static IReadOnlyList<EvaluatedCase> CasesOf(StoredEvaluationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return JsonSerializer.Deserialize<List<EvaluatedCase>>(run.Cases ?? "[]", Json) ?? [];
    }

    /// <summary>
    /// The golden cases' term sets kept with a stored run, or null when it kept none (stored before migration 0020).
    /// </summary>
    public static IReadOnlyList<IReadOnlySet<string>>? GoldenTermsOf(StoredEvaluationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.GoldenTerms is null)
        {
            return null;
        }

        var terms = JsonSerializer.Deserialize<List<List<string>>>(run.GoldenTerms, Json) ?? [];
        return [.. terms.Select(t => (IReadOnlySet<string>)new HashSet<string>(t, StringComparer.Ordinal))];
    }

    /// <summary>A criterion's status as text: <c>cleared</c>, <c>failed</c>, <c>not_enough_cases</c>.</summary>
    public static string Status(CriterionStatus status) => status switch
    {
        CriterionStatus.Cleared => "cleared",
        CriterionStatus.Failed => "failed",
        _ => "not_enough_cases",
    };

    /// <summary>A criterion's threshold in words: <c>&gt;= 0.9</c>, <c>&lt;= 4000</c>.</summary>
    public static string Threshold(AcceptanceCriterion criterion)
    {
        ArgumentNullException.ThrowIfNull(criterion);
        var parts = new List<string>();
        if (criterion.Min is { } min)
        {
            parts.Add(">= " + min.ToString("0.###", CultureInfo.InvariantCulture));
        }

        if (criterion.Max is { } max)
        {
            parts.Add("<= " + max.ToString("0.###", CultureInfo.InvariantCulture));
        }

        return string.Join(", ", parts);
    }

    /// <summary>Metrics overall and per tag, the criteria's verdicts and pass^k, as stored and written to results.json.</summary>
    public static JsonObject MetricsJson(EvaluationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var byTag = new JsonObject();
        foreach (var (tag, summary) in run.Metrics.ByTag.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            byTag[tag] = Summary(summary);
        }

        return new JsonObject
        {
            ["verdict"] = run.Verdict.Clears ? StoredEvaluationRun.Clears : StoredEvaluationRun.Fails,
            ["overall"] = Summary(run.Metrics.Overall),
            ["byTag"] = byTag,
            ["criteria"] = new JsonArray([.. run.Verdict.Criteria.Select(c => (JsonNode)new JsonObject
            {
                ["metric"] = c.Criterion.Metric,
                ["tag"] = c.Criterion.Tag,
                ["threshold"] = Threshold(c.Criterion),
                ["confidence"] = c.Criterion.Confidence,
                ["value"] = c.Measured.Value,
                ["lower"] = c.Interval?.Lower,
                ["upper"] = c.Interval?.Upper,
                ["cases"] = c.Measured.Cases,
                ["status"] = Status(c.Status),
                ["reason"] = c.Reason,
            })]),
            ["passK"] = new JsonObject
            {
                ["k"] = run.Repeat,
                ["overall"] = run.PassK.Overall.Value,
                ["consequential"] = run.PassK.Consequential.Value,
                ["consequentialCases"] = run.PassK.Consequential.Trials,
            },
        };
    }

    private static JsonObject Summary(MetricSummary summary)
    {
        var values = new JsonObject();
        foreach (var name in Metrics.Names)
        {
            var v = summary.Values.TryGetValue(name, out var m) ? m : null;
            var interval = v is { Kind: MetricKind.Proportion, Trials: > 0 } ? Wilson.Interval(v.Successes, v.Trials, AcceptanceCriterion.DefaultConfidence) : (ProportionInterval?)null;
            values[name] = new JsonObject
            {
                ["value"] = v?.Value,
                ["successes"] = v?.Successes,
                ["trials"] = v?.Trials,
                ["cases"] = v?.Cases,
                ["lower"] = interval?.Lower,
                ["upper"] = interval?.Upper,
            };
        }

        return new JsonObject { ["cases"] = summary.Cases, ["passed"] = summary.Passed, ["metrics"] = values };
    }

    /// <summary>results.json: the run's identity, metrics, verdict and every case.</summary>
    public static JsonObject ResultsJson(EvaluationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new JsonObject
        {
            ["run"] = run.Id,
            ["workflow"] = run.WorkflowId,
            ["version"] = run.Version,
            ["manifestHash"] = run.ManifestHash,
            ["goldenSetHash"] = run.GoldenSetHash,
            ["startedAt"] = run.StartedAt,
            ["finishedAt"] = run.FinishedAt,
            ["repeat"] = run.Repeat,
            ["bar"] = JsonSerializer.SerializeToNode(run.Bar, Json),
            ["metrics"] = MetricsJson(run),
            ["cases"] = JsonSerializer.SerializeToNode(run.Cases, Json),
        };
    }
}
