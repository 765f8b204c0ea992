using System.Text.RegularExpressions;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Grounding;
using Skybridge.Core.Text;

namespace Skybridge.Core.Evaluation;

/// <summary>One document of a manifest's sources as the check reads it: its path under the source and its text.</summary>
/// <param name="Path">The path a case's <c>cite</c> names (<c>returns/refund-policy.md</c>).</param>
/// <param name="Text">The text answers quote, as the document reader gives it.</param>
public sealed record CheckedDocument(string Path, string Text);

/// <summary>
/// A golden set read against the documents its answers come from (<c>skybridge eval check</c>; docs/evaluation.md,
/// "Checking a golden set against its sources"). An answer is scored on the facts it states and the documents it cites
/// (one the case does not list counts against citation precision), so a case is only fair when what it lists matches
/// what the documents say:
/// <list type="bullet">
/// <item>SB1610: a cited document that no source holds (a typo, a moved page): no answer can ever cite it;</item>
/// <item>SB1611: a fact none of the cited documents states: an answer quoting the documents cannot both state it and
/// cite a listed one;</item>
/// <item>SB1612: a document that states a fact but is not cited: an answer that quotes the fact from there is scored as
/// citing no right document;</item>
/// <item>SB1613: a cited document that states none of the case's facts;</item>
/// <item>SB1614: a case written in a language none of the documents are in (as <see cref="QuestionReading.LanguageOf"/>
/// reads both, the reading the built-in engine's <c>other_language</c> hand-over uses): the engine hands it over, so
/// every run counts it as a false abstention until the case or the sources change.</item>
/// </list>
/// A text fact is stated where the document's text holds it as the scorer matches answers (case-insensitive, runs of
/// whitespace as one space), a pattern fact where its expression matches that text, a number fact where a number of the
/// text is within 0.005 of it. Number facts count for SB1611 and SB1613 only: a number such as 30 or 6.90 is on many
/// documents that say something else with it. Every finding is a warning: the golden set stays usable, and which
/// document states a fact in other words is for the people who agree the cases to decide. Pure: the caller reads the
/// documents.
/// </summary>
public static class GoldenSetSourceCheck
{
    /// <summary>
    /// Every finding for the cases of <paramref name="set"/> expected to answer, in file order, located at the fact or
    /// citation it is about (the case when the set was not read from a file).
    /// </summary>
    public static IReadOnlyList<Diagnostic> Check(GoldenSet set, IReadOnlyList<CheckedDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(documents);
        var pages = documents.Select(d => (d.Path, Raw: d.Text, Normalized: AnswerText.Normalize(d.Text))).ToList();
        var paths = pages.Select(p => p.Path).ToList();
        // A case's citation names the document of that exact path, and only that one: the scorer reads an answer's
        // citation of a longer path (c3ref/threadsafe.html) that is a document of its own as that document, so a case that
        // cites threadsafe.html where only the longer path exists can never be cited right (SB1610).
        var byPath = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < paths.Count; i++)
        {
            byPath.TryAdd(GoldenScorer.Plain(paths[i]), i);
        }

