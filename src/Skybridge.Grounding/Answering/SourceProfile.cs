using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Skybridge.Core.Grounding;
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

    private SourceProfile(string key, HashSet<string> vocabulary, string? language, string text)
    {
        Key = key;
        Vocabulary = vocabulary;
        Language = language;
        _text = text;
    }

    private readonly string _text;

    private string Key { get; }

    /// <summary>Every analysed term of the sources' text and titles.</summary>
    public HashSet<string> Vocabulary { get; }

    /// <summary>The language most documents are written in, or null when it cannot be told.</summary>
    public string? Language { get; }

    /// <summary>True when <paramref name="literal"/> occurs in any source (case-insensitive).</summary>
    public bool Mentions(string literal) => _text.Contains(literal, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when a source term is within one edit of <paramref name="term"/> (two for terms of six letters or more).</summary>
    public bool HasNear(string term)
    {
        var limit = term.Length >= 6 ? 2 : 1;
        return term.Length >= 4 && Vocabulary.Any(v => Math.Abs(v.Length - term.Length) <= limit && Distance(v, term, limit) <= limit);
    }

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
        var documents = index.Documents.Values.OrderBy(d => d.Path, StringComparer.Ordinal).ToList();
        var key = string.Join("\n", documents.Select(d => d.Version));
        if (Cache.TryGetValue(index, out var cached) && cached.Key == key)
        {
            return cached;
        }

        var vocabulary = new HashSet<string>(StringComparer.Ordinal);
        var languages = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var d in documents)
        {
            vocabulary.UnionWith(index.Terms(d.Title + "\n" + d.Text));
            if (QuestionReading.LanguageOf(d.Text.Length > 4000 ? d.Text[..4000] : d.Text) is { } language)
            {
                languages[language] = languages.GetValueOrDefault(language) + 1;
            }
        }

        var majority = languages.OrderByDescending(l => l.Value).FirstOrDefault();
        var profile = new SourceProfile(key, vocabulary, majority.Value * 2 > documents.Count ? majority.Key : null, string.Join("\n", documents.Select(d => d.Text)));
        Cache.AddOrUpdate(index, profile);
        return profile;
    }

    /// <summary>
    /// Version names in a question ("version 3.2", "v2", "2027 edition", "Fenix 8 Pro") that no source mentions: the
    /// question is about a product or release the sources do not cover.
    /// </summary>
    public IReadOnlyList<string> UncoveredVersions(string question) =>
        [.. VersionPattern().Matches(question).Select(m => m.Value.Trim()).Where(v => !Mentions(v)).Distinct(StringComparer.OrdinalIgnoreCase)];

    [GeneratedRegex(@"\b(version|release|firmware|edition|generation|gen|model\s+year|v)\s*\d+(\.\d+)*\b|\b\d+(\.\d+)+\s*(version|release|firmware|update)\b|\b(19|20)\d\d\s+(edition|model|version|collection|release)\b|\b\d+(st|nd|rd|th)\s+(generation|gen|edition)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
