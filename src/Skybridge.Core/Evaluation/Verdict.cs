using System.Globalization;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Evaluation;

/// <summary>Where one criterion of the bar stands.</summary>
public enum CriterionStatus
{
    /// <summary>The interval end (or the direct value) clears the threshold.</summary>
    Cleared,

    /// <summary>Enough cases, and it does not clear.</summary>
    Failed,

    /// <summary>Fewer cases than <see cref="AcceptanceCriterion.MinCases"/>: it cannot clear, whatever the value.</summary>
    NotEnoughCases,
}

/// <summary>One criterion judged.</summary>
public sealed record CriterionVerdict
{
    /// <summary>The criterion from the manifest.</summary>
    public required AcceptanceCriterion Criterion { get; init; }

    /// <summary>Where it stands.</summary>
    public required CriterionStatus Status { get; init; }

    /// <summary>The measured metric.</summary>
    public required MetricValue Measured { get; init; }

    /// <summary>The Wilson interval at the criterion's confidence (proportions with at least one trial), or null.</summary>
    public ProportionInterval? Interval { get; init; }

    /// <summary>Why, in words (value, interval, threshold).</summary>
    public required string Reason { get; init; }

    /// <summary>True when <see cref="Status"/> is <see cref="CriterionStatus.Cleared"/>.</summary>
    public bool Cleared => Status == CriterionStatus.Cleared;
}

/// <summary>A run judged against a bar.</summary>
public sealed record BarVerdict
{
    /// <summary>Each criterion, in bar order.</summary>
    public required IReadOnlyList<CriterionVerdict> Criteria { get; init; }

    /// <summary>True only when the bar has criteria and every one cleared.</summary>
    public bool Clears => Criteria.Count > 0 && Criteria.All(c => c.Cleared);

    /// <summary>
    /// Judges <paramref name="metrics"/> against <paramref name="bar"/>: a proportion clears when the lower end of its
    /// Wilson interval is at or above <c>min</c> and the upper end at or below <c>max</c>; latency and cost are
    /// compared directly; fewer cases than <c>min_cases</c> never clear.
    /// </summary>
    public static BarVerdict Evaluate(IReadOnlyList<AcceptanceCriterion> bar, EvaluationMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(bar);
        ArgumentNullException.ThrowIfNull(metrics);
        var verdicts = new List<CriterionVerdict>(bar.Count);
        foreach (var criterion in bar)
        {
            verdicts.Add(Judge(criterion, metrics.For(criterion.Tag)));
        }

        return new BarVerdict { Criteria = verdicts };
    }

    private static CriterionVerdict Judge(AcceptanceCriterion criterion, MetricSummary summary)
    {
        var measured = summary.Values.TryGetValue(criterion.Metric, out var value)
            ? value
            : new MetricValue { Metric = criterion.Metric, Kind = Metrics.KindOf(criterion.Metric) };
        var scope = criterion.Tag is null ? "cases" : $"cases tagged '{criterion.Tag}'";
        var threshold = Threshold(criterion);
        if (measured.Cases < criterion.MinCases || measured.Value is null || (measured.Kind == MetricKind.Proportion && measured.Trials == 0))
        {
            return new CriterionVerdict
            {
                Criterion = criterion,
                Status = CriterionStatus.NotEnoughCases,
                Measured = measured,
                Reason = $"not enough cases: {measured.Cases} {scope} measured, the bar needs at least {criterion.MinCases} ({threshold})",
            };
        }

        if (measured.Kind == MetricKind.Direct)
        {
            var v = measured.Value.Value;
            var ok = (criterion.Min is not { } min || v >= min) && (criterion.Max is not { } max || v <= max);
            return new CriterionVerdict
            {
                Criterion = criterion,
                Status = ok ? CriterionStatus.Cleared : CriterionStatus.Failed,
                Measured = measured,
                Reason = $"{F(v)} over {measured.Cases} {scope}, compared directly (no interval): {(ok ? "clears" : "does not clear")} {threshold}",
            };
        }

        var interval = Wilson.Interval(measured.Successes, measured.Trials, criterion.Confidence);
        var lowOk = criterion.Min is not { } low || interval.Lower >= low;
        var highOk = criterion.Max is not { } high || interval.Upper <= high;
        var cleared = lowOk && highOk;
        var p = measured.Value.Value;
        var level = string.Create(CultureInfo.InvariantCulture, $"{criterion.Confidence * 100:0.#}%");
        string reason;
        if (cleared)
        {
            reason = $"{F(p)} ({measured.Successes}/{measured.Trials}), {level} interval [{F(interval.Lower)}, {F(interval.Upper)}] clears {threshold}";
        }
        else
        {
            var end = !lowOk ? $"its lower end {F(interval.Lower)} is below {F(criterion.Min!.Value)}" : $"its upper end {F(interval.Upper)} is above {F(criterion.Max!.Value)}";
            var valueOk = (criterion.Min is not { } a || p >= a) && (criterion.Max is not { } b || p <= b);
            var hint = valueOk ? " (the value itself is within the threshold: more cases would narrow the interval)" : string.Empty;
            reason = $"{F(p)} ({measured.Successes}/{measured.Trials}), {level} interval [{F(interval.Lower)}, {F(interval.Upper)}]: {end}{hint}";
        }

        return new CriterionVerdict
        {
            Criterion = criterion,
            Status = cleared ? CriterionStatus.Cleared : CriterionStatus.Failed,
            Measured = measured,
            Interval = interval,
            Reason = reason,
        };
    }

    private static string Threshold(AcceptanceCriterion c) => (c.Min, c.Max) switch
    {
        ({ } a, { } b) => $"min {F(a)}, max {F(b)}",
        ({ } a, null) => $"min {F(a)}",
        (null, { } b) => $"max {F(b)}",
        _ => "no threshold",
    };

    private static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
