using System.Text.RegularExpressions;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Answering;

/// <summary>Whether a claim says what its verified quotes say, and if not, why (a code of <see cref="ClaimSupportReasons"/>).</summary>
public sealed record ClaimSupportVerdict(bool Supported, string? Reason = null)
{
    /// <summary>The claim is supported.</summary>
    public static readonly ClaimSupportVerdict Holds = new(true);

    /// <summary>The claim is not supported, for <paramref name="reason"/>.</summary>
    public static ClaimSupportVerdict Fails(string reason) => new(false, reason);
}

/// <summary>Why a claim of an engine was dropped from a draft. Codes, stable: drafts and the ledger carry them.</summary>
public static class ClaimSupportReasons
{
    /// <summary>No citation of the claim checks out against the stored text.</summary>
    public const string NoVerifiedCitation = "no_verified_citation";

    /// <summary>Every verified quote is a sentence addressing the assistant (a planted instruction): data, never an answer.</summary>
    public const string QuoteIsInstruction = "quote_is_instruction";

    /// <summary>A number, amount or duration of the claim (with its unit) is not in the quotes.</summary>
    public const string NumberNotInQuote = "number_not_in_quote";

    /// <summary>The claim negates what the quotes affirm, or affirms what they negate.</summary>
    public const string NegationMismatch = "negation_mismatch";

    /// <summary>The claim names something (a product, place, carrier, model) the quotes do not.</summary>
    public const string EntityNotInQuote = "entity_not_in_quote";

    /// <summary>The quotes restrict what they say ("only if", "unless", "except") and the claim states it without the restriction.</summary>
    public const string ConditionDropped = "condition_dropped";

    /// <summary>The claim's meaning is far from its quotes (sentence-embedding cosine below the floor).</summary>
    public const string MeaningFarFromQuote = "meaning_far_from_quote";
}

/// <summary>
/// Checks that a claim is entailed by its quotes, not merely that the quotes exist. A stand-in for a natural language
/// inference model: one can replace the built-in check behind this interface.
/// </summary>
public interface IClaimSupport
{
    /// <summary>Names the check (for reports), e.g. <c>rules+cosine</c>.</summary>
    string Method { get; }

    /// <summary>Whether <paramref name="claim"/> says what <paramref name="quotes"/> (exact spans of the stored text) say.</summary>
    ValueTask<ClaimSupportVerdict> CheckAsync(string claim, IReadOnlyList<string> quotes, CancellationToken cancellationToken);
}

/// <summary>
/// The built-in support check: rules first (every number with its unit, every negation and every name of the claim
/// must be in the quotes; a restriction of the quotes must survive in the claim), then, when a sentence-embedding
/// model is available, the cosine similarity of the claim and its quotes must reach <see cref="Floor"/>. Without a
/// model the rules alone apply. A claim that repeats its quotes word for word (what the built-in engine produces) is
/// supported without further checks: it says exactly what they say.
/// </summary>
public sealed partial class EvidenceClaimSupport : IClaimSupport
{
    /// <summary>
    /// The cosine floor of all-MiniLM-L6-v2 between a claim and its quotes, measured on the labelled claim/quote pairs
    /// of the support-desk knowledge base (docs/grounding.md, "Claims checked for support"); a manifest sets its own in
    /// <c>retrieval.claim_far_below</c> (this by default).
    /// </summary>
    public const double DefaultFloor = 0.3;

    private readonly ISentenceEmbedder? _embedder;
    private readonly Action<string>? _warn;
    private volatile bool _embedderFailed;

    /// <summary>A check by the rules and, with <paramref name="embedder"/>, by meaning at <paramref name="floor"/>.</summary>
    public EvidenceClaimSupport(ISentenceEmbedder? embedder, double floor = DefaultFloor, Action<string>? warn = null)
    {
        _embedder = embedder;
        Floor = floor;
        _warn = warn;
    }

