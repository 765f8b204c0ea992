namespace Skybridge.Core.Evaluation;

/// <summary>One case over k repeats.</summary>
/// <param name="CaseId">The golden case id.</param>
/// <param name="Repeats">How many repeats scored it.</param>
/// <param name="Passes">How many of them passed.</param>
/// <param name="InvolvesConsequentialAction">True when any repeat expected or proposed a consequential action.</param>
public sealed record PassKCase(string CaseId, int Repeats, int Passes, bool InvolvesConsequentialAction)
{
    /// <summary>pass^k: every repeat passed.</summary>
    public bool PassedAll => Repeats > 0 && Passes == Repeats;
}

/// <summary>
/// pass^k over repeated runs of a non-deterministic engine: a case passes only if every one of its k repeats
/// passed, so a case that is right two times in three is counted as failing, not hidden as "flaky".
/// </summary>
public sealed record PassKResult
{
    /// <summary>The number of repeats (the smallest number any case was scored).</summary>
    public required int K { get; init; }

    /// <summary>Each case, in first-seen order.</summary>
    public required IReadOnlyList<PassKCase> Cases { get; init; }

    /// <summary>Cases that passed every repeat, over all cases.</summary>
    public MetricValue Overall => Rate(Cases);

    /// <summary>The same over the cases that involve a consequential action (the ones pass^k matters most for).</summary>
    public MetricValue Consequential => Rate([.. Cases.Where(c => c.InvolvesConsequentialAction)]);

    /// <summary>Combines the scores of k repeats (each a list of case scores; a case may be in any order).</summary>
    public static PassKResult Combine(IReadOnlyList<IReadOnlyList<CaseScore>> repeats)
    {
        ArgumentNullException.ThrowIfNull(repeats);
        var order = new List<string>();
        var tally = new Dictionary<string, (int Repeats, int Passes, bool Consequential)>(StringComparer.Ordinal);
        foreach (var run in repeats)
        {
            foreach (var score in run)
            {
                if (!tally.TryGetValue(score.CaseId, out var t))
                {
                    order.Add(score.CaseId);
                }

                tally[score.CaseId] = (t.Repeats + 1, t.Passes + (score.Passed ? 1 : 0), t.Consequential || score.InvolvesConsequentialAction);
            }
        }

        var cases = order.Select(id => new PassKCase(id, tally[id].Repeats, tally[id].Passes, tally[id].Consequential)).ToList();
        return new PassKResult { K = cases.Count == 0 ? repeats.Count : cases.Min(c => c.Repeats), Cases = cases };
    }

    private static MetricValue Rate(IReadOnlyList<PassKCase> cases)
    {
        var passed = cases.Count(c => c.PassedAll);
        return new MetricValue
        {
            Metric = "pass^k",
            Kind = MetricKind.Proportion,
            Successes = passed,
            Trials = cases.Count,
            Cases = cases.Count,
            Value = cases.Count == 0 ? null : (double)passed / cases.Count,
        };
    }
}

/// <summary>A metric in two runs.</summary>
/// <param name="Metric">The metric.</param>
/// <param name="Baseline">Its value in the baseline run, or null.</param>
/// <param name="Candidate">Its value in the candidate run, or null.</param>
public sealed record MetricDelta(string Metric, double? Baseline, double? Candidate)
{
    /// <summary>Candidate minus baseline, or null when either is missing.</summary>
    public double? Delta => Baseline is { } b && Candidate is { } c ? c - b : null;
}

/// <summary>
/// Two runs of the same golden set compared case by case (<c>skybridge eval compare</c>): which cases newly fail or
/// pass, the metric deltas, and an exact McNemar test on the discordant cases, so a significant drop is flagged even
/// when both runs clear the bar.
/// </summary>
public sealed record RunComparison
{
    /// <summary>The p-value below which a change is called significant.</summary>
    public const double SignificanceLevel = 0.05;

    /// <summary>Cases that passed in the baseline and fail in the candidate.</summary>
    public required IReadOnlyList<string> NewlyFailing { get; init; }

    /// <summary>Cases that failed in the baseline and pass in the candidate.</summary>
    public required IReadOnlyList<string> NewlyPassing { get; init; }

    /// <summary>Cases passing in both.</summary>
    public required int BothPassing { get; init; }

    /// <summary>Cases failing in both.</summary>
    public required int BothFailing { get; init; }

    /// <summary>Cases only one run has (not paired, so outside the test).</summary>
    public required IReadOnlyList<string> Unpaired { get; init; }

    /// <summary>Two-sided exact McNemar p-value on <see cref="NewlyFailing"/> vs <see cref="NewlyPassing"/>.</summary>
    public required double PValue { get; init; }

    /// <summary>Every metric, overall, in both runs.</summary>
    public required IReadOnlyList<MetricDelta> Deltas { get; init; }

    /// <summary>Significantly more cases got worse than better.</summary>
    public bool SignificantlyWorse => PValue < SignificanceLevel && NewlyFailing.Count > NewlyPassing.Count;

    /// <summary>Significantly more cases got better than worse.</summary>
    public bool SignificantlyBetter => PValue < SignificanceLevel && NewlyPassing.Count > NewlyFailing.Count;

    /// <summary>Pairs the cases of two runs by id and compares them.</summary>
    public static RunComparison Compare(IReadOnlyList<CaseScore> baseline, IReadOnlyList<CaseScore> candidate)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var before = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var score in baseline)
        {
            before[score.CaseId] = score.Passed;
        }

        var newlyFailing = new List<string>();
        var newlyPassing = new List<string>();
        var unpaired = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int bothPassing = 0, bothFailing = 0;
        foreach (var score in candidate)
        {
            seen.Add(score.CaseId);
            if (!before.TryGetValue(score.CaseId, out var passedBefore))
            {
                unpaired.Add(score.CaseId);
                continue;
            }

            switch (passedBefore, score.Passed)
            {
                case (true, true): bothPassing++; break;
                case (false, false): bothFailing++; break;
                case (true, false): newlyFailing.Add(score.CaseId); break;
                default: newlyPassing.Add(score.CaseId); break;
            }
        }

        unpaired.AddRange(baseline.Select(s => s.CaseId).Where(id => !seen.Contains(id)));
        var a = EvaluationMetrics.Compute(baseline).Overall;
        var b = EvaluationMetrics.Compute(candidate).Overall;
        return new RunComparison
        {
            NewlyFailing = newlyFailing,
            NewlyPassing = newlyPassing,
            BothPassing = bothPassing,
            BothFailing = bothFailing,
            Unpaired = unpaired,
            PValue = McNemar.ExactPValue(newlyFailing.Count, newlyPassing.Count),
            Deltas = [.. Metrics.Names.Select(m => new MetricDelta(m, a[m].Value, b[m].Value))],
        };
    }
}
