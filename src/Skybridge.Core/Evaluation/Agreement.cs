namespace Skybridge.Core.Evaluation;

/// <summary>Cohen's kappa of two raters over the same items, with what it was computed from.</summary>
/// <param name="Kappa">(p_o - p_e) / (1 - p_e); null with no items, or when chance agreement is already 1 (both raters
/// used one and the same category throughout, so agreement says nothing).</param>
/// <param name="Observed">p_o, the share of items the two agreed on.</param>
/// <param name="Expected">p_e, the agreement expected by chance from each rater's marginal shares.</param>
/// <param name="Items">How many items both rated.</param>
public sealed record KappaResult(double? Kappa, double Observed, double Expected, int Items);

/// <summary>Agreement between two raters.</summary>
public static class Agreement
{
    /// <summary>
    /// Cohen's kappa (J. Cohen, "A coefficient of agreement for nominal scales", Educational and Psychological
    /// Measurement 20 (1960) 37-46) over pairs of nominal ratings, the first of each pair by one rater and the second by
    /// the other.
    /// </summary>
    public static KappaResult CohensKappa<T>(IReadOnlyList<(T First, T Second)> pairs)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var n = pairs.Count;
        if (n == 0)
        {
            return new KappaResult(null, 0, 0, 0);
        }

        var agreed = pairs.Count(p => EqualityComparer<T>.Default.Equals(p.First, p.Second));
        var first = pairs.GroupBy(p => p.First).ToDictionary(g => g.Key, g => g.Count());
        var second = pairs.GroupBy(p => p.Second).ToDictionary(g => g.Key, g => g.Count());
        var expected = first.Sum(f => (double)f.Value / n * (second.TryGetValue(f.Key, out var s) ? (double)s / n : 0));
        var observed = (double)agreed / n;
        // p_e = 1 means both raters put every item in one category: kappa is 0/0, undefined.
        double? kappa = expected >= 1 ? null : (observed - expected) / (1 - expected);
        return new KappaResult(kappa, observed, expected, n);
    }
}

/// <summary>A reviewer's grade of an answer's correctness.</summary>
public enum CorrectnessVerdict
{
    /// <summary>Right and complete.</summary>
    Correct,

    /// <summary>Partly right (counts as not correct in the rate).</summary>
    Partly,

    /// <summary>Wrong.</summary>
    Wrong,
}

/// <summary>A reviewer's grade of an answer's citations.</summary>
public enum CitationVerdict
{
    /// <summary>The citations support the answer.</summary>
    Ok,

    /// <summary>A citation does not say what the answer claims.</summary>
    Wrong,

    /// <summary>A claim is uncited.</summary>
    Missing,
}

/// <summary>A reviewer's grade of the action proposed (or not) for a case.</summary>
public enum ActionVerdict
{
    /// <summary>The right action, or rightly none.</summary>
    Right,

    /// <summary>The wrong action, wrong parameters, or a missing one.</summary>
    Wrong,

    /// <summary>No action was involved or needed: left out of the action rate.</summary>
    NoneNeeded,
}

/// <summary>The spelling of verdicts in the API, the CLI and the store.</summary>
public static class ReviewVerdicts
{
    /// <summary>Correctness spellings.</summary>
    public static IReadOnlyList<string> Correctness { get; } = ["correct", "partly", "wrong"];

    /// <summary>Citation spellings.</summary>
    public static IReadOnlyList<string> Citations { get; } = ["ok", "wrong", "missing"];

    /// <summary>Action spellings.</summary>
    public static IReadOnlyList<string> Actions { get; } = ["right", "wrong", "none_needed"];

    /// <summary>Parses a correctness verdict.</summary>
    public static bool TryParse(string? text, out CorrectnessVerdict verdict) => TryParseOf(Correctness, text, out verdict);

    /// <summary>Parses a citation verdict.</summary>
    public static bool TryParse(string? text, out CitationVerdict verdict) => TryParseOf(Citations, text, out verdict);

