using System.Text.RegularExpressions;

namespace Skybridge.Core.Grounding;

/// <summary>The kind of sentence that answers a question: what a person looks for when they read the page.</summary>
public enum AnswerShape
{
    /// <summary>No particular shape: the sentence that says most about the question's terms.</summary>
    Open,

    /// <summary>"How long", "how soon": a duration.</summary>
    Duration,

    /// <summary>"How much", "what does it cost": an amount of money, a percentage, or "free".</summary>
    Amount,

    /// <summary>"How many", "how high", "what is the maximum": a number or a quantity in words.</summary>
    Number,

    /// <summary>
    /// "How big", "how large", "how much space": a size, a number in a unit of storage ("281 terabytes", "65536 bytes")
    /// or an amount ("how big is the deposit": "250 EUR"), not any number ("the integer at offset 28").
    /// </summary>
    Size,

    /// <summary>"When", "since when", "which version": a date, a version, a point in time or the condition that triggers it.</summary>
    Time,

    /// <summary>"Can I", "is it", "does it": a yes or a no, with its condition.</summary>
    YesNo,

    /// <summary>"What is X": the sentence that defines the subject ("A partial index is an index over...").</summary>
    Definition,

    /// <summary>"What does X do": the sentence in which the subject acts ("The VACUUM command rebuilds the database file").</summary>
    Action,

    /// <summary>"What values", "which modes", "what X are there": the sentence or line that names the possible values.</summary>
    Values,

    /// <summary>"How do I", "how to": the step that says what to do.</summary>
    Procedure,

    /// <summary>
    /// "Please refund the second charge", "could you cancel it", "I want my money back": a request for something to be
    /// done, answered by what happens next (it is refunded within so many days, we replace it, you get an email), not by
    /// the documents or steps the page also lists.
    /// </summary>
    Outcome,
}

/// <summary>
/// What a case asks, apart from the story around it: its questions and requests (<paramref name="Text"/>), and the shape
/// of the sentence that answers them.
/// </summary>
/// <param name="Text">The sentences that ask (questions and requests, each with the sentence before it when it has
/// fewer than two words of its own: "How long?" asks about what the sentence before it says), in reading order.</param>
/// <param name="Shape">The answer's shape: <see cref="AnswerShape.Outcome"/> when one of them asks for an action.</param>
/// <param name="HasStory">True when the case says more than it asks: sentences that are neither a question nor a request.</param>
public sealed record CaseAsk(string Text, AnswerShape Shape, bool HasStory);

/// <summary>
/// Reads a question's answer shape and tells whether a sentence has it. Pure rules over English wording (and the
/// German, Spanish, French and Dutch ways of asking "how long" and "how much"), no model: "how long" is answered by a
/// duration, "how much" by an amount, "can I" by a sentence that says yes or no (a negation, a limit or a condition),
/// "what is X" by a sentence that opens with X and says what it is, "how do I" by a sentence that tells the reader what
/// to do. The one reader of a question's shape: the built-in engine ranks sentences by it, and
/// <see cref="QuestionReading"/> gives each part of a case its shape, so a part no claim of that shape addresses is
/// handed over.
/// </summary>
public static partial class AnswerShapes
{
    /// <summary>The shape of the sentence that answers <paramref name="question"/>.</summary>
    public static AnswerShape Of(string question)
    {
        ArgumentNullException.ThrowIfNull(question);
        // The order matters: "how do I find out how much..." is a procedure, "can I pay less than 10 EUR" asks for an
        // amount before it asks for a yes, "what is the maximum" asks for a number before a definition.
        if (ProcedureQuestion().IsMatch(question))
        {
            return AnswerShape.Procedure;
        }

        if (DurationQuestion().IsMatch(question))
        {
            return AnswerShape.Duration;
        }

        if (AmountQuestion().IsMatch(question))
        {
            return AnswerShape.Amount;
        }

        if (TimeQuestion().IsMatch(question))
        {
            return AnswerShape.Time;
        }

        // "Are foreign keys on by default?" asks for a yes or no, "what is the default" for a value: a question that
        // opens with a verb is a yes/no question unless it asks "how many" or "how much".
        if (YesNoQuestion().IsMatch(question) && !HowMany().IsMatch(question))
        {
            return AnswerShape.YesNo;
        }

        // "How big can a database get" asks for a size: a number in bytes or pages is its answer, an offset or a year is
        // not (docs/performance.md, "A size for how big").
        if (SizeQuestion().IsMatch(question))
        {
            return AnswerShape.Size;
        }

        // "What values does it accept" asks for the list of them before it asks for a number.
        if (ValuesQuestion().IsMatch(question))
        {
            return AnswerShape.Values;
        }

        if (NumberQuestion().IsMatch(question))
        {
            return AnswerShape.Number;
        }

        if (ActionQuestion().IsMatch(question))
        {
            return AnswerShape.Action;
        }

        return DefinitionQuestion().IsMatch(question) ? AnswerShape.Definition : AnswerShape.Open;
    }

