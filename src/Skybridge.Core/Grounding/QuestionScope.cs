using System.Text.RegularExpressions;

namespace Skybridge.Core.Grounding;

/// <summary>
/// A name in a question ("MySQL", "Microsoft SQL Server", "D. Richard Hipp's"): a run of capitalised words that does
/// not open a sentence. <see cref="Compared"/> is true when it follows a comparison ("like MySQL", "than Oracle",
/// "compared to PostgreSQL") or a platform ("on Windows"): the question is then about something else, measured
/// against the name.
/// </summary>
public sealed record QuestionName(string Text, int Start, bool Compared);

/// <summary>A version named in a question ("SQLite 3.45.0", "added in 3.44", "version 4"), with the name it follows, if any.</summary>
public sealed record QuestionVersion(string Text, string? Name, IReadOnlyList<int> Numbers);

/// <summary>
/// What a question asks about, read from its shape alone: the names and versions it mentions, the functions it names
/// as <c>name()</c>, the phrase it asks about, and questions no documentation answers (an opinion, someone's private
/// data, the state of the asker's own systems). Pure rules, no model.
/// </summary>
public static partial class QuestionReading
{
    /// <summary>The names of <paramref name="question"/>, in order (see <see cref="QuestionName"/>).</summary>
    public static IReadOnlyList<QuestionName> Names(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var names = new List<QuestionName>();
        foreach (Match m in NameRun().Matches(question))
        {
            var tokens = NameToken().Matches(m.Value).ToList();
            // A run of all-capital words alone is a keyword or an acronym (VACUUM, WAL, EUR), not a name; within a run
            // that has a capitalised word it is part of the name (Microsoft SQL Server, Oracle RAC).
            var first = tokens.FindIndex(t => t.Value.Any(char.IsLower));
            if (first < 0)
            {
                continue;
            }

            var start = m.Index + tokens[0].Index;
            if (SentenceOpening(question, start) && tokens.Count == 1)
            {
                continue;
            }

            // The first word of a sentence is capitalised whatever it is: the name starts after it ("Does MySQL...").
            var skip = SentenceOpening(question, start) ? 1 : 0;
            var kept = tokens.Skip(skip).ToList();
            if (!kept.Any(t => t.Value.Any(char.IsLower)))
            {
                continue;
            }

            var from = m.Index + kept[0].Index;
            var to = m.Index + kept[^1].Index + kept[^1].Length;
            var text = question[from..to];
            text = Possessive().Replace(text, "");
            if (text.Length < 2 || text is "I" or "I'm" or "I'd" or "I've" or "I'll")
            {
                continue;
            }

            var before = question[..from];
            names.Add(new QuestionName(text, from, ComparedBefore().IsMatch(before)));
        }

        return names;
    }

    /// <summary>
    /// The versions <paramref name="question"/> names: a dotted number (3.44, 3.45.0) after a name, "version", "release",
    /// "in", "since", "for" or "v", or a whole number right after a name ("SQLite 4"); amounts with a unit or currency
    /// are not versions.
    /// </summary>
    public static IReadOnlyList<QuestionVersion> Versions(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var versions = new List<QuestionVersion>();
        foreach (Match m in VersionMention().Matches(question))
        {
            var number = m.Groups["number"].Value;
            var lead = m.Groups["lead"].Value;
            var generic = LeadWords.Contains(lead);
            // A whole number is a version only right after a name or "version"/"release" ("SQLite 4", "version 2"), and
            // never a year; a dotted one after any word ("sqlite 3.46", "added in 3.44").
            if (!number.Contains('.', StringComparison.Ordinal)
                && (YearLike().IsMatch(number) || !(lead.Any(char.IsUpper) || lead.Equals("version", StringComparison.OrdinalIgnoreCase) || lead.Equals("release", StringComparison.OrdinalIgnoreCase))))
            {
                continue;
            }

            versions.Add(new QuestionVersion(number, generic ? null : lead, [.. number.Split('.').Select(p => int.TryParse(p, out var n) ? n : 0)]));
        }

        return versions;
    }

