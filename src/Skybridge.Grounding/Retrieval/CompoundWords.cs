using System.Text.RegularExpressions;

namespace Skybridge.Grounding.Retrieval;

/// <summary>
/// A word the question runs together that the sources write as two ("pagesize" for "page size", "readonly" for
/// "read-only"), or two words the question splits that the sources run together ("auto vacuum" for "autovacuum").
/// No edit distance: the letters are the question's own, only the space or hyphen moves, so a misspelling is never
/// read as another word (docs/performance.md, "Respelling a misspelt question"). Each form is offered only where the
/// sources use it and the question's own form is unknown to them (a split) or used less (a join).
/// </summary>
public static partial class CompoundWords
{
    /// <summary>Each part of a split at least this long: shorter parts ("re", "un") are affixes, not words.</summary>
    private const int MinimumPart = 3;

    /// <summary>A question word <paramref name="Word"/> (analysed <paramref name="Term"/>) the sources write as <paramref name="First"/> <paramref name="Second"/>.</summary>
    public sealed record Split(string Word, string Term, string First, string FirstTerm, string Second, string SecondTerm);

    /// <summary>Two adjacent question words the sources write as one word, analysed <paramref name="Term"/>.</summary>
    public sealed record Join(string First, string FirstTerm, string Second, string SecondTerm, string Term);

    /// <summary>
    /// The question's words whose analysed term <paramref name="known"/> does not know and that split into two words
    /// whose terms it does know.
    /// </summary>
    public static IReadOnlyList<Split> Splits(string question, Func<string, IReadOnlyList<string>> analyse, Func<string, bool> known)
    {
        ArgumentNullException.ThrowIfNull(question);
        var found = new List<Split>();
        foreach (Match word in Word().Matches(question))
        {
            var w = word.Value;
            if (w.Length < 2 * MinimumPart || analyse(w) is not [var term] || known(term))
            {
                continue;
            }

            for (var i = MinimumPart; i <= w.Length - MinimumPart; i++)
            {
                if (analyse(w[..i]) is [var first] && analyse(w[i..]) is [var second] && known(first) && known(second))
                {
                    found.Add(new Split(w, term, w[..i], first, w[i..], second));
                }
            }
        }

        return found;
    }

    /// <summary>Adjacent question words (only space between them) whose joined form's term <paramref name="known"/> knows.</summary>
    public static IReadOnlyList<Join> Joins(string question, Func<string, IReadOnlyList<string>> analyse, Func<string, bool> known)
    {
        ArgumentNullException.ThrowIfNull(question);
        var found = new List<Join>();
        var words = Word().Matches(question);
        for (var i = 0; i + 1 < words.Count; i++)
        {
            var (a, b) = (words[i], words[i + 1]);
            var between = question.AsSpan(a.Index + a.Length, b.Index - a.Index - a.Length);
            if (between.IsEmpty || !between.IsWhiteSpace())
            {
                continue;
            }

            if (analyse(a.Value) is [var first] && analyse(b.Value) is [var second]
                && analyse(a.Value + b.Value) is [var joined] && known(joined))
            {
                found.Add(new Join(a.Value, first, b.Value, second, joined));
            }
        }

        return found;
    }

    /// <summary>Whether <paramref name="text"/> writes the two words apart: with a space or a hyphen, the second maybe inflected.</summary>
    public static bool WrittenApart(string text, string first, string second)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Contains(first, StringComparison.OrdinalIgnoreCase)
            && Regex.IsMatch(text, $@"(?<!\p{{L}}){Regex.Escape(first)}[\s\-]+{Regex.Escape(second)}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    // Letters only: a word with digits, underscores or dots is code or a version, never a compound of language words.
    [GeneratedRegex(@"(?<![\p{L}\p{N}_.])\p{L}+(?![\p{L}\p{N}_]|\.\p{L})")]
    private static partial Regex Word();
}
