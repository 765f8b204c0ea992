using System.Text.RegularExpressions;

namespace Skybridge.Core.Grounding;

/// <summary>
/// One question of a case: its words, where they are in the case text, and the kind of statement that answers it.
/// <see cref="Text"/> is the words of <see cref="Span"/>, except for a question asked of a coordinated subject ("when
/// did X and Y arrive?"), which is asked once per subject: then <see cref="Span"/> is the sentence both are read from.
/// </summary>
public sealed record QuestionPart(TextSpan Span, string Text, AnswerShape Shape)
{
    /// <summary>
    /// The words of the question before that this one refers back to ("...and how do I enable <i>them</i>?"), or null
    /// when it names its own subject.
    /// </summary>
    public string? Context { get; init; }

    /// <summary>What to search the sources for to answer this part: its words, after the subject it borrows.</summary>
    public string Query => Context is null ? Text : Context + " " + Text;
}

/// <summary>
/// Reads a case the way a support agent does: which questions it asks (a ticket often asks two or three), what kind of
/// statement answers each one, and which language it is written in. Pure rules, no model.
/// </summary>
public static partial class QuestionReading
{
    /// <summary>
    /// The questions of <paramref name="text"/>: each sentence ending in '?' is one, and so is a sentence opening with a
    /// question word; when none looks like a question the whole text is one part (a complaint asks for help too). A
    /// sentence that announces another matter ("Also, ...", "And while you're at it, ...", "2) ...") starts a new one:
    /// the sentences before it are an ask of their own even without a question ("The cord was snapped on arrival. Also,
    /// can I swap the bag?" asks two things), and so does each item of an announced or numbered enumeration ("Two
    /// problems: A, and B").
    /// </summary>
    public static IReadOnlyList<QuestionPart> Parts(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Length == 0)
        {
            return [];
        }

        var sentences = SentenceSplitter.Split(text, new TextSpan(0, text.Length)).ToList();
        var pieces = new List<(TextSpan Piece, int LeadFrom, bool Item)>();
        foreach (var (matterFrom, matterTo) in Matters(text, sentences))
        {
            foreach (var (from, to, item) in Items(text, matterFrom, matterTo))
            {
                // An item of an enumeration can end or start inside a sentence: its sentences are clipped to it.
                var questions = sentences.Where(s => s.End > from && s.Start < to)
                    .Select(s => new TextSpan(Math.Max(s.Start, from), Math.Min(s.End, to)))
                    .Where(s => IsQuestion(s.Of(text))).ToList();
                // Only a question is split: a request without one ("tell me what he bought and where it went") is one ask.
                var split = questions.Count == 0 ? Trimmed(text, from, to) is { } whole ? [whole] : [] : questions.SelectMany(q => SplitSentence(text, q)).ToList();
                // The statements before a matter's first question are its context ("I bought boots last week. How long...").
                pieces.AddRange(split.Select((p, i) => (p, i == 0 ? from : p.Start, item && i == 0)));
            }
        }

        var asked = new List<(TextSpan Span, string Question, string Text, bool Item)>();
        foreach (var (piece, leadFrom, item) in pieces)
        {
            var lead = text[leadFrom..piece.Start];
            var span = new TextSpan(leadFrom, piece.End);
            var question = piece.Of(text).Trim();
            if (Coordinated(question) is { } both)
            {
                asked.Add((span, both.First, lead + both.First, item));
                asked.Add((span, both.Second, both.Second, false));
            }
            else
            {
                asked.Add((span, question, span.Of(text), item));
            }
        }

        if (asked.Count == 1)
        {
            return [new QuestionPart(new TextSpan(0, text.Length), text, AnswerShapes.Of(asked[0].Question))];
        }

        var parts = new List<QuestionPart>();
        for (var i = 0; i < asked.Count; i++)
        {
            parts.Add(new QuestionPart(asked[i].Span, asked[i].Text, AnswerShapes.Of(asked[i].Question))
            {
                // A further item of an enumeration is a matter of its own: it borrows nothing from the one before.
                Context = i == 0 || asked[i].Item ? null : Borrowed(asked[i - 1].Question, asked[i].Question),
            });
        }

