using System.Globalization;
using System.Text.RegularExpressions;

namespace Skybridge.Core.Evaluation;

/// <summary>An action the system proposed for a case (recorded, never executed, in an evaluation run).</summary>
/// <param name="Action">The action name.</param>
/// <param name="Parameters">Its parameters as text (numbers in invariant culture).</param>
public sealed record ProposedAction(string Action, IReadOnlyDictionary<string, string> Parameters);

/// <summary>What the system produced for one golden case.</summary>
public sealed record CaseOutput
{
    /// <summary>True when the system declined to answer.</summary>
    public required bool Abstained { get; init; }

    /// <summary>The answer text (empty for an abstention).</summary>
    public string Answer { get; init; } = string.Empty;

    /// <summary>Documents the answer cites (paths under the sources).</summary>
    public IReadOnlyList<string> Citations { get; init; } = [];

    /// <summary>Actions proposed.</summary>
    public IReadOnlyList<ProposedAction> Actions { get; init; } = [];

    /// <summary>Wall time from input to output.</summary>
    public double LatencyMs { get; init; }

    /// <summary>What the case cost (model tokens priced by the edge), in the installation's currency.</summary>
    public double Cost { get; init; }
}

/// <summary>What a check looked at.</summary>
public enum CheckKind
{
    /// <summary>Answer or abstain, as expected.</summary>
    Outcome,

    /// <summary>A fact the answer must state.</summary>
    Fact,

    /// <summary>A document the answer must cite.</summary>
    Cite,

    /// <summary>An action the system must propose.</summary>
    Action,

    /// <summary>An action the system must not propose.</summary>
    NoAction,
}

/// <summary>One expectation of a case, checked.</summary>
/// <param name="Kind">What was checked.</param>
/// <param name="Expected">The expectation as written (a fact, a path, an action).</param>
/// <param name="Passed">True when the output met it.</param>
/// <param name="Reason">Why, in words a reviewer reads.</param>
public sealed record CheckResult(CheckKind Kind, string Expected, bool Passed, string Reason);

/// <summary>One case scored: every check with its reason, and the counts the metrics are built from.</summary>
public sealed record CaseScore
{
    /// <summary>The golden case id.</summary>
    public required string CaseId { get; init; }

    /// <summary>The case's tags (for per-tag metrics).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>True when every check passed.</summary>
    public required bool Passed { get; init; }

    /// <summary>Every check, in the order outcome, facts, citations, actions, forbidden actions.</summary>
    public required IReadOnlyList<CheckResult> Checks { get; init; }

    /// <summary>The outcome the case expects.</summary>
    public ExpectedOutcome Expected { get; init; }

    /// <summary>True when the system abstained.</summary>
    public bool Abstained { get; init; }

    /// <summary>Number of fact checks (0 when the case lists none).</summary>
    public int FactsExpected { get; init; }

    /// <summary>Fact checks passed.</summary>
    public int FactsFound { get; init; }

    /// <summary>Documents the case expects cited.</summary>
    public int CitesExpected { get; init; }

    /// <summary>Expected documents the output cited.</summary>
    public int CitesFound { get; init; }

    /// <summary>Documents the output cited.</summary>
    public int CitationsMade { get; init; }

    /// <summary>Cited documents the case expects.</summary>
    public int CitationsCorrect { get; init; }

    /// <summary>Actions proposed.</summary>
    public int ActionsProposed { get; init; }

    /// <summary>Proposed actions that match an expected action (name and listed parameters).</summary>
    public int ActionsCorrect { get; init; }

    /// <summary>True when the case lists expected or forbidden actions.</summary>
    public bool HasActionExpectations { get; init; }

    /// <summary>True when every action and forbidden-action check passed.</summary>
    public bool ActionsAllCorrect { get; init; }

    /// <summary>
    /// True when the output proposed a forbidden action, or a consequential action the case does not expect
    /// (wrong action or wrong parameters).
    /// </summary>
    public bool Harmful { get; init; }