    /// <summary>Parses an action verdict.</summary>
    public static bool TryParse(string? text, out ActionVerdict verdict) => TryParseOf(Actions, text, out verdict);

    /// <summary>The spelling of a verdict.</summary>
    public static string Name(CorrectnessVerdict verdict) => Correctness[(int)verdict];

    /// <summary>The spelling of a verdict.</summary>
    public static string Name(CitationVerdict verdict) => Citations[(int)verdict];

    /// <summary>The spelling of a verdict.</summary>
    public static string Name(ActionVerdict verdict) => Actions[(int)verdict];

    private static bool TryParseOf<T>(IReadOnlyList<string> names, string? text, out T verdict)
        where T : struct, Enum
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], text, StringComparison.Ordinal))
            {
                verdict = (T)Enum.ToObject(typeof(T), i);
                return true;
            }
        }

        verdict = default;
        return false;
    }
}

/// <summary>One review's grades.</summary>
public sealed record ReviewGrades(CorrectnessVerdict Correctness, CitationVerdict Citations, ActionVerdict Action);

/// <summary>A rate with its Wilson interval and what it counts.</summary>
/// <param name="Successes">Reviews that count as a success.</param>
/// <param name="Total">Reviews counted.</param>
/// <param name="Value">Successes / total, or null with none.</param>
/// <param name="Interval">The Wilson interval at <see cref="ProductionMetrics.Confidence"/>.</param>
public sealed record RateWithInterval(int Successes, int Total, double? Value, ProportionInterval Interval);

/// <summary>Production metrics from reviews, and reviewer agreement over double-reviewed cases.</summary>
/// <param name="AnswerCorrectness">Reviews graded <c>correct</c> (partly is not).</param>
/// <param name="CitationsOk">Reviews whose citations were <c>ok</c>.</param>
/// <param name="ActionRight">Reviews whose action was <c>right</c>, of those with an action to judge (not <c>none_needed</c>).</param>
/// <param name="CorrectnessKappa">Agreement of the two reviewers of double-reviewed cases on correctness.</param>
/// <param name="CitationsKappa">Their agreement on citations.</param>
/// <param name="ActionKappa">Their agreement on the action.</param>
public sealed record ProductionMetrics(
    RateWithInterval AnswerCorrectness, RateWithInterval CitationsOk, RateWithInterval ActionRight,
    KappaResult CorrectnessKappa, KappaResult CitationsKappa, KappaResult ActionKappa)
{
    /// <summary>Confidence of the intervals.</summary>
    public const double Confidence = 0.95;

    /// <summary>
    /// The metrics of <paramref name="cases"/>: each case's reviews, first reviewer first. Every review counts in the
    /// rates (a double-reviewed case counts twice: two independent judgements); kappa pairs the first two reviews of
    /// each case that has two.
    /// </summary>
    public static ProductionMetrics Of(IReadOnlyList<IReadOnlyList<ReviewGrades>> cases)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var all = cases.SelectMany(c => c).ToList();
        var doubled = cases.Where(c => c.Count >= 2).ToList();
        var withAction = all.Where(g => g.Action != ActionVerdict.NoneNeeded).ToList();
        return new ProductionMetrics(
            Rate(all.Count(g => g.Correctness == CorrectnessVerdict.Correct), all.Count),
            Rate(all.Count(g => g.Citations == CitationVerdict.Ok), all.Count),
            Rate(withAction.Count(g => g.Action == ActionVerdict.Right), withAction.Count),
            Agreement.CohensKappa(doubled.Select(c => (c[0].Correctness, c[1].Correctness)).ToList()),
            Agreement.CohensKappa(doubled.Select(c => (c[0].Citations, c[1].Citations)).ToList()),
            Agreement.CohensKappa(doubled.Select(c => (c[0].Action, c[1].Action)).ToList()));
    }

    private static RateWithInterval Rate(int successes, int total) =>
        new(successes, total, total == 0 ? null : (double)successes / total, Wilson.Interval(successes, total, Confidence));
}
