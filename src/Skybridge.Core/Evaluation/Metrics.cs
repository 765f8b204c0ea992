namespace Skybridge.Core.Evaluation;

/// <summary>How a metric is judged against a bar.</summary>
public enum MetricKind
{
    /// <summary>A share of successes; judged by its Wilson interval.</summary>
    Proportion,

    /// <summary>A latency or cost; compared directly, without an interval.</summary>
    Direct,
}

/// <summary>The metrics an evaluation computes (docs/evaluation.md defines each one).</summary>
public static class Metrics
{
    /// <summary>Of cases expected to answer that the system answered and that list facts: every fact stated.</summary>
    public const string AnswerAccuracy = "answer_accuracy";

    /// <summary>Of documents cited on answered cases that list expected citations: cited documents that are expected.</summary>
    public const string CitationPrecision = "citation_precision";

    /// <summary>Of expected citations on answered cases: those cited.</summary>
    public const string CitationCoverage = "citation_coverage";

    /// <summary>Of cases expected to abstain: those the system abstained on.</summary>
    public const string AbstentionRecall = "abstention_recall";

    /// <summary>Of cases expected to answer: those the system abstained on (lower is better).</summary>
    public const string FalseAbstentionRate = "false_abstention_rate";

    /// <summary>Of cases the system abstained on: those expected to abstain.</summary>
    public const string AbstentionPrecision = "abstention_precision";

    /// <summary>Of proposed actions: those matching an expected action and its listed parameters.</summary>
    public const string ActionPrecision = "action_precision";

    /// <summary>Of cases listing expected or forbidden actions: every expected action proposed right and no forbidden one.</summary>
    public const string ActionCorrectness = "action_correctness";

    /// <summary>Of all cases: those proposing a forbidden action or an unexpected consequential one (lower is better).</summary>
    public const string HarmfulActionRate = "harmful_action_rate";

    /// <summary>Median latency in milliseconds (nearest rank).</summary>
    public const string P50LatencyMs = "p50_latency_ms";

    /// <summary>95th percentile latency in milliseconds (nearest rank).</summary>
    public const string P95LatencyMs = "p95_latency_ms";

    /// <summary>99th percentile latency in milliseconds (nearest rank).</summary>
    public const string P99LatencyMs = "p99_latency_ms";

    /// <summary>Mean cost per case.</summary>
    public const string CostPerCase = "cost_per_case";

    /// <summary>Every metric, in report order.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        AnswerAccuracy, CitationPrecision, CitationCoverage, AbstentionRecall, FalseAbstentionRate, AbstentionPrecision,
        ActionPrecision, ActionCorrectness, HarmfulActionRate, P50LatencyMs, P95LatencyMs, P99LatencyMs, CostPerCase,
    ];

    /// <summary>How <paramref name="metric"/> is judged; latency and cost are direct, the rest proportions.</summary>
    public static MetricKind KindOf(string metric) =>
        metric is P50LatencyMs or P95LatencyMs or P99LatencyMs or CostPerCase ? MetricKind.Direct : MetricKind.Proportion;
}

/// <summary>One metric over a set of cases.</summary>
public sealed record MetricValue
{
    /// <summary>The metric name.</summary>
    public required string Metric { get; init; }

    /// <summary>Proportion or direct.</summary>
    public required MetricKind Kind { get; init; }

    /// <summary>Successes (proportions only).</summary>
    public int Successes { get; init; }

    /// <summary>Trials: cases, citations or actions, as the metric counts (proportions only).</summary>
    public int Trials { get; init; }

    /// <summary>Cases that contributed (what <c>min_cases</c> is compared with).</summary>
    public int Cases { get; init; }

    /// <summary>The value, or null when no case contributed.</summary>
    public double? Value { get; init; }
}

/// <summary>Every metric over one set of cases (all of them, or those with one tag).</summary>
public sealed record MetricSummary
{
    /// <summary>Cases in the set.</summary>
    public required int Cases { get; init; }

    /// <summary>Cases whose every check passed.</summary>
    public required int Passed { get; init; }

    /// <summary>Each metric by name (every name in <see cref="Metrics.Names"/>).</summary>
    public required IReadOnlyDictionary<string, MetricValue> Values { get; init; }

    /// <summary>The value of <paramref name="metric"/>.</summary>
    public MetricValue this[string metric] => Values[metric];
}

/// <summary>The metrics of one run: overall and per tag.</summary>
public sealed record EvaluationMetrics
{
    /// <summary>Over every case.</summary>
    public required MetricSummary Overall { get; init; }

    /// <summary>Over the cases with each tag that occurs in the run.</summary>
    public required IReadOnlyDictionary<string, MetricSummary> ByTag { get; init; }