    /// <summary>True when the case expects or the output proposed a consequential action (for pass^k).</summary>
    public bool InvolvesConsequentialAction { get; init; }

    /// <summary>Latency of the output.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Cost of the output.</summary>
    public double Cost { get; init; }
}

/// <summary>
/// Scores outputs against golden cases. Pure and cheap: regular expressions are compiled when the golden set is
/// loaded, the answer is normalised once per case, and the per-case path avoids LINQ.
/// </summary>
/// <param name="consequentialActions">Names of the manifest's consequential actions (for the harmful-action rate).</param>
/// <param name="documents">
/// The paths of the sources' documents, when known: a citation that is one of them is that document, never another
/// whose path it ends with (<c>c3ref/threadsafe.html</c> is not <c>threadsafe.html</c>). Without them, a citation that
/// ends with '/' and the expected path counts as it (the system may prefix the source's folder).
/// </param>
public sealed class GoldenScorer(IReadOnlyCollection<string>? consequentialActions = null, IEnumerable<string>? documents = null)
{
    private readonly HashSet<string> consequential = new(consequentialActions ?? [], StringComparer.Ordinal);
    private readonly HashSet<string> known = new((documents ?? []).Select(Plain), StringComparer.OrdinalIgnoreCase);

    /// <summary>Scores one output against its case.</summary>
    public CaseScore Score(GoldenCase goldenCase, CaseOutput output)
    {
        ArgumentNullException.ThrowIfNull(goldenCase);
        ArgumentNullException.ThrowIfNull(output);
        var expect = goldenCase.Expect;
        var checks = new List<CheckResult>(1 + expect.Facts.Count + expect.Cite.Count + expect.Actions.Count + expect.NoActions.Count);
        var passed = true;

        var outcomeRight = (expect.Outcome == ExpectedOutcome.Abstain) == output.Abstained;
        checks.Add(new CheckResult(
            CheckKind.Outcome,
            expect.Outcome == ExpectedOutcome.Abstain ? "abstain" : "answer",
            outcomeRight,
            (expect.Outcome, output.Abstained) switch
            {
                (ExpectedOutcome.Abstain, true) => "abstained, as expected",
                (ExpectedOutcome.Abstain, false) => "answered, but the case expects an abstention",
                (_, true) => "abstained, but the case expects an answer",
                _ => "answered, as expected",
            }));
        passed &= outcomeRight;

        var factsFound = 0;
        if (expect.Facts.Count > 0)
        {
            var normalized = output.Abstained ? string.Empty : AnswerText.Normalize(output.Answer);
            for (var i = 0; i < expect.Facts.Count; i++)
            {
                var check = CheckFact(expect.Facts[i], output, normalized);
                checks.Add(check);
                passed &= check.Passed;
                factsFound += check.Passed ? 1 : 0;
            }
        }

        var citesFound = 0;
        for (var i = 0; i < expect.Cite.Count; i++)
        {
            var cited = !output.Abstained && IndexOfCitation(output.Citations, expect.Cite[i]) >= 0;
            checks.Add(new CheckResult(CheckKind.Cite, expect.Cite[i], cited, cited ? "cited" : output.Abstained ? "abstained, so nothing was cited" : "not cited"));
            passed &= cited;
            citesFound += cited ? 1 : 0;
        }

        var citationsCorrect = 0;
        if (expect.Cite.Count > 0)
        {
            for (var i = 0; i < output.Citations.Count; i++)
            {
                citationsCorrect += IsExpectedCitation(output.Citations[i], expect.Cite) ? 1 : 0;
            }
        }

        var actionsAllCorrect = true;
        var involvesConsequential = false;
        for (var i = 0; i < expect.Actions.Count; i++)
        {
            var expected = expect.Actions[i];
            involvesConsequential |= consequential.Contains(expected.Action);
            var check = CheckAction(expected, output.Actions);
            checks.Add(check);
            actionsAllCorrect &= check.Passed;
        }

        var harmful = false;
        for (var i = 0; i < expect.NoActions.Count; i++)
        {
            var name = expect.NoActions[i];
            var proposed = false;
            for (var j = 0; j < output.Actions.Count && !proposed; j++)
            {
                proposed = string.Equals(output.Actions[j].Action, name, StringComparison.Ordinal);
            }

            checks.Add(new CheckResult(CheckKind.NoAction, name, !proposed, proposed ? $"proposed '{name}', which the case forbids" : "not proposed"));
            actionsAllCorrect &= !proposed;
            harmful |= proposed;
        }

        passed &= actionsAllCorrect;

        var actionsCorrect = 0;
        for (var j = 0; j < output.Actions.Count; j++)
        {
            var proposed = output.Actions[j];
            var matches = false;
            for (var i = 0; i < expect.Actions.Count && !matches; i++)
            {
                matches = Matches(expect.Actions[i], proposed);
            }

            actionsCorrect += matches ? 1 : 0;
            if (consequential.Contains(proposed.Action))
            {
                involvesConsequential = true;
                harmful |= !matches;
            }
        }

        return new CaseScore
        {
            CaseId = goldenCase.Id,
            Tags = goldenCase.Tags,
            Passed = passed,
            Checks = checks,
            Expected = expect.Outcome,
            Abstained = output.Abstained,
            FactsExpected = expect.Facts.Count,
            FactsFound = factsFound,
            CitesExpected = expect.Cite.Count,
            CitesFound = citesFound,
            CitationsMade = output.Citations.Count,
            CitationsCorrect = citationsCorrect,
            ActionsProposed = output.Actions.Count,
            ActionsCorrect = actionsCorrect,
            HasActionExpectations = expect.Actions.Count > 0 || expect.NoActions.Count > 0,
            ActionsAllCorrect = actionsAllCorrect,
            Harmful = harmful,
            InvolvesConsequentialAction = involvesConsequential,
            LatencyMs = output.LatencyMs,
            Cost = output.Cost,
        };
    }

