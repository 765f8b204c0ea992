using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Skybridge.Core.Grounding;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Grounding.Answering;

/// <summary>
/// What the sources of a workflow cover, for judging whether a question is answerable at all: every word they use
/// (analysed as retrieval analyses it), the language they are written in, and the version numbers they name. Built
/// once per set of document versions and kept beside the index.
/// </summary>
internal sealed partial class SourceProfile
{
    private static readonly ConditionalWeakTable<PassageIndex, SourceProfile> Cache = new();

    private SourceProfile(string key, HashSet<string> vocabulary, IReadOnlyList<string> languages, string text, IReadOnlyList<(string Title, string Text)> documents)
    {
        Key = key;
        Vocabulary = vocabulary;
        Languages = languages;
        _text = text;
        _documents = documents;
        (Subject, SubjectDocuments) = FindSubject(documents);
        LatestVersion = Subject is null ? null : FindLatestVersion(Subject, text);
    }

    // From a summary kept with the documents (SourceSummary): what the constructor above computes, taken as saved.
    private SourceProfile(SourceSummary summary, string text, IReadOnlyList<(string Title, string Text)> documents)
    {
        Key = summary.Versions;
        Vocabulary = new HashSet<string>(summary.Vocabulary, StringComparer.Ordinal);
        Languages = summary.Languages ?? [];
        _text = text;
        _documents = documents;
        (Subject, SubjectDocuments) = (summary.Subject, summary.SubjectDocuments);
        LatestVersion = summary.LatestVersion is { } latest ? [.. latest] : null;
    }

    /// <summary>What this profile computed from the documents, to be kept with them.</summary>
    internal SourceSummary Summary() =>
        new(Key, [.. Vocabulary.Order(StringComparer.Ordinal)], Languages, Subject, SubjectDocuments, LatestVersion is { } latest ? [.. latest] : null);

    /// <summary>
    /// Takes <paramref name="summary"/> as the profile of <paramref name="index"/> when it was made from the documents the
    /// index holds now (the same versions, in the same order); false, and nothing taken, otherwise.
    /// </summary>
    internal static bool Adopt(PassageIndex index, SourceSummary summary)
    {
        var documents = Ordered(index);
        if (summary.Versions != VersionsKey(documents) || summary.Vocabulary is null)
        {
            return false;
        }

        Cache.AddOrUpdate(index, new SourceProfile(summary, Text(documents), [.. documents.Select(d => (d.Title, d.Text))]));
        return true;
    }

    private static List<SourceDocument> Ordered(PassageIndex index) => [.. index.Documents.Values.OrderBy(d => d.Path, StringComparer.Ordinal)];

    private static string VersionsKey(List<SourceDocument> documents) => string.Join("\n", documents.Select(d => d.Version));

    private static string Text(List<SourceDocument> documents) => string.Join("\n", documents.Select(d => d.Text));

    private readonly IReadOnlyList<(string Title, string Text)> _documents;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (int Documents, bool InTitle)> _names = new(StringComparer.Ordinal);

    /// <summary>Documents the profile was built from.</summary>
    public int DocumentCount => _documents.Count;

    /// <summary>
    /// The name the sources are about (SQLite in SQLite's documentation), or null: the name written capitalised in the
    /// most documents, when that is at least half of them and a quarter of the titles name it. A help centre that names
    /// its shop on a few pages (and "Monday" on every page's opening hours) has none.
    /// </summary>
    public string? Subject { get; }

    /// <summary>Documents naming <see cref="Subject"/>.</summary>
    public int SubjectDocuments { get; }

    /// <summary>The highest version the sources give their subject ("SQLite 3.40.1", "SQLite version 3.40.1"), or null.</summary>
    public IReadOnlyList<int>? LatestVersion { get; }

    /// <summary>
    /// How the sources name <paramref name="name"/> (case-sensitive, whole words): on how many documents, and whether a
    /// document's title names it (a name a title carries is a subject of the sources, however few pages use it).
    /// </summary>
    public (int Documents, bool InTitle) Coverage(string name) => _names.GetOrAdd(name, n =>
    {
        var pattern = new Regex(@"(?<![\p{L}\p{N}_])" + Regex.Escape(n) + @"(?![\p{L}\p{N}_])", RegexOptions.CultureInvariant);
        return (_documents.Count(d => pattern.IsMatch(d.Text) || pattern.IsMatch(d.Title)), _documents.Any(d => pattern.IsMatch(d.Title)));
    });