    /// <summary>The cosine below which a claim is too far in meaning from its quotes.</summary>
    public double Floor { get; }

    /// <inheritdoc />
    public string Method => _embedder is null || _embedderFailed ? "rules" : "rules+cosine";

    /// <inheritdoc />
    public ValueTask<ClaimSupportVerdict> CheckAsync(string claim, IReadOnlyList<string> quotes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(quotes);
        var evidence = string.Join(" ", quotes);
        if (Words(claim).SequenceEqual(Words(evidence), StringComparer.Ordinal))
        {
            return ValueTask.FromResult(ClaimSupportVerdict.Holds);
        }

        if (Rules(claim, evidence) is { } reason)
        {
            return ValueTask.FromResult(ClaimSupportVerdict.Fails(reason));
        }

        if (Cosine(claim, evidence, cancellationToken) is { } cosine && cosine < Floor)
        {
            return ValueTask.FromResult(ClaimSupportVerdict.Fails(ClaimSupportReasons.MeaningFarFromQuote));
        }

        return ValueTask.FromResult(ClaimSupportVerdict.Holds);
    }

    /// <summary>The cosine of claim and quotes, or null when there is no model (or it failed: the rules still apply).</summary>
    internal double? Cosine(string claim, string evidence, CancellationToken cancellationToken)
    {
        if (_embedder is null || _embedderFailed)
        {
            return null;
        }

        // A remote endpoint that hangs does not hold the answer: 5 s, then the rules alone (as when it fails).
        using var deadline = _embedder.FailuresPass ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken) : null;
        deadline?.CancelAfter(DenseRetrieval.WaitedOnTimeout);
        try
        {
            var vectors = _embedder.Embed([claim, evidence], deadline?.Token ?? cancellationToken);
            // Unit vectors (ISentenceEmbedder's contract): the dot product is the cosine.
            var dot = 0.0;
            for (var i = 0; i < vectors[0].Length && i < vectors[1].Length; i++)
            {
                dot += vectors[0][i] * vectors[1][i];
            }

            return dot;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || (deadline is not null && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested))
        {
            _embedderFailed = true;
            _warn?.Invoke($"claim support by meaning is off ({ex.GetType().Name}: {ex.Message}); claims are checked by the rules alone");
            return null;
        }
    }

    /// <summary>The first rule the claim breaks against <paramref name="evidence"/>, or null.</summary>
    internal static string? Rules(string claim, string evidence)
    {
        var c = Tokens(claim);
        var q = Tokens(evidence);
        if (!NumbersHeld(c, q))
        {
            return ClaimSupportReasons.NumberNotInQuote;
        }

        if (!NegationsAgree(c, q))
        {
            return ClaimSupportReasons.NegationMismatch;
        }

        if (!NamesHeld(claim, q))
        {
            return ClaimSupportReasons.EntityNotInQuote;
        }

        if (q.Any(t => Restrictions.Contains(t)) && !c.Any(t => Qualifiers.Contains(t)))
        {
            return ClaimSupportReasons.ConditionDropped;
        }

        return null;
    }

    /// <summary>
    /// Every number of the claim is in the quotes, and a number the claim gives a unit (days, EUR, %) has that unit in
    /// the quotes too: "14 weeks" is not "14 days".
    /// </summary>
    private static bool NumbersHeld(List<string> claim, List<string> quote)
    {
        for (var i = 0; i < claim.Count; i++)
        {
            if (!IsNumber(claim[i]))
            {
                continue;
            }

            var unit = UnitNear(claim, i);
            var found = false;
            for (var j = 0; j < quote.Count && !found; j++)
            {
                found = quote[j] == claim[i] && (unit is null || UnitNear(quote, j) == unit);
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsNumber(string token) => token.Length > 0 && char.IsAsciiDigit(token[0]);

    /// <summary>The unit of the number at <paramref name="at"/>: a unit word within two words after it, or a currency sign before it.</summary>
    private static string? UnitNear(List<string> tokens, int at)
    {
        if (at > 0 && Units.TryGetValue(tokens[at - 1], out var before) && before is "eur" or "usd" or "gbp" or "chf")
        {
            return before;
        }

        for (var k = at + 1; k < tokens.Count && k <= at + 2; k++)
        {
            if (Units.TryGetValue(tokens[k], out var unit))
            {
                return unit;
            }

            if (IsNumber(tokens[k]))
            {
                // "2-4 working days": the first number of a range takes the unit of the second.
                continue;
            }
        }

        return null;
    }

    /// <summary>
    /// A claim with a negation needs one in the quotes; a quote that negates a word the claim affirms ("no customs
    /// charges" against "customs charges apply") contradicts it.
    /// </summary>
    private static bool NegationsAgree(List<string> claim, List<string> quote)
    {
        var claimNegates = claim.Any(Negations.Contains);
        var quoteNegates = quote.Any(Negations.Contains);
        if (claimNegates)
        {
            return quoteNegates;
        }

        // "used" against "unused", "available" against "unavailable": a negating prefix dropped.
        var quoteWords = quote.ToHashSet(StringComparer.Ordinal);
        if (claim.Any(t => t.Length > 3 && !quoteWords.Contains(t) && NegatingPrefixes.Any(p => quoteWords.Contains(p + t))))
        {
            return false;
        }

        var claimStems = claim.Select(Stem).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < quote.Count; i++)
        {
            if (!Negations.Contains(quote[i]))
            {
                continue;
            }

            // The first words the negation governs ("not be returned", "no customs charges").
            var governed = quote.Skip(i + 1).Where(t => !Light.Contains(t) && !IsNumber(t)).Take(2);
            if (governed.Any(t => claimStems.Contains(Stem(t))))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Names of the claim (capitalised words not opening a sentence, acronyms, model numbers such as "X200") occur in
    /// the quotes: a claim about the Trailblazer is not supported by a quote about the Summit.
    /// </summary>
    private static bool NamesHeld(string claim, List<string> quote)
    {
        var quoteWords = quote.ToHashSet(StringComparer.Ordinal);
        foreach (Match m in NamePattern().Matches(claim))
        {
            var word = m.Value;
            var opensSentence = m.Index == 0 || OpensSentence().IsMatch(claim[..m.Index]);
            var acronym = word.Length >= 2 && word.All(ch => !char.IsLetter(ch) || char.IsUpper(ch)) && word.Any(char.IsLetter);
            var model = word.Any(char.IsLetter) && word.Any(char.IsAsciiDigit);
            var capitalised = char.IsUpper(word[0]) && word != "I";
            if (!(acronym || model || (capitalised && !opensSentence)))
            {
                continue;
            }

            var lower = Normalise(word);
            if (Units.ContainsKey(lower) || quoteWords.Contains(lower) || Tokens(word).All(quoteWords.Contains))
            {
                continue;
            }

            return false;
        }

        return true;
    }

    /// <summary>Lower-case words and numbers: currency signs become codes, number words digits, "can't" stays one word.</summary>
    private static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        foreach (Match m in TokenPattern().Matches(text.Replace("€", " € ", StringComparison.Ordinal).Replace("$", " $ ", StringComparison.Ordinal).Replace("£", " £ ", StringComparison.Ordinal)))
        {
            var t = Normalise(m.Value);
            tokens.Add(NumberWords.TryGetValue(t, out var digits) ? digits : t);
        }

        // "a day", "an hour": one of the unit, so "within a day" is not "within 3 working days".
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i] is "a" or "an" && Units.ContainsKey(tokens[i + 1]) && !char.IsSymbol(tokens[i + 1][0]))
            {
                tokens[i] = "1";
            }
        }

        return tokens;
    }

    private static string Normalise(string word)
    {
        var t = word.ToLowerInvariant().Replace('’', '\'').Trim('\'', '.', ',');
        if (t.Length > 0 && char.IsAsciiDigit(t[0]))
        {
            // 14,90 and 14.90 are one amount; 1,000 and 1000 one count; 14.00 and 14 one price.
            t = t.Replace(',', '.');
            if (Regex.IsMatch(t, @"^\d{1,3}(\.\d{3})+$", RegexOptions.None, TimeSpan.FromSeconds(1)))
            {
                t = t.Replace(".", "", StringComparison.Ordinal);
            }

            if (t.EndsWith(".00", StringComparison.Ordinal))
            {
                t = t[..^3];
            }
        }

        return t;
    }

    private static List<string> Words(string text) =>
        [.. TokenPattern().Matches(text).Select(m => Normalise(m.Value)).Where(t => t.Length > 0)];

    private static string Stem(string word) => word.Length > 5 ? word[..5] : word;

    private static readonly HashSet<string> Negations = new(
        ["not", "no", "never", "cannot", "can't", "won't", "don't", "doesn't", "isn't", "aren't", "wasn't", "weren't", "didn't",
         "hasn't", "haven't", "shouldn't", "mustn't", "without", "none", "nothing", "nor", "neither", "nobody", "nowhere"],
        StringComparer.Ordinal);

    private static readonly string[] NegatingPrefixes = ["un", "in", "im", "non", "non-", "dis"];

    // Words a restriction hangs on; "if" and "when" alone are too common in help-centre sentences to count.
    private static readonly HashSet<string> Restrictions = new(["only", "unless", "except", "excluding", "exclusively", "solely"], StringComparer.Ordinal);

    private static readonly HashSet<string> Qualifiers = new(
        ["only", "unless", "except", "excluding", "exclusively", "solely", "if", "when", "provided", "long", "but", "just", "once", "after", "before"],
        StringComparer.Ordinal);

    private static readonly HashSet<string> Light = new(
        ["a", "an", "the", "be", "been", "is", "are", "to", "of", "any", "your", "our", "we", "you", "it", "this", "that", "yet", "always", "usually", "need", "have", "has", "do", "does"],
        StringComparer.Ordinal);

    private static readonly Dictionary<string, string> Units = new(StringComparer.Ordinal)
    {
        ["day"] = "day", ["days"] = "day", ["week"] = "week", ["weeks"] = "week", ["month"] = "month", ["months"] = "month",
        ["year"] = "year", ["years"] = "year", ["hour"] = "hour", ["hours"] = "hour", ["minute"] = "minute", ["minutes"] = "minute",
        ["eur"] = "eur", ["euro"] = "eur", ["euros"] = "eur", ["€"] = "eur", ["usd"] = "usd", ["$"] = "usd", ["gbp"] = "gbp", ["£"] = "gbp",
        ["chf"] = "chf", ["%"] = "percent", ["percent"] = "percent", ["kg"] = "kg", ["cm"] = "cm",
    };

    private static readonly Dictionary<string, string> NumberWords = new(StringComparer.Ordinal)
    {
        ["one"] = "1", ["two"] = "2", ["three"] = "3", ["four"] = "4", ["five"] = "5", ["six"] = "6", ["seven"] = "7", ["eight"] = "8",
        ["nine"] = "9", ["ten"] = "10", ["eleven"] = "11", ["twelve"] = "12", ["fourteen"] = "14", ["fifteen"] = "15", ["twenty"] = "20",
        ["thirty"] = "30", ["sixty"] = "60", ["ninety"] = "90", ["hundred"] = "100",
    };

    [GeneratedRegex(@"[€$£%]|\d+(?:[.,:]\d+)*|[\p{L}\p{N}]+(?:['’][\p{L}]+)?")]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"[\p{L}][\p{L}\p{N}]*|\d+[\p{L}][\p{L}\p{N}]*")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"(^|[.!?:;—–]\s*|\n\s*)[\s""'(*|-]*$")]
    private static partial Regex OpensSentence();
}
