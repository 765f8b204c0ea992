using System.Text.RegularExpressions;

namespace Skybridge.Core.Grounding;

/// <summary>What kind of statement answers a question.</summary>
public enum QuestionType
{
    /// <summary>Anything that states the topic.</summary>
    Open,

    /// <summary>"How long", "when", "how many days": a duration or a point in time.</summary>
    Duration,

    /// <summary>"How much", "what does it cost", "fee": an amount of money.</summary>
    Amount,

    /// <summary>"Can I", "is it possible", "do you": a yes or no, with its condition.</summary>
    YesNo,
}

/// <summary>One question of a case: its words (offsets in the case text) and the kind of statement that answers it.</summary>
public sealed record QuestionPart(TextSpan Span, string Text, QuestionType Type);

/// <summary>
/// Reads a case the way a support agent does: which questions it asks (a ticket often asks two or three), what kind of
/// statement answers each one, and which language it is written in. Pure rules, no model.
/// </summary>
public static partial class QuestionReading
{
    /// <summary>
    /// The questions of <paramref name="text"/>: each sentence ending in '?' is one, and so is a sentence opening with a
    /// question word; when none looks like a question the whole text is one part (a complaint asks for help too).
    /// </summary>
    public static IReadOnlyList<QuestionPart> Parts(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sentences = SentenceSplitter.Split(text, new TextSpan(0, text.Length)).ToList();
        var questions = sentences.Where(s => IsQuestion(s.Of(text))).ToList();
        if (questions.Count <= 1)
        {
            if (text.Trim().Length == 0)
            {
                return [];
            }

            // Only a question is split: a request without one ("tell me what he bought and where it went") is one ask.
            var asked = questions.Count == 1 ? questions[0] : new TextSpan(0, text.Length);
            var pieces = questions.Count == 1 ? SplitSentence(text, asked) : [asked];
            if (pieces.Count == 1)
            {
                return [new QuestionPart(new TextSpan(0, text.Length), text, TypeOf(asked.Of(text).Trim()))];
            }

            // The statements before the question are the first part's context.
            pieces[0] = new TextSpan(0, pieces[0].End);
            return [.. pieces.Select(p => new QuestionPart(p, p.Of(text), TypeOf(p.Of(text))))];
        }

        // The statements before the first question are its context ("I bought boots last week. How long...").
        var parts = new List<QuestionPart>();
        foreach (var q in questions)
        {
            foreach (var piece in SplitSentence(text, q))
            {
                var span = new TextSpan(parts.Count == 0 ? 0 : piece.Start, piece.End);
                parts.Add(new QuestionPart(span, span.Of(text), TypeOf(piece.Of(text))));
            }
        }

        return parts;
    }

    /// <summary>
    /// One sentence that asks two things ("are X on by default, and how do I enable them?") is two questions, so that
    /// each is answered or handed over on its own: the pieces of <paramref name="sentence"/>, as spans of the text.
    /// </summary>
    private static List<TextSpan> SplitSentence(string text, TextSpan sentence)
    {
        var pieces = new List<TextSpan>();
        var of = sentence.Of(text);
        var start = 0;
        foreach (Match m in SecondQuestion().Matches(of))
        {
            if (Trimmed(text, sentence.Start + start, sentence.Start + m.Index) is { } piece)
            {
                pieces.Add(piece);
            }

            start = m.Groups["q"].Index;
        }

        if (Trimmed(text, sentence.Start + start, sentence.End) is { } last)
        {
            pieces.Add(last);
        }

        return pieces.Count == 0 ? [sentence] : pieces;
    }

    /// <summary>The span without surrounding whitespace, or null when nothing else is in it.</summary>
    private static TextSpan? Trimmed(string text, int start, int end)
    {
        while (start < end && char.IsWhiteSpace(text[start]))
        {
            start++;
        }

        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        return end > start ? new TextSpan(start, end) : null;
    }

