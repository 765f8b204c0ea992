using System.Text.RegularExpressions;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Evaluation;

/// <summary>
/// A golden set: representative real cases, each with the outcome the people who do the work agreed on
/// (docs/evaluation.md). Loaded with <see cref="GoldenSetLoader.Load(byte[], string)"/>.
/// </summary>
public sealed record GoldenSet
{
    /// <summary>The format version (1).</summary>
    public required int Version { get; init; }

    /// <summary>The cases, in file order.</summary>
    public required IReadOnlyList<GoldenCase> Cases { get; init; }

    /// <summary>Lower-case hex SHA-256 of the file's bytes, the value a manifest pins.</summary>
    public required string Sha256 { get; init; }
}

/// <summary>What a case expects the system to do.</summary>
public enum ExpectedOutcome
{
    /// <summary>Answer the ticket.</summary>
    Answer,

    /// <summary>Decline to answer (hand over to a person).</summary>
    Abstain,
}

/// <summary>One golden case.</summary>
public sealed record GoldenCase
{
    /// <summary>Unique id within the set, e.g. <c>gs-001</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The ticket text given to the system.</summary>
    public required string Input { get; init; }

    /// <summary>Free-form case attributes (e.g. <c>ticket_id</c>).</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();

    /// <summary>What the output must contain or avoid.</summary>
    public required GoldenExpectation Expect { get; init; }

    /// <summary>Tags from <see cref="GoldenTags.Known"/>, in file order.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Who agreed the outcome.</summary>
    public required Principal AgreedBy { get; init; }

    /// <summary>When the outcome was agreed.</summary>
    public required DateOnly AgreedOn { get; init; }

    /// <summary>Where the case starts in the file, for reports.</summary>
    public required SourceLocation Location { get; init; }

    /// <summary>True when the case carries <paramref name="tag"/>.</summary>
    public bool HasTag(string tag)
    {
        for (var i = 0; i < Tags.Count; i++)
        {
            if (string.Equals(Tags[i], tag, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The expected outcome of one case.</summary>
public sealed record GoldenExpectation
{
    /// <summary>Answer or abstain.</summary>
    public required ExpectedOutcome Outcome { get; init; }

    /// <summary>What the answer must state (never with <see cref="ExpectedOutcome.Abstain"/>).</summary>
    public IReadOnlyList<ExpectedFact> Facts { get; init; } = [];

    /// <summary>Where each of <see cref="Facts"/> is written in the file (same order; empty when not read from a file).</summary>
    public IReadOnlyList<SourceLocation> FactLocations { get; init; } = [];

    /// <summary>Source documents the answer must cite (paths under the sources).</summary>
    public IReadOnlyList<string> Cite { get; init; } = [];

    /// <summary>Where each of <see cref="Cite"/> is written in the file (same order; empty when not read from a file).</summary>
    public IReadOnlyList<SourceLocation> CiteLocations { get; init; } = [];

    /// <summary>Actions the system must propose; listed parameters must match, others are ignored.</summary>
    public IReadOnlyList<ExpectedAction> Actions { get; init; } = [];

    /// <summary>Actions the system must not propose.</summary>
    public IReadOnlyList<string> NoActions { get; init; } = [];
}

/// <summary>A fact the answer must state.</summary>
public abstract record ExpectedFact
{
    /// <summary>The fact as written in the golden set, for reports.</summary>
    public abstract string Describe();
}

/// <summary>Text that must appear: case-insensitive, whitespace-normalised substring.</summary>
/// <param name="Text">The text as written.</param>
public sealed record TextFact(string Text) : ExpectedFact
{
    /// <summary>Lower-case, whitespace runs collapsed to one space, trimmed: compared against the normalised answer.</summary>
    public string Normalized { get; } = AnswerText.Normalize(Text);

    /// <inheritdoc/>
    public override string Describe() => $"\"{Text}\"";
}

/// <summary>A regular expression the answer must match (case-insensitive, on the whitespace-normalised answer).</summary>
public sealed record PatternFact : ExpectedFact
{
    /// <summary>Creates the fact and compiles its expression once (throws for an invalid one; the loader checks first).</summary>
    public PatternFact(string pattern)
    {
        Pattern = pattern;
        Regex = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout);
    }

    /// <summary>A pattern that runs longer than this fails its fact rather than stall the run (catastrophic backtracking).</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>The expression as written.</summary>
    public string Pattern { get; }

    /// <summary>The compiled expression, shared by every scoring of the case.</summary>
    public Regex Regex { get; }

    /// <inheritdoc/>
    public override string Describe() => $"/{Pattern}/";
}

/// <summary>A number that must appear in the answer (34.9, 34.90 and 34,90 all match 34.90).</summary>
/// <param name="Value">The number.</param>
public sealed record NumberFact(decimal Value) : ExpectedFact
{
    /// <summary>How far a number in the answer may be from <see cref="Value"/> and still match (rounding to cents).</summary>
    public const decimal Tolerance = 0.005m;

    /// <inheritdoc/>
    public override string Describe() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>An action the system must propose.</summary>
/// <param name="Action">The action name.</param>
/// <param name="Parameters">Parameters that must match (text compared case-insensitively, numbers within 0.005).</param>
public sealed record ExpectedAction(string Action, IReadOnlyDictionary<string, string> Parameters);

/// <summary>The tags a golden case may carry.</summary>
public static class GoldenTags
{
    /// <summary>Every known tag; anything else is SB1603 (or SB1151 in an acceptance bar).</summary>
    public static readonly IReadOnlyList<string> Known =
    [
        "ugly", "injection", "pii", "out-of-scope", "multi-intent", "typo", "other-language", "outdated-source",
        "contradicting-sources", "refund-small", "refund-large", "abstain", "routine",
        "vague", "later-version",
    ];
}