    /// <summary>
    /// Reads what <paramref name="text"/> asks, as a support agent reads a ticket: the questions ("How long?") and the
    /// requests without a question mark ("Please refund the second charge.", "refund pls", "I want to return the
    /// boots.", "Can you cancel it?"); the rest is the story ("Both charges are booked on my statement, screenshot
    /// attached"), which says what happened but not what the answer must address. Null when nothing in it asks (a
    /// report: "Charged twice for SO-1, both booked.") <paramref name="terms"/> turns words into terms: an ask with
    /// fewer than two of its own takes the sentence before it.
    /// </summary>
    public static CaseAsk? AskOf(string text, Func<string, IReadOnlyCollection<string>> terms)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(terms);
        var sentences = SentenceSplitter.Split(text, new TextSpan(0, text.Length)).Select(s => s.Of(text)).ToList();
        var actions = sentences.Select(IsActionRequest).ToList();
        var asks = sentences.Select((s, i) => actions[i] || IsInformationRequest(s) || QuestionReading.IsQuestion(s)).ToList();
        if (!asks.Contains(true))
        {
            return null;
        }

        // "Is something wrong?", "Can I still send it back?", "How long?": an ask that refers back, or says too little
        // of its own, asks about what the sentence before it says.
        for (var i = sentences.Count - 1; i > 0; i--)
        {
            if (asks[i] && (terms(sentences[i]).Count < 2 || ReferringWord().IsMatch(sentences[i])))
            {
                asks[i - 1] = true;
            }
        }