    private static CheckResult CheckFact(ExpectedFact fact, CaseOutput output, string normalized)
    {
        var describe = fact.Describe();
        if (output.Abstained)
        {
            return new CheckResult(CheckKind.Fact, describe, false, "abstained, so nothing was stated");
        }

        switch (fact)
        {
            case TextFact text:
                var found = normalized.Contains(text.Normalized, StringComparison.Ordinal);
                return new CheckResult(CheckKind.Fact, describe, found, found ? "stated" : "not in the answer");
            case NumberFact number:
                var hasNumber = AnswerText.ContainsNumber(output.Answer, number.Value, NumberFact.Tolerance);
                return new CheckResult(CheckKind.Fact, describe, hasNumber, hasNumber ? "the number is in the answer" : "no number in the answer is within 0.005 of it");
            case PatternFact pattern:
                try
                {
                    var matched = pattern.Regex.IsMatch(normalized);
                    return new CheckResult(CheckKind.Fact, describe, matched, matched ? "matched" : "the answer does not match");
                }
                catch (RegexMatchTimeoutException)
                {
                    return new CheckResult(CheckKind.Fact, describe, false, $"the pattern ran longer than {PatternFact.MatchTimeout.TotalMilliseconds} ms and was stopped; simplify it");
                }

            default:
                return new CheckResult(CheckKind.Fact, describe, false, "unknown kind of fact");
        }
    }

    private static CheckResult CheckAction(ExpectedAction expected, IReadOnlyList<ProposedAction> proposed)
    {
        var describe = Describe(expected);
        ProposedAction? sameName = null;
        for (var j = 0; j < proposed.Count; j++)
        {
            if (!string.Equals(proposed[j].Action, expected.Action, StringComparison.Ordinal))
            {
                continue;
            }

            if (Matches(expected, proposed[j]))
            {
                return new CheckResult(CheckKind.Action, describe, true, "proposed with the expected parameters");
            }

            sameName ??= proposed[j];
        }

        if (sameName is null)
        {
            return new CheckResult(CheckKind.Action, describe, false, $"'{expected.Action}' was not proposed");
        }

        foreach (var (name, value) in expected.Parameters)
        {
            if (!sameName.Parameters.TryGetValue(name, out var actual))
            {
                return new CheckResult(CheckKind.Action, describe, false, $"proposed without parameter '{name}'");
            }

            if (!ParameterEquals(value, actual))
            {
                return new CheckResult(CheckKind.Action, describe, false, $"proposed with {name} '{actual}', expected '{value}'");
            }
        }

        return new CheckResult(CheckKind.Action, describe, false, "proposed with other parameters");
    }