        var findings = new List<Diagnostic>();
        var sourcesLanguages = QuestionReading.LanguagesOf([.. documents.Select(d => d.Text)]);
        foreach (var golden in set.Cases.Where(c => c.Expect.Outcome == ExpectedOutcome.Answer))
        {
            var expect = golden.Expect;
            if (sourcesLanguages.Count > 0 && QuestionReading.LanguageOf(golden.Input) is { } language && !sourcesLanguages.Contains(language))
            {
                findings.Add(new Diagnostic(DiagnosticCodes.AnswerCaseInOtherLanguage, DiagnosticSeverity.Warning,
                    $"case '{golden.Id}' expects an answer but is written in {QuestionReading.LanguageName(language)}, and the sources are in {QuestionReading.LanguageNames(sourcesLanguages)}: the built-in engine hands such a case over (other_language), so every run counts it as a false abstention; expect an abstention, or add sources in {QuestionReading.LanguageName(language)}",
                    golden.Location));
            }

            var cites = expect.Cite.Select(c => byPath.GetValueOrDefault(GoldenScorer.Plain(c), -1)).ToList();
            var cited = new List<int>();
            var stating = new HashSet<int>();
            var uncited = new Dictionary<int, List<int>>();
            for (var i = 0; i < expect.Cite.Count; i++)
            {
                var at = cites[i];
                if (at < 0)
                {
                    findings.Add(new Diagnostic(DiagnosticCodes.CitedDocumentNotInSources, DiagnosticSeverity.Warning,
                        $"case '{golden.Id}' cites '{expect.Cite[i]}', which no source of the manifest holds, so no answer can cite it",
                        Where(expect.CiteLocations, i, golden)) { Suggestion = EditDistance.FindNearest(expect.Cite[i], paths) });
                }
                else
                {
                    cited.Add(at);
                }
            }

            for (var f = 0; f < expect.Facts.Count; f++)
            {
                var fact = expect.Facts[f];
                var on = Enumerable.Range(0, pages.Count).Where(p => States(pages[p].Raw, pages[p].Normalized, fact)).ToList();
                stating.UnionWith(on);
                var where = Where(expect.FactLocations, f, golden);
                if (on.Count == 0)
                {
                    findings.Add(new Diagnostic(DiagnosticCodes.FactOnNoCitedDocument, DiagnosticSeverity.Warning,
                        $"fact {fact.Describe()} of case '{golden.Id}' is stated on no document of the sources, so no answer that quotes them states it",
                        where));
                }
                else if (expect.Cite.Count > 0 && cited.Count == expect.Cite.Count && !on.Any(cited.Contains))
                {
                    findings.Add(new Diagnostic(DiagnosticCodes.FactOnNoCitedDocument, DiagnosticSeverity.Warning,
                        $"fact {fact.Describe()} of case '{golden.Id}' is stated on none of the documents it cites, but on {List([.. on.Select(p => pages[p].Path)])}",
                        where));
                }

                // A case that lists no citations does not score them, a citation that names no document is the finding to
                // fix first, and a number is on many documents that say something else with it.
                if (expect.Cite.Count == 0 || cited.Count < expect.Cite.Count || fact is NumberFact)
                {
                    continue;
                }

                foreach (var p in on.Where(p => !cited.Contains(p)))
                {
                    if (!uncited.TryGetValue(p, out var facts))
                    {
                        uncited[p] = facts = [];
                    }

                    facts.Add(f);
                }
            }

            // One finding per document, with every fact of the case it states: short facts ("5 working days") are on
            // several documents, and a document that states all of them is the one an answer will quote.
            var checkable = expect.Facts.Count(f => f is not NumberFact);
            foreach (var (p, facts) in uncited.OrderBy(u => u.Value[0]).ThenBy(u => u.Key))
            {
                var which = facts.Count == checkable
                    ? (checkable == 1 ? "its fact" : $"all {checkable} of its facts")
                    : $"{facts.Count} of its {checkable} facts";
                findings.Add(new Diagnostic(DiagnosticCodes.UncitedDocumentStatesFact, DiagnosticSeverity.Warning,
                    $"'{pages[p].Path}' states {which} ({string.Join(", ", facts.Select(f => expect.Facts[f].Describe()))}) of case '{golden.Id}' but is not cited, so an answer that quotes it from there is scored as citing no right document",
                    Where(expect.FactLocations, facts[0], golden)));
            }

            if (expect.Facts.Count == 0)
            {
                continue;
            }

            for (var i = 0; i < expect.Cite.Count; i++)
            {
                var at = cites[i];
                if (at >= 0 && !stating.Contains(at))
                {
                    findings.Add(new Diagnostic(DiagnosticCodes.CitedDocumentStatesNoFact, DiagnosticSeverity.Warning,
                        $"case '{golden.Id}' cites '{expect.Cite[i]}', which states none of its facts",
                        Where(expect.CiteLocations, i, golden)));
                }
            }
        }

        return findings;
    }

    /// <summary>The documents whose text holds <paramref name="text"/> as a text fact would match it, in the order given.</summary>
    public static IReadOnlyList<string> Find(string text, IReadOnlyList<CheckedDocument> documents)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(documents);
        var fact = new TextFact(text);
        return [.. documents.Where(d => States(d.Text, AnswerText.Normalize(d.Text), fact)).Select(d => d.Path)];
    }

    private static bool States(string raw, string normalized, ExpectedFact fact)
    {
        switch (fact)
        {
            case TextFact text:
                return text.Normalized.Length > 0 && normalized.Contains(text.Normalized, StringComparison.Ordinal);
            case NumberFact number:
                return AnswerText.ContainsNumber(raw, number.Value, NumberFact.Tolerance);
            case PatternFact pattern:
                try
                {
                    return pattern.Regex.IsMatch(normalized);
                }
                catch (RegexMatchTimeoutException)
                {
                    return false;
                }

            default:
                return false;
        }
    }

    private static SourceLocation Where(IReadOnlyList<SourceLocation> locations, int index, GoldenCase golden) =>
        index < locations.Count ? locations[index] : golden.Location;

    private static string List(IReadOnlyList<string> paths) =>
        paths.Count <= 3 ? string.Join(", ", paths.Select(p => $"'{p}'")) : string.Join(", ", paths.Take(3).Select(p => $"'{p}'")) + $" and {paths.Count - 3} more";
}