        // "Give the money back", "I want my money back", "return the money" ask for a refund in other words, and "send it
        // back" for a return: the page says "refund" and "return".
        var asked = sentences.Select(s => MoneyBack().IsMatch(s) ? s + " (refund)" : SendBack().IsMatch(s) ? s + " (return)" : s).Where((_, i) => asks[i]).ToList();
        var questions = sentences.Where((s, i) => asks[i] && !actions[i]).ToList();
        var shape = actions.Contains(true) ? AnswerShape.Outcome : Of(string.Join(' ', questions));
        return new CaseAsk(string.Join(' ', asked), shape, asks.Contains(false));
    }

    /// <summary>
    /// What <paramref name="text"/> asks as the answer must address it: <see cref="AskOf"/>, or, for a case that asks
    /// nothing (a report: "Charged twice for SO-1: 50.01 EUR twice, both booked. PDF attached."), the whole case read as
    /// asking what happens next. A person who reports a problem to a shop asks for it to be put right without saying so,
    /// and the answer is what the page says happens then ("the second charge is refunded within 3-5 working days"), not
    /// what the page asks the customer to send. Kept apart from <see cref="AskOf"/>, which retrieval reads for the story
    /// of a ticket and where a report has none.
    /// </summary>
    public static CaseAsk? AnswerAskOf(string text, Func<string, IReadOnlyCollection<string>> terms)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(terms);
        if (AskOf(text, terms) is { } ask)
        {
            return ask;
        }

        // A report tells something: a statement of several words. A search typed as a few words ("in memory db",
        // "limits") asks nothing either, but reports nothing: it keeps the open reading.
        return IsReport(text) ? new CaseAsk(text.Trim(), AnswerShape.Outcome, HasStory: false) : null;
    }

    private static bool IsReport(string text) =>
        StatementEnd().IsMatch(text) && text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length >= MinReportWords;

    /// <summary>Fewer words than this, even ending in a full stop, is a search or a label rather than a report.</summary>
    private const int MinReportWords = 5;

    [GeneratedRegex(@"\w[.!](\s|$)", RegexOptions.CultureInvariant)]
    private static partial Regex StatementEnd();

    /// <summary>
    /// A sentence that asks for something to be done: "Please refund one.", "refund pls", "Could you refund the extra
    /// one?", "I want my money back", "Give it back." A request for information ("please tell me...") is not one.
    /// </summary>
    public static bool IsActionRequest(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        return ActionRequest().IsMatch(sentence);
    }

    /// <summary>A request for information without a question mark: "Please tell me...", "I need to know...", "Please check what is wrong".</summary>
    public static bool IsInformationRequest(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        return InformationRequest().IsMatch(sentence) || Wanting().IsMatch(sentence);
    }

    /// <summary>
    /// True when <paramref name="sentence"/> has the shape <paramref name="shape"/> asks for; a definition is judged by
    /// <see cref="Defines"/>, which needs the subject, so this is false for it.
    /// </summary>
    public static bool Fits(AnswerShape shape, string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        return shape switch
        {
            AnswerShape.Duration => DurationStatement().IsMatch(sentence),
            AnswerShape.Amount => AmountStatement().IsMatch(sentence),
            AnswerShape.Number => NumberStatement().IsMatch(sentence),
            // "How big is the deposit" asks for an amount of money: a size too.
            AnswerShape.Size => SizeStatement().IsMatch(sentence) || AmountStatement().IsMatch(sentence),
            AnswerShape.Time => TimeStatement().IsMatch(sentence),
            AnswerShape.YesNo => YesNoStatement().IsMatch(sentence),
            AnswerShape.Procedure => ProcedureStatement().IsMatch(sentence),
            AnswerShape.Values => ValuesStatement().IsMatch(sentence),
            AnswerShape.Outcome => !IsNonStatement(sentence) && (DurationStatement().IsMatch(sentence) || OutcomeStatement().IsMatch(sentence)),
            _ => false,
        };
    }

    /// <summary>
    /// How strongly <paramref name="sentence"/> defines a subject named by <paramref name="focus"/>: 0 when it does not;
    /// 1 when it opens with the subject (a short noun phrase holding a focus term before any preposition, not a clause
    /// such as "If a function...", an action such as "Using VACUUM...", or a phrase with a verb of its own such as "A
    /// VACUUM will fail if there") followed by a defining verb ("The VACUUM command rebuilds the database file"); 2 when
    /// that verb is a copula with an article ("A partial index is an index over..."). <paramref name="terms"/> turns
    /// words into the question's terms.
    /// </summary>
    public static int Defines(string sentence, Func<string, IReadOnlyCollection<string>> terms, IReadOnlySet<string> focus)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(focus);
        if (sentence.TrimEnd().EndsWith('?') || DefiningOpening().Match(sentence) is not { Success: true } opening)
        {
            return 0;
        }

        var subject = opening.Groups["subject"].Value;
        // "The MySQL version of json_extract()" is about a version: the subject's head comes before its first preposition.
        var head = SubjectPreposition().Split(subject, 2)[0];
        if (ClauseOpening().IsMatch(subject) || VerbInSubject().IsMatch(subject) || !terms(head).Any(focus.Contains))
        {
            return 0;
        }

        return opening.Groups["copula"].Success ? 2 : 1;
    }

    /// <summary>
    /// A sentence that cannot be an answer whatever it mentions: a question (a FAQ's own heading, "Why does...?"), or a
    /// lead-in that ends in a colon (the facts are in what follows it, which is quoted on its own).
    /// </summary>
    public static bool IsNonStatement(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var trimmed = sentence.TrimEnd();
        return trimmed.EndsWith('?') || trimmed.EndsWith(':') || IsSyntaxOrTitle(trimmed);
    }

    /// <summary>
    /// A line that names a thing without saying anything about it: a line of code or syntax ("PRAGMA busy_timeout =
    /// milliseconds;", "rc = sqlite3_open(...);"), or a title line in capitals without a full stop ("CREATE VIRTUAL
    /// TABLE", "How SQLite Is Tested"). A page states its facts in the sentences around such lines.
    /// </summary>
    public static bool IsSyntaxOrTitle(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var trimmed = sentence.Trim();
        if (trimmed.StartsWith('|'))
        {
            return false;
        }

        // A list item may end in a semicolon too ("a tent pole that snaps while pitching;"): code has an operator,
        // brackets or a keyword in capitals.
        if ((trimmed.EndsWith(';') && CodeMark().IsMatch(trimmed)) || trimmed.EndsWith('{') || trimmed.EndsWith('}'))
        {
            return true;
        }

        var words = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return !EndPunctuation().IsMatch(trimmed) && words.Length <= 8
            && words.All(w => !char.IsLetter(w[0]) || char.IsUpper(w[0]) || TitleFunctionWord().IsMatch(w));
    }

    /// <summary>
    /// A description without a subject that opens with what the thing does ("Query or change the setting of the busy
    /// timeout."): it describes the syntax or title line just before it, as reference pages do under each entry.
    /// </summary>
    public static bool OpensWithVerb(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        return VerbOpening().IsMatch(sentence);
    }

    // The actions a customer asks a shop to take, as a request: imperative ("refund one", "please cancel it"), polite
    // ("could you refund", "would you replace"), wanting ("I want my money back", "I'd like to return"), or trailing
    // ("refund pls").
    // "Can you send rental gear to Innsbruck?" asks whether the shop does something at all: sending and shipping are
    // not among them.
    private const string Actions = @"(refund|reimburse|cancel|replace|return|exchange|swap|repair|resend|unlock|delete|credit|reverse|give\s+(it|them|\S+\s+\S+)\s+back)";

    [GeneratedRegex(@"^\W*(please\s+|pls\s+|plz\s+|kindly\s+)?" + Actions + @"\b|\b(please|pls|plz|kindly)\s+([\w-]+\s+){0,2}?" + Actions + @"\b|\b(can|could|would|will)\s+(you|u)\s+(please\s+|pls\s+|just\s+)?" + Actions + @"\b|\b(i|we)\s*('d|'ll|\s+would|\s+want|\s+need|\s+wish|\s+expect|\s+demand|\s+ask\s+you|\s+request)\s+(like\s+)?(you\s+to\s+|to\s+)?(get\s+)?(my\s+money\s+back|a\s+refund|" + Actions + @"\b)|\b(refund|money\s+back)\W*\s*(pls|please|plz|now|asap)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ActionRequest();

    [GeneratedRegex(@"^\W*(please\s+|pls\s+|kindly\s+)?(tell|explain|advise|check|help|let\s+me\s+know)\b|\b(please|pls|kindly)\s+(tell|explain|advise|check|help|let\s+me\s+know)\b|\b(i|we)\s*('d|\s+would|\s+want|\s+need)\s+(like\s+)?to\s+(know|find\s+out|understand)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex InformationRequest();

    // "I want another size", "We need a replacement": what the customer wants is what the answer must address.
    [GeneratedRegex(@"^\W*(i|we)\s*('d|\s+would|\s+want|\s+need|\s+wish|\s+expect)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Wanting();

    [GeneratedRegex(@"\b(it|this|that|these|those|they|them|something|anything)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ReferringWord();

    [GeneratedRegex(@"\bmoney\s+back\b|\b(return|give|send|pay)\s+(me\s+)?(the|my)\s+(money|amount)\b|\bgive\s+(it|them)\s+back\b|\breimburse", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MoneyBack();

    [GeneratedRegex(@"\b(send|bring|take|ship|post)\s+(it|them|this|these|\S+\s+\S+)\s+back\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SendBack();

    // What happens next, said of the thing asked for: "it is refunded", "the card part is refunded first", "we replace
    // it", "you get an email", "the amount goes back onto the gift card" (a duration counts too: "within 3-5 working days").
    [GeneratedRegex(@"\b(is|are|be|been|gets?|got)\s+(\w+\s+)?(refunded|reimbursed|replaced|repaired|credited|cancell?ed|released|sent|issued|returned|unlocked|exchanged|reversed|deleted|removed|paid\s+back|transferred|shipped|dispatched)\b|\bwe\s+(then\s+|will\s+|can\s+|'ll\s+|also\s+)?(refund|reimburse|replace|repair|send|cancel|credit|release|exchange|resend|unlock|pay|ship)\b|\byou\s+(then\s+|will\s+)?(get|receive)\b|\b(goes|go|comes|come)\s+back\b|\bunlocks?\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OutcomeStatement();

    [GeneratedRegex(@"\bhow\s+(do|can|could|should|would|must)\s+(i|we|you|one)\b(?!\s+(know|tell)\b)|\bhow\s+to\b|\bwhat\s+(do|should)\s+(i|we)\s+do\b|\bwhat\s+are\s+the\s+steps\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ProcedureQuestion();

    [GeneratedRegex(@"\bhow\s+(long|soon|quickly|late|early)\b|\bhow\s+many\s+(seconds|minutes|hours|days|weeks|months|years)\b|\buntil\s+when\b|\bby\s+when\b|\bhow\s+much\s+time\b|\bwie\s+lange\b|\bcuánto\s+tiempo\b|\bcombien\s+de\s+temps\b|\bhoe\s+lang\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationQuestion();

    [GeneratedRegex(@"\bhow\s+much\b(?!\s+(data|space|memory|time|traffic|load))|\bcosts?\b|\bprices?\b|\bfees?\b|\bcharged?\b|\bpay\s+for\b|\bexpensive\b|\bcheaper\b|\brefund(ed)?\s+amount\b|\bwie\s+viel\b|\bwas\s+kostet\b|\bcuánto\s+cuesta\b|\bcombien\b|\bhoeveel\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AmountQuestion();

    [GeneratedRegex(@"^\W*(when|since\s+when)\b|\bsince\s+(when|which|what)\b|\b(which|what)\s+(version|release|year|date|day|time)\b|\bwhen\s+(was|were|did|does|do|is|are|will|can|should)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimeQuestion();

    [GeneratedRegex(@"\bhow\s+(many|much|high|big|large|small|far|busy|often|deep|wide|fast)\b|\b(maximum|minimum|max|min|largest|smallest|highest|lowest|limit|default)\b|\bwhat\s+(size|sizes|number|values?|range)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NumberQuestion();

    [GeneratedRegex(@"\bhow\s+(big|large|small|huge)\b|\bhow\s+much\s+(space|memory|disk|storage|data|ram)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizeQuestion();

    // A number in a unit of storage, as a stated size: "281 terabytes", "65536 bytes", "2 GB", "1,073,741,823 pages"
    // (SQLite states database sizes in pages). A unit joined to its number by a hyphen describes a thing ("a 4-byte
    // integer", "a 512-byte page") rather than stating how big something may get.
    [GeneratedRegex(@"\d[\d,.]*\s*(bytes?|[KMGTPE]i?B|kilobytes?|megabytes?|gigabytes?|terabytes?|petabytes?|exabytes?|pages)\b(?!-)", RegexOptions.CultureInvariant)]
    private static partial Regex SizeStatement();

    [GeneratedRegex(@"\bhow\s+(many|much|high|big|large|small|far|often|long)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HowMany();

    [GeneratedRegex(@"^\W*(can|could|may|might|is|are|am|do|does|did|will|would|should|shall|must|has|have|was|were)\b|\bis\s+it\s+(possible|safe|allowed|ok|okay)\b|\bam\s+i\s+allowed\b|\b(can|may)\s+i\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex YesNoQuestion();

    [GeneratedRegex(@"^\W*what\s+(does|do|can|will)\b.*\b(do|does|for)\W*$|^\W*what\s+(is|are)\s+\S.*\b(used|good)\s+for\W*$|\bwhat\s+(can|could)\s+(it|they|\S+)\s+be\s+used\s+for\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ActionQuestion();

    // "What X are there", "which modes", "what values": a plural word that names a set of choices.
    [GeneratedRegex(@"^\W*(what|which)\s+([\w-]+\s+){0,2}?(values|modes|options|settings|levels|types|kinds|sizes|formats|flags|choices|states|methods|encodings|classes|algorithms|variants|versions|platforms|languages|operators|categories)\b|^\W*(what|which)\s+[\w\s-]{1,40}\s+(are|is)\s+there\W*$|\b(what|which)\s+(are|were)\s+the\s+(possible|allowed|valid|available|different|supported)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ValuesQuestion();

    [GeneratedRegex(@"^\W*(what|who)\s+(is|are|was|were)\b|^\W*what\s+(does|do)\b.*\b(do|does|mean|means|stand\s+for)\W*$|^\W*(define|explain|describe)\b|\bwhat\s+is\s+meant\s+by\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DefinitionQuestion();

    [GeneratedRegex(@"\b\d+([.,]\d+)?\s*(-|–|to)?\s*\d*\s*(working\s+|business\s+|calendar\s+)?(seconds?|minutes?|hours?|days?|weeks?|months?|years?|ms|milliseconds?)\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|fourteen|thirty|a\s+few|several)\s+(working\s+|business\s+)?(seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b|\b(same|next)\s+(day|working\s+day|business\s+day)\b|\b(immediately|at\s+once|instantly|forever|indefinitely)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationStatement();

    [GeneratedRegex(@"[€$£¥]\s*\d|\d\s*[€$£¥]|\b\d+([.,]\d+)?\s*(EUR|USD|GBP|CHF|euros?|dollars?|pounds?|cents?)\b|\b(EUR|USD|GBP|CHF)\s*\d|\d\s*%|\bper\s*cent\b|\bfree(\s+of\s+charge)?\b|\bno\s+charge\b|\bwithout\s+(paying|charge)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AmountStatement();

    [GeneratedRegex(@"\d|\b(zero|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty|hundred|thousand|million|billion|trillion|dozen|unlimited|no\s+limit)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NumberStatement();

    [GeneratedRegex(@"\b(1[89]|20)\d\d\b|\b(version|release)\s+\d|\b\d+\.\d+(\.\d+)?\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\b(since|until|before|after|once|whenever|as\s+soon\s+as|when|within|on\s+(the\s+)?(next|first|last))\b|\b(reaches|exceeds|every|each\s+time|automatically)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimeStatement();

    [GeneratedRegex(@"\b(not|no|never|cannot|can't|won't|isn't|aren't|doesn't|don't|unless|only|except|always|by\s+default|disabled?|enabled?|allowed|forbidden|prohibited|required|supported|unsupported|safe|unsafe|must|impossible|possible)\b|n't\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex YesNoStatement();

    [GeneratedRegex(@"^\W*(to\s+\w+|use|run|set|click|open|enter|add|call|create|choose|select|go|type|send|fill|attach|download|sign|contact|reply|write|check|press|install|enable|disable|remove|delete|change|invoke|pass|specify|declare|start|stop|reset|restart|update|turn|put|keep|make|take|try|follow|request|ask)\b|\b(use|run|invoke|call|issue|execute)\s+(the|a|an)\b|\bby\s+(setting|running|calling|adding|using|invoking|issuing|clicking|entering)\b|`|\bpragma\b|\b(step|steps)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ProcedureStatement();

    // The subject is at most six words before the verb; "is a", "are the" is the copula of a definition.
    [GeneratedRegex(@"^\W*(?<subject>(?:(?:[^\s,;:(]|\([^)]*\))+\s+){1,6}?)(?:(?<copula>(is|are)\s+(a|an|the|one|any)\b)|((is|are)(?!\s+not\b)|means|refers\s+to|stands\s+for|consists\s+of|provides|returns|causes|allows|lets|makes|creates|rebuilds|gathers|computes|removes|deletes|adds|converts|extracts|describes|represents|contains|works|acts|behaves|holds|stores|implements|defines|changes|sets|queries|reads|writes|copies|checks|runs|builds|turns|controls|determines|specifies|tells|gives|keeps)\b)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DefiningOpening();

    // A list of three or more values: "A | B | C", "A, B, and C", a count of kinds ("three different threading modes"),
    // "one of", or a range ("between 512 and 65536").
    [GeneratedRegex(@"[^|\s][^|]*\|[^|]+\|[^|]*[^|\s]|\w[\w\s-]{0,30},\s*\w[\w\s-]{0,30},?\s+(and|or)\s+\w|\b(two|three|four|five|six|seven|eight|nine|ten|several)\s+([\w-]+\s+){0,2}(values|modes|options|settings|levels|types|kinds|sizes|formats|flags|choices|states|methods|encodings|classes|ways|forms)\b|\bone\s+of\b|\bbetween\s+-?\d+\S*\s+and\s+-?\d+|\beither\b.+\bor\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ValuesStatement();

    [GeneratedRegex(@"\s(of|in|for|with|on|at|from|by|to|about|against|between|under|over|into|within)\s", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SubjectPreposition();

    // A subject that already has a verb ("A VACUUM will fail if there") or a relative clause is not the thing defined.
    [GeneratedRegex(@"\b(will|would|can|could|may|might|must|shall|should|does|do|did|has|have|had|is|are|was|were|be|been|if|when|that|which|who|where|because|unless)\b|^\W*\w+ing\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VerbInSubject();

    [GeneratedRegex(@"[=(){}]|^\W*[A-Z][A-Z_]+\b")]
    private static partial Regex CodeMark();

    [GeneratedRegex(@"[.!?:)""'\]]$")]
    private static partial Regex EndPunctuation();

    [GeneratedRegex(@"^(a|an|the|of|in|for|and|or|to|on|at|by|with|as|is|vs|via)$", RegexOptions.CultureInvariant)]
    private static partial Regex TitleFunctionWord();

    [GeneratedRegex(@"^\W*(query|queries|set|sets|change|changes|return|returns|get|gets|enable|enables|disable|disables|create|creates|remove|removes|delete|deletes|add|adds|cause|causes|compute|computes|read|reads|write|writes|run|runs|open|opens|close|closes|check|checks|show|shows|list|lists|print|prints|render|renders|recover|recovers|load|loads|save|saves|import|imports|export|exports|execute|executes|extract|extracts|convert|converts|determine|determines|control|controls|specify|specifies|verify|verifies|rebuild|rebuilds|display|displays|report|reports|register|registers|invoke|invokes|clear|clears|reset|resets|backup|backs\s+up|back\s+up|make|makes|stop|stops|start|starts|turn|turns|limit|limits|measure|measures|count|counts)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VerbOpening();

    [GeneratedRegex(@"^\W*(if|when|whenever|because|although|though|unless|since|after|before|once|while|for|in|on|at|to|with|by|from|as|so|but|and|or|then|this|that|these|those|it|they|there|here|however|thus|hence|also|even|only|all|some|many|most|each|every|no|not)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ClauseOpening();

}