    // After a comma or semicolon any question word opens a second question; without one only a wh-word does ("which
    // version added X and which added Y"), since "and is" or "and do" more often continue the first question.
    [GeneratedRegex(@"\s*[,;]\s*(and|or|but|also)\s+(?<q>(how|what|when|where|why|which|who|can|could|is|are|does|do|will|should)\b)|\s+(and|or|but)\s+(?<q>(how|what|when|where|why|which|who)\b)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecondQuestion();

    /// <summary>The kind of statement that answers <paramref name="question"/>.</summary>
    public static QuestionType TypeOf(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (DurationQuestion().IsMatch(question))
        {
            return QuestionType.Duration;
        }

        if (AmountQuestion().IsMatch(question))
        {
            return QuestionType.Amount;
        }

        return YesNoQuestion().IsMatch(question) ? QuestionType.YesNo : QuestionType.Open;
    }

    /// <summary>True when <paramref name="sentence"/> is the kind of statement <paramref name="type"/> asks for.</summary>
    public static bool Addresses(QuestionType type, string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        return type switch
        {
            QuestionType.Duration => DurationStatement().IsMatch(sentence),
            QuestionType.Amount => AmountStatement().IsMatch(sentence),
            _ => true,
        };
    }

    /// <summary>True when <paramref name="sentence"/> asks something: it ends in '?' or opens with a question.</summary>
    public static bool IsQuestion(string sentence) => sentence.TrimEnd().EndsWith('?') || QuestionOpening().IsMatch(sentence);

    /// <summary>
    /// The language of <paramref name="text"/> by its function words (<c>en</c>, <c>de</c>, <c>es</c>, <c>fr</c>,
    /// <c>nl</c>), or null when too few words say so: two or more function words of one language, more than of any other.
    /// </summary>
    public static string? LanguageOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match word in Word().Matches(text))
        {
            var w = word.Value.ToLowerInvariant();
            foreach (var (language, words) in FunctionWords)
            {
                if (words.Contains(w))
                {
                    counts[language] = counts.GetValueOrDefault(language) + 1;
                }
            }
        }

        var ranked = counts.OrderByDescending(c => c.Value).ToList();
        return ranked.Count == 0 || ranked[0].Value < 2 || (ranked.Count > 1 && ranked[1].Value == ranked[0].Value) ? null : ranked[0].Key;
    }

    // Words that carry no topic and occur in almost every sentence of their language; few are shared between them.
    private static readonly (string Language, HashSet<string> Words)[] FunctionWords =
    [
        ("en", ["the", "and", "is", "are", "to", "of", "my", "you", "your", "i", "it", "for", "with", "not", "have", "what", "how", "can", "this", "that", "was", "will", "does", "did", "there", "where", "when", "which", "would", "could", "should"]),
        ("de", ["der", "die", "das", "und", "ist", "ich", "nicht", "mein", "meine", "ein", "eine", "mit", "auf", "für", "wie", "was", "kann", "bei", "zu", "den", "dem", "sind", "habe", "wir", "sie", "es", "noch", "aber", "auch", "ist", "wurde", "bestellung", "bitte", "ganz", "einfach", "anbei"]),
        ("es", ["el", "la", "los", "las", "y", "es", "que", "mi", "un", "una", "por", "con", "para", "no", "cómo", "cuánto", "cuándo", "desde", "se", "del", "tengo", "hola", "está", "su", "pedido", "puedo", "todavía", "hace"]),
        ("fr", ["le", "la", "les", "et", "est", "je", "des", "un", "une", "pour", "avec", "pas", "que", "mon", "ma", "mes", "vous", "quand", "comment", "bonjour", "suis", "peux", "est-ce", "ce", "au", "du", "commande"]),
        ("nl", ["de", "het", "een", "en", "ik", "mijn", "niet", "van", "voor", "met", "op", "jullie", "als", "ze", "kunnen", "wat", "hoe", "zijn", "naar", "oude", "bestelling", "wanneer", "kan"]),
    ];

    [GeneratedRegex(@"[\p{L}-]+")]
    private static partial Regex Word();

    [GeneratedRegex(@"^\s*(how|what|when|where|why|who|which|can|could|may|is|are|do|does|did|will|would|should|wie|was|wann|kann|cómo|cuánto|cuándo|puedo|comment|quand|est-ce|hoe|wanneer|kunnen)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QuestionOpening();

    [GeneratedRegex(@"\bhow\s+(long|soon|quickly|many\s+(days|weeks|months|years|hours))\b|\bwhen\s+(will|do|does|can|is|are|did)\b|\bby\s+when\b|\bhow\s+late\b|\bwie\s+lange\b|\bcuánto\s+tiempo\b|\bcombien\s+de\s+temps\b|\bhoe\s+lang\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationQuestion();

    [GeneratedRegex(@"\bhow\s+much\b|\bwhat\s+(does|do|will|would)\s+(it|this|that|they|the\s+\w+)\s+cost\b|\b(cost|costs|price|fee|fees|charge)\s+(of|for)\b|\bwie\s+viel\b|\bwas\s+kostet\b|\bcuánto\s+cuesta\b|\bcombien\b|\bhoeveel\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AmountQuestion();

    [GeneratedRegex(@"^\s*(can|could|may|is|are|do|does|will|would)\b|\bis\s+it\s+possible\b|\bam\s+i\s+allowed\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex YesNoQuestion();

    [GeneratedRegex(@"\b\d+(\s*[-–]\s*\d+)?\s*(working\s+|business\s+|calendar\s+)?(minutes?|hours?|days?|weeks?|months?|years?)\b|\b(one|two|three|four|five|six|seven|ten|fourteen|thirty)\s+(working\s+|business\s+)?(days?|weeks?|months?|years?)\b|\b(same|next)\s+(day|working\s+day|business\s+day)\b|\b(immediately|within|until|before|after)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationStatement();

    [GeneratedRegex(@"(€|\$|£|\bEUR\b|\bUSD\b|\bGBP\b|\bCHF\b|\bper\s*cent\b|%|\bfree\b|\bno\s+charge\b|\bcosts?\b|\bfee\b)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AmountStatement();
}