    private static readonly HashSet<string> LeadWords = new(["version", "release", "in", "since", "for", "v", "from", "of", "to", "before", "after"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Functions <paramref name="question"/> names the way documentation does, as <c>name()</c>.</summary>
    public static IReadOnlyList<string> FunctionNames(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        return [.. FunctionCall().Matches(question).Select(m => m.Groups["name"].Value).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>
    /// The words of the phrase <paramref name="question"/> asks about, when its shape says so: "is there a student
    /// discount", "what SLA penalties does...", "is X a good career choice", the service asked for in "can you engrave
    /// my name"; else empty.
    /// </summary>
    public static IReadOnlyList<string> FocusWords(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        var m = FocusPhrase().Match(question);
        if (!m.Success)
        {
            return [];
        }

        return [.. Word().Matches(m.Groups["focus"].Value).Select(w => w.Value).Where(w => !FocusStop.Contains(w) && w.Length > 2)];
    }

    private static readonly HashSet<string> FocusStop = new(
        ["the", "a", "an", "any", "some", "best", "good", "way", "thing", "things", "kind", "type", "sort", "one", "ones", "there", "it", "this", "that", "new", "other", "main", "real", "right", "only", "same"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Why <paramref name="question"/> asks for something no documentation holds, or null: an opinion of the assistant's
    /// own (<c>opinion</c>), or private data: someone's home address, phone number or password, what a person wrote, or
    /// the live state of the asker's own systems (<c>private_data</c>).
    /// </summary>
    public static (string Reason, string Detail)? OutOfDocumentation(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (Opinion().Match(question) is { Success: true } opinion)
        {
            return ("opinion", $"The question asks for an opinion (\"{opinion.Value.Trim()}\"); documentation states facts, so a person answers it.");
        }

        if (PrivateValue().Match(question) is { Success: true } value)
        {
            return ("private_data", $"The question asks for private data (\"{value.Value.Trim()}\"), which no source may hold or give out.");
        }

        if (OwnSystems().Match(question) is { Success: true } own)
        {
            return ("private_data", $"The question asks about the asker's own systems or people (\"{own.Value.Trim()}\"), which only they can see.");
        }

        return null;
    }

    private static bool SentenceOpening(string text, int at)
    {
        var i = at - 1;
        while (i >= 0 && (char.IsWhiteSpace(text[i]) || text[i] is '"' or '\'' or '(' or '*' or '<' or '>'))
        {
            i--;
        }

        return i < 0 || text[i] is '.' or '!' or '?' or ':' or ';' or '\n' || (i > 0 && text[i] == ')' && text[i - 1] == ':');
    }

    // A capitalised word (PostgreSQL, Oracle, R*Tree, D.), optionally followed by more capitalised or all-capital words.
    [GeneratedRegex(@"(?<![\p{L}\p{N}_'*])[A-Z][\p{L}\p{N}]*(?:[*'’.-][\p{L}\p{N}]+)*\.?(?:\s+(?:[A-Z][\p{L}\p{N}]*(?:[*'’.-][\p{L}\p{N}]+)*\.?))*", RegexOptions.CultureInvariant)]
    private static partial Regex NameRun();

    [GeneratedRegex(@"[A-Z][\p{L}\p{N}]*(?:[*'’.-][\p{L}\p{N}]+)*\.?", RegexOptions.CultureInvariant)]
    private static partial Regex NameToken();

    [GeneratedRegex(@"['’]s?$|\.$", RegexOptions.CultureInvariant)]
    private static partial Regex Possessive();

    [GeneratedRegex(@"\b(like|than|unlike|versus|vs\.?|as|on)\s+(in\s+|on\s+|a\s+|an\s+|the\s+)?$|\bcompared\s+(to|with)\s+(the\s+)?$|\bsuch\s+as\s+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ComparedBefore();

    [GeneratedRegex(@"(?<lead>[\p{L}][\p{L}\p{N}'’-]*)\s+(?<number>\d+(?:\.\d+){0,3})(?![\p{L}\p{N}%€$£]|\.\d|\s*(?:%|€|\$|£|EUR|USD|GBP|CHF|mm|cm|km|kg|g|m|MB|GB|KB|TB|ms|s|days?|weeks?|months?|years?|hours?|minutes?|percent|per\s*cent|x)\b)", RegexOptions.CultureInvariant)]
    private static partial Regex VersionMention();

    [GeneratedRegex(@"^(19|20)\d\d$", RegexOptions.CultureInvariant)]
    private static partial Regex YearLike();

    [GeneratedRegex(@"(?<![\p{L}\p{N}_.])(?<name>[A-Za-z_][A-Za-z0-9_]*)\(\)", RegexOptions.CultureInvariant)]
    private static partial Regex FunctionCall();

    // The phrase a question asks about: after "is there a", "what is the", "what X does/do/is/are", "is X a", and the
    // service asked for in "can you engrave...".
    [GeneratedRegex(@"\b(?:(?:is|are)\s+there\s+(?:a|an|any|some)\s+(?<focus>[\p{L}\s-]{2,40}?)(?=\s+(?:on|for|in|of|with|at|from|to|when|if|that|which)\b|[?,.!]|$)|(?:what|which)\s+(?<focus>[\p{L}-]+(?:\s+[\p{L}-]+)?)\s+(?:does|do|did|is|are|was|were|can|will|would)\b|^\s*(?:is|are)\s+[\p{L}\s-]{1,30}?\s+(?:a|an)\s+(?<focus>[\p{L}\s-]{2,40}?)(?=\s+(?:to|for|in|of|with|at|when|if|that)\b|[?,.!]|$)|^\s*(?:can|could)\s+(?:you|i|we)\s+(?:just\s+|also\s+|still\s+)?(?<focus>[\p{L}-]+))", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex FocusPhrase();

    [GeneratedRegex(@"\bdo\s+you\s+(personally\s+)?(like|love|prefer|hate|enjoy|think|believe|recommend)\b|\bwould\s+you\s+recommend\b|\b(which|what)\s+(is|are)\s+the\s+best\b|\bin\s+your\s+(personal\s+)?(opinion|view)\b|\byour\s+(personal\s+)?(favou?rite|opinion)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Opinion();

    [GeneratedRegex(@"\b(what|what's|which|where|tell\s+me|give\s+me|send\s+me|share|find)\b[^?!\n]{0,40}\b((home|private|postal|street)\s+address(es)?|(phone|mobile|telephone)\s+numbers?|passwords?|salar(y|ies))\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PrivateValue();

    [GeneratedRegex(@"\bwhich\s+of\s+(my|our)\s+\w+|\b(my|our)\s+[\w\s]{1,40}\b(right\s+now|at\s+the\s+moment|currently)\b|\bwhat\s+did\s+(he|she|they)\s+(write|say|send|tell|report|file)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OwnSystems();
}