    /// <summary>The summary for <paramref name="tag"/> (null: overall); a tag no case carries gives an empty summary.</summary>
    public MetricSummary For(string? tag) =>
        tag is null ? Overall : ByTag.TryGetValue(tag, out var summary) ? summary : Accumulator.Empty;

    /// <summary>Computes every metric from scored cases (one score per case).</summary>
    public static EvaluationMetrics Compute(IReadOnlyList<CaseScore> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var overall = new Accumulator();
        var byTag = new Dictionary<string, Accumulator>(StringComparer.Ordinal);
        for (var i = 0; i < scores.Count; i++)
        {
            var score = scores[i];
            overall.Add(score);
            for (var t = 0; t < score.Tags.Count; t++)
            {
                if (!byTag.TryGetValue(score.Tags[t], out var accumulator))
                {
                    byTag[score.Tags[t]] = accumulator = new Accumulator();
                }

                accumulator.Add(score);
            }
        }

        var tags = new Dictionary<string, MetricSummary>(StringComparer.Ordinal);
        foreach (var (tag, accumulator) in byTag)
        {
            tags[tag] = accumulator.ToSummary();
        }

        return new EvaluationMetrics { Overall = overall.ToSummary(), ByTag = tags };
    }

    /// <summary>Running counts for one set of cases.</summary>
    private sealed class Accumulator
    {
        public static readonly MetricSummary Empty = new Accumulator().ToSummary();

        private readonly int[] successes = new int[Metrics.Names.Count];
        private readonly int[] trials = new int[Metrics.Names.Count];
        private readonly int[] cases = new int[Metrics.Names.Count];
        private readonly List<double> latencies = [];
        private double cost;
        private int count;
        private int passed;

        public void Add(CaseScore s)
        {
            count++;
            passed += s.Passed ? 1 : 0;
            var answered = !s.Abstained;
            var expectsAnswer = s.Expected == ExpectedOutcome.Answer;
            if (expectsAnswer && answered && s.FactsExpected > 0)
            {
                Count(0, s.FactsFound == s.FactsExpected ? 1 : 0, 1);
            }

            if (expectsAnswer && answered && s.CitesExpected > 0)
            {
                Count(1, s.CitationsCorrect, s.CitationsMade);
                Count(2, s.CitesFound, s.CitesExpected);
            }

            if (!expectsAnswer)
            {
                Count(3, s.Abstained ? 1 : 0, 1);
            }
            else
            {
                Count(4, s.Abstained ? 1 : 0, 1);
            }

            if (s.Abstained)
            {
                Count(5, expectsAnswer ? 0 : 1, 1);
            }

            Count(6, s.ActionsCorrect, s.ActionsProposed);
            if (s.HasActionExpectations)
            {
                Count(7, s.ActionsAllCorrect ? 1 : 0, 1);
            }

            Count(8, s.Harmful ? 1 : 0, 1);
            latencies.Add(s.LatencyMs);
            cost += s.Cost;
        }

        public MetricSummary ToSummary()
        {
            var values = new Dictionary<string, MetricValue>(StringComparer.Ordinal);
            for (var i = 0; i < 9; i++)
            {
                var name = Metrics.Names[i];
                values[name] = new MetricValue
                {
                    Metric = name,
                    Kind = MetricKind.Proportion,
                    Successes = successes[i],
                    Trials = trials[i],
                    Cases = cases[i],
                    Value = trials[i] == 0 ? null : (double)successes[i] / trials[i],
                };
            }

            var sorted = latencies.ToArray();
            Array.Sort(sorted);
            values[Metrics.P50LatencyMs] = Direct(Metrics.P50LatencyMs, Percentile(sorted, 0.50));
            values[Metrics.P95LatencyMs] = Direct(Metrics.P95LatencyMs, Percentile(sorted, 0.95));
            values[Metrics.P99LatencyMs] = Direct(Metrics.P99LatencyMs, Percentile(sorted, 0.99));
            values[Metrics.CostPerCase] = Direct(Metrics.CostPerCase, count == 0 ? null : cost / count);
            return new MetricSummary { Cases = count, Passed = passed, Values = values };
        }

        private void Count(int metric, int success, int trial)
        {
            // A case that contributes no trials (e.g. it cited nothing) still counts as a case that was measured.
            successes[metric] += success;
            trials[metric] += trial;
            cases[metric]++;
        }

        private MetricValue Direct(string name, double? value) =>
            new() { Metric = name, Kind = MetricKind.Direct, Trials = count, Cases = count, Value = value };

        /// <summary>Nearest-rank percentile: the smallest value with at least p of the values at or below it.</summary>
        private static double? Percentile(double[] sorted, double p) =>
            sorted.Length == 0 ? null : sorted[Math.Max(0, (int)Math.Ceiling((p * sorted.Length) - 1e-9) - 1)];
    }
}
