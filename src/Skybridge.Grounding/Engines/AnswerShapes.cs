using System.Text.RegularExpressions;

namespace Skybridge.Grounding.Engines;

/// <summary>The kind of sentence that answers a question: what a person looks for when they read the page.</summary>
internal enum AnswerShape
{
    /// <summary>No particular shape: the sentence that says most about the question's terms.</summary>
    Open,

    /// <summary>"How long", "how soon": a duration.</summary>
    Duration,

    /// <summary>"How much", "what does it cost": an amount of money, a percentage, or "free".</summary>
    Amount,

    /// <summary>"How many", "how high", "what is the maximum": a number or a quantity in words.</summary>
    Number,

    /// <summary>"When", "since when", "which version": a date, a version, a point in time or the condition that triggers it.</summary>
    Time,

    /// <summary>"Can I", "is it", "does it": a yes or a no, with its condition.</summary>
    YesNo,

    /// <summary>"What is", "what does X do": the sentence that defines the subject.</summary>
    Definition,

    /// <summary>"How do I", "how to": the step that says what to do.</summary>
    Procedure,
}

/// <summary>
/// Reads a question's answer shape and tells whether a sentence has it. Pure rules over English wording, no model:
/// "how long" is answered by a duration, "how much" by an amount, "can I" by a sentence that says yes or no (a
/// negation, a limit or a condition), "what is X" by a sentence that opens with X and says what it is, "how do I" by
/// a sentence that tells the reader what to do.
/// </summary>
internal static partial class AnswerShapes
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

        if (NumberQuestion().IsMatch(question))
        {
            return AnswerShape.Number;
        }

        return DefinitionQuestion().IsMatch(question) ? AnswerShape.Definition : AnswerShape.Open;
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
            AnswerShape.Time => TimeStatement().IsMatch(sentence),
            AnswerShape.YesNo => YesNoStatement().IsMatch(sentence),
            AnswerShape.Procedure => ProcedureStatement().IsMatch(sentence),
            _ => false,
        };
    }

    /// <summary>
    /// How strongly <paramref name="sentence"/> defines a subject named by <paramref name="focus"/>: 0 when it does not;
    /// 1 when it opens with the subject (a short phrase holding a focus term, not a clause such as "If a function...")
    /// followed by a defining verb ("The VACUUM command rebuilds the database file"); 2 when that verb is a copula with
    /// an article ("A partial index is an index over..."). <paramref name="terms"/> turns words into the question's terms.
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
        if (ClauseOpening().IsMatch(subject) || !terms(subject).Any(focus.Contains))
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
        return trimmed.EndsWith('?') || trimmed.EndsWith(':');
    }

    [GeneratedRegex(@"\bhow\s+(do|can|could|should|would|must)\s+(i|we|you|one)\b(?!\s+(know|tell)\b)|\bhow\s+to\b|\bwhat\s+(do|should)\s+(i|we)\s+do\b|\bwhat\s+are\s+the\s+steps\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ProcedureQuestion();

    [GeneratedRegex(@"\bhow\s+(long|soon|quickly|late|early)\b|\bhow\s+many\s+(seconds|minutes|hours|days|weeks|months|years)\b|\buntil\s+when\b|\bby\s+when\b|\bhow\s+much\s+time\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationQuestion();

    [GeneratedRegex(@"\bhow\s+much\b(?!\s+(data|space|memory|time|traffic|load))|\bcosts?\b|\bprices?\b|\bfees?\b|\bcharged?\b|\bpay\s+for\b|\bexpensive\b|\bcheaper\b|\brefund(ed)?\s+amount\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AmountQuestion();

    [GeneratedRegex(@"^\W*(when|since\s+when)\b|\bsince\s+(when|which|what)\b|\b(which|what)\s+(version|release|year|date|day|time)\b|\bwhen\s+(was|were|did|does|do|is|are|will|can|should)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimeQuestion();

    [GeneratedRegex(@"\bhow\s+(many|much|high|big|large|small|far|busy|often|deep|wide|fast)\b|\b(maximum|minimum|max|min|largest|smallest|highest|lowest|limit|default)\b|\bwhat\s+(size|sizes|number|values?|range)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NumberQuestion();

    [GeneratedRegex(@"\bhow\s+(many|much|high|big|large|small|far|often|long)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HowMany();

    [GeneratedRegex(@"^\W*(can|could|may|might|is|are|am|do|does|did|will|would|should|shall|must|has|have|was|were)\b|\bis\s+it\s+(possible|safe|allowed|ok|okay)\b|\bam\s+i\s+allowed\b|\b(can|may)\s+i\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex YesNoQuestion();

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
    [GeneratedRegex(@"^\W*(?<subject>(?:[^\s,;:]+\s+){1,6}?)(?:(?<copula>(is|are)\s+(a|an|the|one|any)\b)|(is|are|means|refers\s+to|stands\s+for|consists\s+of|provides|returns|causes|allows|lets|makes|creates|rebuilds|gathers|computes|removes|deletes|adds|converts|extracts|describes|represents|contains|works|acts|behaves|holds|stores|implements|defines|changes|sets|queries|reads|writes|copies|checks|runs|builds|turns|controls|determines|specifies|tells|gives|keeps)\b)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DefiningOpening();

    [GeneratedRegex(@"^\W*(if|when|whenever|because|although|though|unless|since|after|before|once|while|for|in|on|at|to|with|by|from|as|so|but|and|or|then|this|that|these|those|it|they|there|here|however|thus|hence|also|even|only|all|some|many|most|each|every|no|not)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ClauseOpening();

}