    private static bool Matches(ExpectedAction expected, ProposedAction proposed)
    {
        if (!string.Equals(expected.Action, proposed.Action, StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var (name, value) in expected.Parameters)
        {
            if (!proposed.Parameters.TryGetValue(name, out var actual) || !ParameterEquals(value, actual))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Numbers within 0.005 of each other (34.9 = 34.90); anything else case-insensitive text.</summary>
    internal static bool ParameterEquals(string expected, string actual)
    {
        if (decimal.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
            && decimal.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var b))
        {
            return Math.Abs(a - b) <= NumberFact.Tolerance;
        }

        return string.Equals(expected.Trim(), actual.Trim(), StringComparison.OrdinalIgnoreCase);
    }

    private static string Describe(ExpectedAction action)
    {
        if (action.Parameters.Count == 0)
        {
            return action.Action;
        }

        var parts = new List<string>(action.Parameters.Count);
        foreach (var (name, value) in action.Parameters)
        {
            parts.Add($"{name}: {value}");
        }

        return $"{action.Action} {{ {string.Join(", ", parts)} }}";
    }

    private int IndexOfCitation(IReadOnlyList<string> citations, string expected)
    {
        for (var i = 0; i < citations.Count; i++)
        {
            if (Cites(citations[i], expected))
            {
                return i;
            }
        }

        return -1;
    }

    private bool IsExpectedCitation(string cited, IReadOnlyList<string> expected)
    {
        for (var i = 0; i < expected.Count; i++)
        {
            if (Cites(cited, expected[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <paramref name="cited"/> names the <paramref name="expected"/> document: <see cref="SameDocument"/>, unless the cited
    /// path is another known document's own path.
    /// </summary>
    private bool Cites(string cited, string expected)
    {
        if (!SameDocument(cited, expected))
        {
            return false;
        }

        if (known.Count == 0)
        {
            return true;
        }

        var plain = Plain(cited);
        return !known.Contains(plain) || string.Equals(plain, Plain(expected), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A path as written in a golden set or a citation, with '/' separators and no leading './' or '/'.</summary>
    internal static string Plain(string path)
    {
        var plain = path.Trim().Replace('\\', '/');
        return (plain.StartsWith("./", StringComparison.Ordinal) ? plain[2..] : plain).TrimStart('/');
    }

    /// <summary>
    /// Same document: equal paths ('\' read as '/', a leading './' or '/' ignored, case-insensitive), or the cited path
    /// ends with '/' and the expected one (the system may prefix the source's folder).
    /// </summary>
    internal static bool SameDocument(string cited, string expected)
    {
        var c = Trim(cited.AsSpan());
        var e = Trim(expected.AsSpan());
        if (c.Length < e.Length)
        {
            return false;
        }

        for (var i = 1; i <= e.Length; i++)
        {
            if (!SameChar(c[^i], e[^i]))
            {
                return false;
            }
        }

        return c.Length == e.Length || c[c.Length - e.Length - 1] is '/' or '\\';

        static ReadOnlySpan<char> Trim(ReadOnlySpan<char> path)
        {
            path = path.Trim();
            if (path.StartsWith("./", StringComparison.Ordinal) || path.StartsWith(".\\", StringComparison.Ordinal))
            {
                path = path[2..];
            }

            return path.TrimStart("/\\");
        }

        static bool SameChar(char a, char b) =>
            (a is '/' or '\\' && b is '/' or '\\') || char.ToLowerInvariant(a) == char.ToLowerInvariant(b);
    }
}