        return parts;
    }

    /// <summary>
    /// The matters <paramref name="text"/> raises, as ranges of it: a new one at each sentence that announces another
    /// matter. A first range with fewer than three words of its own ("Two things.", "Hi,") is the lead-in of the next.
    /// </summary>
    private static List<(int From, int To)> Matters(string text, List<TextSpan> sentences)
    {
        var starts = new List<int> { 0 };
        starts.AddRange(sentences.Skip(1).Where(s => AnotherMatter().IsMatch(s.Of(text))).Select(s => s.Start));
        if (starts.Count > 1 && !IsQuestion(text[..starts[1]]) && ContentWords(text[..starts[1]]).Count < 3)
        {
            starts.RemoveAt(1);
        }

        return [.. starts.Select((from, i) => (from, i + 1 < starts.Count ? starts[i + 1] : text.Length))];
    }

    /// <summary>
    /// The items of an enumeration in the matter <paramref name="from"/>..<paramref name="to"/>, or the matter whole
    /// when it has none. An enumeration is announced ("Two problems: A, and B", "I have a few questions: A; B") or
    /// numbered ("1) A, 2) B"), with its items separated by numbers, by semicolons or by ", and": only then is a ", and"
    /// read as the start of another matter, never in an ordinary sentence. An announced number must match the items
    /// found, and each item needs three words of its own, or the matter stays whole. The first item keeps the
    /// announcement and what comes before it as its lead-in; the others are marked as items of their own.
    /// </summary>
    private static List<(int From, int To, bool Item)> Items(string text, int from, int to)
    {
        var whole = new List<(int, int, bool)> { (from, to, false) };
        var of = text[from..to];
        var announced = Announcement().Match(of);
        var body = announced.Success ? announced.Index + announced.Length : 0;
        var starts = NumberedStarts(of, body);
        var bounds = new List<(int Start, int End)>();
        if (starts.Count >= 2)
        {
            bounds.AddRange(starts.Select((s, i) => (s, i + 1 < starts.Count ? starts[i + 1] : of.Length)));
        }
        else if (announced.Success)
        {
            // ", and" separates items only after a count it must match ("Two problems: A, and B"): after "a few
            // questions:" it as often joins two objects of one question, so there only semicolons do.
            var counted = announced.Groups["n"].Success;
            var separators = of.IndexOf(';', body) >= 0 ? ItemSemicolon().Matches(of, body).ToList() : counted ? ItemAnd().Matches(of, body).ToList() : [];
            var start = body;
            foreach (var m in separators)
            {
                bounds.Add((start, m.Index));
                start = m.Index + m.Length;
            }

            bounds.Add((start, of.Length));
            if (counted && bounds.Count != Count(announced.Groups["n"].Value))
            {
                return whole;
            }
        }

        // Separators left at an item's end ("A, 2) B") are not part of it.
        bounds = [.. bounds.Select(b => (b.Start, End: b.Start + of[b.Start..b.End].TrimEnd(' ', '\t', '\r', '\n', ',', ';').Length))];
        if (bounds.Count < 2 || bounds.Any(b => Word().Matches(of[b.Start..b.End]).Count < 3))
        {
            return whole;
        }

        return [.. bounds.Select((b, i) => (i == 0 ? from : from + b.Start, from + b.End, i > 0))];

        static int Count(string word) => word.ToLowerInvariant() switch
        {
            "two" or "2" => 2,
            "three" or "3" => 3,
            "four" or "4" => 4,
            _ => 5,
        };
    }

    /// <summary>
    /// Where the numbered items of <paramref name="of"/> start, from <paramref name="body"/> on: "1) ... 2) ..." or
    /// "(1) ... (2) ...", numbered from one without a gap; fewer than two means none.
    /// </summary>
    private static List<int> NumberedStarts(string of, int body)
    {
        var starts = new List<int>();
        foreach (Match m in ItemNumber().Matches(of, body))
        {
            if (int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture) == starts.Count + 1)
            {
                starts.Add(m.Index);
            }
        }

        return starts;
    }

    // "Two problems:", "I have a few quick questions:", "Three things about my rental:": a count, or "several", "a few",
    // "a couple of", then what is counted, then a colon within the sentence.
    [GeneratedRegex(@"\b(?:(?<n>two|three|four|five|[2-5])|several|a\s+few|a\s+couple\s+of|multiple)\s+(?:[\w-]+\s+)?(?:problems|questions|issues|things|requests|matters|points|complaints|concerns)\b[^:.?!\n]{0,60}:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Announcement();

    // "1) ", "(2) ": an item number after the start, a space or a colon. Not "1." inline, which version numbers and
    // prices also write.
    [GeneratedRegex(@"(?<=^|[\s:])\(?(?<n>[1-9])\)\s")]
    private static partial Regex ItemNumber();

    [GeneratedRegex(@";\s*(?:and\s+|also\s+|plus\s+)?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ItemSemicolon();

    [GeneratedRegex(@",\s*(?:and\s+also|and|also|plus)\s+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ItemAnd();

    // "Also, ...", "Plus ...", "Another thing: ...", "And while you're at it, ...", "P.S. ...", "Second, ...", "2) ...": a sentence that
    // turns to another matter. A bare "And" does not: it more often goes on with the same complaint.
    [GeneratedRegex(@"^\W*(?:(?:also|plus|besides|secondly|another\s+thing|one\s+more\s+thing|and\s+also|and\s+while\s+(?:you|you're|i'm|we're|i|we)\s+(?:are\s+|am\s+)?at\s+it)\b|p\.?\s?s\b|(?:second|third)(?:ly)?\s*,|\d{1,2}[.)]\s)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AnotherMatter();

    /// <summary>
    /// What a question borrows from the one before it, or null when it names its own subject. A question that repeats
    /// the frame of the one before but leaves words out ("which version added X and which added Y", "what is the
    /// default limit on X, and what is the default on Y") borrows the words it left out ("version", "limit"). One that
    /// refers back with a pronoun ("how do I enable them?", "how does it work?") or has fewer than two words of its own
    /// borrows the words of the question before, its question words, auxiliaries, pronouns and prepositions aside
    /// ("foreign keys default" of "are foreign keys on by default").
    /// </summary>
    private static string? Borrowed(string previous, string question)
    {
        // A question that turns to another matter ("Also, ...") does not refer back, whatever pronoun it uses.
        if (AnotherMatter().IsMatch(question))
        {
            return null;
        }

        if (LeftOut(previous, question) is { } elided)
        {
            return elided;
        }

        var own = ContentWords(question);
        if (!ReferringPronoun().IsMatch(question) && own.Count >= 2)
        {
            return null;
        }

        var subject = ContentWords(previous);
        return subject.Count == 0 ? null : string.Join(' ', subject);
    }

    /// <summary>
    /// The words <paramref name="question"/> leaves out of the frame it repeats from <paramref name="previous"/>: both
    /// open with the same words, a question word first; then <paramref name="previous"/> has one to three words more
    /// before the word with which <paramref name="question"/> goes on. Null when there is no such gap.
    /// </summary>
    private static string? LeftOut(string previous, string question)
    {
        var before = Word().Matches(previous).Select(w => w.Value).ToList();
        var now = Word().Matches(question).Select(w => w.Value).SkipWhile(w => w.Equals("and", StringComparison.OrdinalIgnoreCase) || w.Equals("or", StringComparison.OrdinalIgnoreCase)).ToList();
        if (before.Count == 0 || now.Count < 2 || !WhWords.Contains(now[0]))
        {
            return null;
        }

        var shared = 0;
        while (shared < Math.Min(before.Count, now.Count) && before[shared].Equals(now[shared], StringComparison.OrdinalIgnoreCase))
        {
            shared++;
        }

        if (shared == 0 || shared >= now.Count)
        {
            return null;
        }

        for (var gap = 1; gap <= 3 && shared + gap < before.Count; gap++)
        {
            if (before[shared + gap].Equals(now[shared], StringComparison.OrdinalIgnoreCase))
            {
                var left = before.GetRange(shared, gap).Where(w => !AskingWords.Contains(w)).ToList();
                return left.Count == 0 ? null : string.Join(' ', left);
            }
        }

        return null;
    }

    private static readonly HashSet<string> WhWords = new(["how", "what", "when", "where", "why", "which", "who"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The words of <paramref name="question"/> that carry its topic: without question words, auxiliaries, pronouns and articles.</summary>
    private static List<string> ContentWords(string question) =>
        [.. Word().Matches(question).Select(w => w.Value).Where(w => w.Length > 1 && !AskingWords.Contains(w))];

    private static readonly HashSet<string> AskingWords = new(
        ["how", "what", "what's", "when", "where", "why", "which", "who", "whom", "whose", "many", "much", "and", "or", "but", "also", "so", "then",
         "do", "does", "did", "done", "is", "are", "was", "were", "be", "been", "can", "could", "may", "might", "will", "would", "should", "shall", "must", "has", "have", "had",
         "i", "me", "my", "we", "us", "our", "you", "your", "it", "its", "they", "them", "their", "this", "that", "these", "those", "one",
         "the", "a", "an", "to", "of", "in", "on", "at", "by", "for", "with", "from", "as", "into", "about", "if", "not", "there", "here", "please"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The two questions of one asked of a coordinated subject right after its auxiliary ("When did RETURNING and window
    /// functions arrive in SQLite?": "When did RETURNING arrive in SQLite?" and "When did window functions arrive in
    /// SQLite?"), or null. The rule is kept to what is clear without a parser: each subject is one to three words with no
    /// preposition or pronoun in it, the verb after them is a lower-case word, and what follows the verb opens with a
    /// preposition or ends the question. A question about how the two relate ("are X and Y the same", "the difference
    /// between X and Y") asks one thing and is not split.
    /// </summary>
    private static (string First, string Second)? Coordinated(string question)
    {
        if (Relation().IsMatch(question) || CoordinatedSubject().Match(question) is not { Success: true } m)
        {
            return null;
        }

        string[] x = Words(m.Groups["x"].Value), y = Words(m.Groups["y"].Value);
        if (x.Concat(y).Any(w => NotInSubject.Contains(w)) || NotInSubject.Contains(m.Groups["verb"].Value))
        {
            return null;
        }

        var lead = m.Groups["lead"].Value;
        var rest = m.Groups["verb"].Value + m.Groups["rest"].Value;
        return (lead + string.Join(' ', x) + " " + rest, lead + string.Join(' ', y) + " " + rest);

        static string[] Words(string s) => s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
    }

    private static readonly HashSet<string> NotInSubject = new(
        ["i", "we", "you", "it", "they", "he", "she", "me", "us", "them", "in", "on", "at", "by", "for", "with", "from", "as", "into", "to", "of", "about", "than",
         "the", "a", "an", "and", "or", "not", "no", "if", "there", "both", "either"],
        StringComparer.OrdinalIgnoreCase);

    // "When did X and Y arrive in ...", "Are X and Y enabled by default?": a question word (optional), an auxiliary, two
    // short subjects joined by "and", a lower-case verb, then a preposition or the end of the question.
    [GeneratedRegex(@"^(?<lead>\W*(?:(?:when|why|where|how|which\s+[\w-]+|what\s+[\w-]+)\s+)?(?:did|does|do|were|was|are|is|can|will|has|have)\s+)(?<x>[\w'.-]+(?:\s+[\w'.-]+){0,2}?)\s+and\s+(?<y>[\w'.-]+(?:\s+[\w'.-]+){0,2}?)\s+(?<verb>(?-i:[a-z][a-z-]*))(?<rest>(?:\s+(?:in|to|on|at|by|for|from|with|into|as|since|under|before|after)\b[^?]*)?\s*\??)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CoordinatedSubject();

    [GeneratedRegex(@"\b(same|different|differ|difference|differences|between|compare|compared|comparison|versus|vs|each\s+other|together|equal|equivalent|alike|both|either|neither|combine|combined|mix|mixed)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Relation();

    [GeneratedRegex(@"\b(it|its|they|them|their|this|that|these|those)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ReferringPronoun();

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

    /// <summary>
    /// True when <paramref name="sentence"/> is the kind of statement <paramref name="shape"/> asks for, by
    /// <see cref="AnswerShapes.Fits"/>: a duration, an amount, or a point in time (a duration too: "within 14 days"
    /// answers "when"). A claim answers a part of another shape when it shares the part's words: a yes or no, a
    /// definition or a step is judged by what it is about, not by its wording.
    /// </summary>
    /// <remarks>
    /// A question the reader takes for an amount because it speaks of money ("Will you charge us VAT", "I was charged
    /// twice, please refund one") is answered as well by what the page says of the charge, the cost or the fee ("the
    /// order is charged with VAT") as by a figure: such a claim addresses it too, or an answered part would be handed
    /// over.
    /// </remarks>
    public static bool Addresses(AnswerShape shape, string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        return shape switch
        {
            AnswerShape.Duration => AnswerShapes.Fits(shape, sentence),
            AnswerShape.Amount => AnswerShapes.Fits(shape, sentence) || MoneyTalk().IsMatch(sentence),
            AnswerShape.Time => AnswerShapes.Fits(AnswerShape.Duration, sentence) || AnswerShapes.Fits(AnswerShape.Time, sentence),
            _ => true,
        };
    }

    /// <summary>True when <paramref name="sentence"/> asks something: it ends in '?' or opens with a question.</summary>
    public static bool IsQuestion(string sentence) => sentence.TrimEnd().EndsWith('?') || QuestionOpening().IsMatch(sentence);

    /// <summary>
    /// The language of <paramref name="text"/>: by its letters when most of them are of a script other than Latin
    /// (<see cref="ScriptOf"/>: <c>zh</c>, <c>ja</c>, <c>ko</c>, <c>el</c>, <c>he</c>, <c>th</c>, or <c>Cyrl</c>,
    /// <c>Arab</c>, <c>Deva</c> for scripts several languages share), else by its function words (<c>en</c>, <c>de</c>,
    /// <c>es</c>, <c>fr</c>, <c>nl</c>); null when too few words say so: two or more function words of one language,
    /// more than of any other.
    /// </summary>
    public static string? LanguageOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (ScriptOf(text) is { } script)
        {
            return script;
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        // Looked up as spans of the text, case-insensitively: no string per word (the source profile reads the opening
        // of every document through this).
        foreach (var word in Word().EnumerateMatches(text))
        {
            if (LanguagesBySpan.TryGetValue(text.AsSpan(word.Index, word.Length), out var languages))
            {
                foreach (var language in languages)
                {
                    counts[language] = counts.GetValueOrDefault(language) + 1;
                }
            }
        }

        var ranked = counts.OrderByDescending(c => c.Value).ToList();
        return ranked.Count == 0 || ranked[0].Value < 2 || (ranked.Count > 1 && ranked[1].Value == ranked[0].Value) ? null : ranked[0].Key;
    }

    /// <summary>
    /// The languages <paramref name="documents"/> are written in, each read by its opening (the first
    /// <see cref="DocumentOpening"/> characters) with <see cref="LanguageOf"/>: every language at least
    /// <see cref="SourceLanguageShare"/> of the documents whose language can be read are in, the most documents first;
    /// empty when none can be read. A bilingual help centre is in both its languages: a question in either is answerable,
    /// a question in a third is not (<c>other_language</c>).
    /// </summary>
    public static IReadOnlyList<string> LanguagesOf(IReadOnlyCollection<string> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var languages = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in documents)
        {
            if (LanguageOf(text.Length > DocumentOpening ? text[..DocumentOpening] : text) is { } language)
            {
                languages[language] = languages.GetValueOrDefault(language) + 1;
            }
        }

        var read = languages.Values.Sum();
        return [.. languages.Where(l => l.Value >= SourceLanguageShare * read).OrderByDescending(l => l.Value).ThenBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key)];
    }

    /// <summary>The share of the documents a language must be read in to count among the sources' languages: a tenth.</summary>
    public const double SourceLanguageShare = 0.1;

    /// <summary>Languages in words, for a reason a person reads: "English", "English and German", "English, German and French".</summary>
    public static string LanguageNames(IReadOnlyList<string> codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var names = codes.Select(LanguageName).ToList();
        return names.Count <= 1 ? string.Concat(names) : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[^1];
    }

    /// <summary>How much of a document <see cref="LanguagesOf"/> reads: enough words to tell, without reading a long page whole.</summary>
    public const int DocumentOpening = 4000;

    /// <summary>A code of <see cref="LanguageOf"/> in words ("German", "Cyrillic script"), for a reason a person reads.</summary>
    public static string LanguageName(string code) => code switch
    {
        "en" => "English", "de" => "German", "es" => "Spanish", "fr" => "French", "nl" => "Dutch",
        "zh" => "Chinese", "ja" => "Japanese", "ko" => "Korean", "el" => "Greek", "he" => "Hebrew", "th" => "Thai",
        "Cyrl" => "Cyrillic script", "Arab" => "Arabic script", "Deva" => "Devanagari script", _ => code,
    };

    /// <summary>
    /// The language or script of <paramref name="text"/> when at least <see cref="ScriptShare"/> of its letters (two or
    /// more) are of one script other than Latin: Chinese characters (<c>zh</c>, or <c>ja</c> with kana among them),
    /// kana (<c>ja</c>), Hangul (<c>ko</c>), Greek (<c>el</c>), Hebrew (<c>he</c>), Thai (<c>th</c>); a script several
    /// languages write in by its ISO 15924 code (<c>Cyrl</c>, <c>Arab</c>, <c>Deva</c>). Null for a text mostly in
    /// Latin letters (a Chinese product name in an English question) and for one with no letters.
    /// </summary>
    public static string? ScriptOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var letters = 0;
        Span<int> counts = stackalloc int[Codes.Length];
        foreach (var c in text)
        {
            if (!char.IsLetter(c))
            {
                continue;
            }

            letters++;
            if (c < '\u0370')
            {
                continue; // Latin (and IPA): no group of its own
            }

            for (var i = 0; i < Scripts.Length; i++)
            {
                if (c >= Scripts[i].From && c <= Scripts[i].To)
                {
                    counts[Scripts[i].Group]++;
                    break;
                }
            }
        }

        // Chinese characters are Japanese writing too: kana among them say which.
        var kana = counts[KanaGroup];
        if (kana > 0)
        {
            counts[KanaGroup] += counts[HanGroup];
            counts[HanGroup] = 0;
        }

        for (var g = 0; g < Codes.Length; g++)
        {
            if (letters >= 2 && counts[g] >= ScriptShare * letters)
            {
                return Codes[g];
            }
        }

        return null;
    }

    /// <summary>The share of a text's letters one script must have for the text to be read as written in it.</summary>
    public const double ScriptShare = 0.6;

    private const int HanGroup = 0, KanaGroup = 1;

    // The language (or, for a script many languages share, the script's ISO 15924 code) of each group below.
    private static readonly string[] Codes = ["zh", "ja", "ko", "el", "he", "th", "Cyrl", "Arab", "Deva"];

    // The Unicode blocks of each group's letters.
    private static readonly (char From, char To, int Group)[] Scripts =
    [
        ('\u4E00', '\u9FFF', HanGroup), ('\u3400', '\u4DBF', HanGroup), ('\uF900', '\uFAFF', HanGroup),
        ('\u3040', '\u30FF', KanaGroup), ('\u31F0', '\u31FF', KanaGroup), ('\uFF66', '\uFF9F', KanaGroup),
        ('\uAC00', '\uD7AF', 2), ('\u1100', '\u11FF', 2), ('\u3130', '\u318F', 2),
        ('\u0370', '\u03FF', 3), ('\u1F00', '\u1FFF', 3),
        ('\u0590', '\u05FF', 4),
        ('\u0E00', '\u0E7F', 5),
        ('\u0400', '\u052F', 6),
        ('\u0600', '\u06FF', 7), ('\u0750', '\u077F', 7), ('\u08A0', '\u08FF', 7),
        ('\u0900', '\u097F', 8),
    ];

    // Words that carry no topic and occur in almost every sentence of their language; few are shared between them.
    private static readonly (string Language, HashSet<string> Words)[] FunctionWords =
    [
        ("en", ["the", "and", "is", "are", "to", "of", "my", "you", "your", "i", "it", "for", "with", "not", "have", "what", "how", "can", "this", "that", "was", "will", "does", "did", "there", "where", "when", "which", "would", "could", "should"]),
        ("de", ["der", "die", "das", "und", "ist", "ich", "nicht", "mein", "meine", "ein", "eine", "mit", "auf", "für", "wie", "was", "kann", "bei", "zu", "den", "dem", "sind", "habe", "wir", "sie", "es", "noch", "aber", "auch", "ist", "wurde", "bestellung", "bitte", "ganz", "einfach", "anbei"]),
        ("es", ["el", "la", "los", "las", "y", "es", "que", "mi", "un", "una", "por", "con", "para", "no", "cómo", "cuánto", "cuándo", "desde", "se", "del", "tengo", "hola", "está", "su", "pedido", "puedo", "todavía", "hace"]),
        ("fr", ["le", "la", "les", "et", "est", "je", "des", "un", "une", "pour", "avec", "pas", "que", "mon", "ma", "mes", "vous", "quand", "comment", "bonjour", "suis", "peux", "est-ce", "ce", "au", "du", "commande"]),
        ("nl", ["de", "het", "een", "en", "ik", "mijn", "niet", "van", "voor", "met", "op", "jullie", "als", "ze", "kunnen", "wat", "hoe", "zijn", "naar", "oude", "bestelling", "wanneer", "kan"]),
    ];

    // Each function word with the languages it belongs to ("was": English and German), for lookups by span.
    private static readonly Dictionary<string, string[]> LanguagesOfWord = FunctionWords
        .SelectMany(f => f.Words.Select(w => (Word: w, f.Language)))
        .GroupBy(p => p.Word, StringComparer.OrdinalIgnoreCase)
        .ToDictionary(g => g.Key, g => g.Select(p => p.Language).Distinct(StringComparer.Ordinal).ToArray(), StringComparer.OrdinalIgnoreCase);

    private static readonly Dictionary<string, string[]>.AlternateLookup<ReadOnlySpan<char>> LanguagesBySpan = LanguagesOfWord.GetAlternateLookup<ReadOnlySpan<char>>();

    [GeneratedRegex(@"[\p{L}-]+")]
    private static partial Regex Word();

    [GeneratedRegex(@"^\s*(how|what|when|where|why|who|which|can|could|may|is|are|do|does|did|will|would|should|wie|was|wann|kann|cómo|cuánto|cuándo|puedo|comment|quand|est-ce|hoe|wanneer|kunnen)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QuestionOpening();

    // What a statement about money says without a figure: a currency, the charge, the cost, the fee or the price.
    [GeneratedRegex(@"[€$£]|\b(EUR|USD|GBP|CHF|costs?|fees?|prices?|charged?|charges)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MoneyTalk();
}