    /// <summary>True when <paramref name="numbers"/> is a later version than any the sources give their subject.</summary>
    public bool IsLaterVersion(IReadOnlyList<int> numbers) => LatestVersion is { } latest && Compare(numbers, latest) > 0;

    private static int Compare(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            var (x, y) = (i < a.Count ? a[i] : 0, i < b.Count ? b[i] : 0);
            if (x != y)
            {
                return x.CompareTo(y);
            }
        }

        return 0;
    }

    private static (string? Name, int Documents) FindSubject(IReadOnlyList<(string Title, string Text)> documents)
    {
        // A name is a word written capitalised inside sentences more often than in lower case ("SQLite", not "The").
        // Words are counted as spans of the text, and a string is made only for a word seen for the first time: the
        // sources are read word by word, megabytes of them.
        var capitalised = new Dictionary<string, int>(StringComparer.Ordinal);
        var lower = new Dictionary<string, int>(StringComparer.Ordinal);
        var documentsWith = new Dictionary<string, int>(StringComparer.Ordinal);
        var capitalisedBySpan = capitalised.GetAlternateLookup<ReadOnlySpan<char>>();
        var lowerBySpan = lower.GetAlternateLookup<ReadOnlySpan<char>>();
        var documentsWithBySpan = documentsWith.GetAlternateLookup<ReadOnlySpan<char>>();
        // The last document each capitalised word was counted for: a set cleared per document cost its whole capacity
        // each time, which one long page had grown (a quarter of the profile's time on 766 pages).
        var lastDocument = new Dictionary<string, int>(StringComparer.Ordinal);
        var lastDocumentBySpan = lastDocument.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var d = 0; d < documents.Count; d++)
        {
            // Title and text apart, as if joined by a line break: no word spans a line break, and a line break before
            // the text's first word is not the space the capitalised check looks for.
            var (title, text) = documents[d];
            foreach (var all in (ReadOnlySpan<string>)[title, text])
            {
                foreach (var (index, length) in Words(all))
                {
                    var word = all.AsSpan(index, length);
                    if (char.IsUpper(word[0]))
                    {
                        if (index >= 2 && all[index - 1] == ' ' && (char.IsLower(all[index - 2]) || char.IsDigit(all[index - 2]) || all[index - 2] is ',' or ')'))
                        {
                            CollectionsMarshal.GetValueRefOrAddDefault(capitalisedBySpan, word, out _)++;
                        }

                        ref var last = ref CollectionsMarshal.GetValueRefOrAddDefault(lastDocumentBySpan, word, out var known);
                        if (!known || last != d)
                        {
                            last = d;
                            CollectionsMarshal.GetValueRefOrAddDefault(documentsWithBySpan, word, out _)++;
                        }
                    }
                    else
                    {
                        // Kept as written ("sqlite"); compared below with a capitalised word's lower-case-initial form.
                        CollectionsMarshal.GetValueRefOrAddDefault(lowerBySpan, word, out _)++;
                    }
                }
            }
        }

        int Lower(string word) => lower.GetValueOrDefault(char.ToLowerInvariant(word[0]) + word[1..]);

        // The subject is also what the titles are about: "Monday" on every page's opening hours is no subject, "SQLite"
        // in half the titles of its documentation is.
        var subject = documentsWith
            .Where(w => w.Key.Length >= 3 && w.Key.Skip(1).Any(char.IsLower) && capitalised.GetValueOrDefault(w.Key) > Lower(w.Key))
            .OrderByDescending(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal).FirstOrDefault();
        if (subject.Key is null || subject.Value * 2 < documents.Count || documents.Count < 2)
        {
            return (null, 0);
        }

        var titled = documents.Count(d => d.Title.Contains(subject.Key, StringComparison.Ordinal));
        return titled * 4 >= documents.Count ? (subject.Key, subject.Value) : (null, 0);
    }

    private static IReadOnlyList<int>? FindLatestVersion(string subject, string text)
    {
        IReadOnlyList<int>? latest = null;
        var pattern = new Regex(@"(?<![\p{L}\p{N}_])" + Regex.Escape(subject) + @"\s+(?:version\s+|release\s+)?(?<v>\d+(?:\.\d+)+)(?![\d.]*\d)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        foreach (Match m in pattern.Matches(text))
        {
            var numbers = m.Groups["v"].Value.Split('.').Select(p => int.TryParse(p, out var n) ? n : 0).ToList();
            if (latest is null || Compare(numbers, latest) > 0)
            {
                latest = numbers;
            }
        }

        return latest;
    }

    private readonly string _text;

    private string Key { get; }

    /// <summary>Every analysed term of the sources' text and titles.</summary>
    public HashSet<string> Vocabulary { get; }

    /// <summary>The languages the documents are written in (<see cref="QuestionReading.LanguagesOf"/>), most first; empty when none can be told.</summary>
    public IReadOnlyList<string> Languages { get; }

    /// <summary>True when <paramref name="literal"/> occurs in any source (case-insensitive).</summary>
    public bool Mentions(string literal) => _text.Contains(literal, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when a source term is within one edit of <paramref name="term"/> (two for terms of six letters or more).</summary>
    public bool HasNear(string term)
    {
        var limit = term.Length >= 6 ? 2 : 1;
        return term.Length >= 4 && Vocabulary.Any(v => Math.Abs(v.Length - term.Length) <= limit && Distance(v, term, limit) <= limit);
    }

    /// <summary>
    /// True when a source term is a likely typo away from <paramref name="term"/>: the same first letter and one edit
    /// (a swap of two neighbouring letters counts as one: "tabel", "maxmium"). Stricter than <see cref="HasNear"/>,
    /// for the words a question asks about, where "discount" must not pass for "miscount" nor "career" for "carney".
    /// </summary>
    public bool HasTypoOf(string term) =>
        term.Length >= 4 && Vocabulary.Any(v => v.Length > 0 && v[0] == term[0] && Math.Abs(v.Length - term.Length) <= 1 && Skybridge.Core.Text.EditDistance.Compute(v, term) <= 1);

    private static int Distance(string a, string b, int limit)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            var rowMin = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                rowMin = Math.Min(rowMin, current[j]);
            }

            if (rowMin > limit)
            {
                return rowMin;
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    /// <summary>The profile of what <paramref name="index"/> holds now.</summary>
    public static SourceProfile Of(PassageIndex index)
    {
        var documents = Ordered(index);
        var key = VersionsKey(documents);
        if (Cache.TryGetValue(index, out var cached) && cached.Key == key)
        {
            return cached;
        }

        // The passages' terms come from the index's dictionary; titles and outdated documents (which are not indexed) are
        // analysed here: the same set as analysing every document, without reading a thousand pages again.
        var vocabulary = index.IndexedTerms();
        foreach (var d in documents)
        {
            vocabulary.UnionWith(index.Terms(d.IsOutdated ? d.Title + "\n" + d.Text : d.Title));
        }

        var profile = new SourceProfile(key, vocabulary, QuestionReading.LanguagesOf([.. documents.Select(d => d.Text)]), Text(documents),
            [.. documents.Select(d => (d.Title, d.Text))]);
        Cache.AddOrUpdate(index, profile);
        return profile;
    }

    /// <summary>
    /// Version names in a question ("version 3.2", "v2", "2027 edition", "Fenix 8 Pro") that no source mentions: the
    /// question is about a product or release the sources do not cover.
    /// </summary>
    public IReadOnlyList<string> UncoveredVersions(string question) =>
        [.. VersionPattern().Matches(question).Select(m => m.Value.Trim()).Where(v => !Mentions(v)).Distinct(StringComparer.OrdinalIgnoreCase)];

    /// <summary>
    /// The words of <paramref name="text"/> (start and length): a letter, then letters and digits, standing alone (no
    /// letter, digit or underscore next to it: "SQLite" and "json", not the parts of "sqlite3_open" or "x2"). Scanned by
    /// hand rather than by a pattern with look-arounds: it runs over every character of the sources.
    /// </summary>
    internal static IEnumerable<(int Index, int Length)> Words(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsLetter(text[i]) || (i > 0 && IsWordChar(text[i - 1])))
            {
                i++;
                continue;
            }

            var end = i + 1;
            while (end < text.Length && (char.IsLetter(text[end]) || char.IsNumber(text[end])))
            {
                end++;
            }

            // A run that ends at an underscore is part of an identifier, and so is every word inside it.
            if (end == text.Length || text[end] != '_')
            {
                yield return (i, end - i);
            }

            i = end;
        }
    }

    private static bool IsWordChar(char c) => char.IsLetter(c) || char.IsNumber(c) || c == '_';

    [GeneratedRegex(@"\b(version|release|firmware|edition|generation|gen|model\s+year|v)\s*\d+(\.\d+)*\b|\b\d+(\.\d+)+\s*(version|release|firmware|update)\b|\b(19|20)\d\d\s+(edition|model|version|collection|release)\b|\b\d+(st|nd|rd|th)\s+(generation|gen|edition)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
