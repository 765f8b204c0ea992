using System.Text.RegularExpressions;

namespace Skybridge.Grounding.Documents;

/// <summary>
/// Site chrome is what a documentation site repeats around every page: its menu, tagline, header, footer, the
/// "Table Of Contents" caption. Sites build it from anything (SQLite's menu is a list in a div, not a nav), so it is
/// recognised by what it is, not by its markup: a block whose text appears on at least <see cref="Share"/> of a
/// source's HTML pages (and on at least <see cref="MinPages"/> of them) is chrome and left out of every page's text.
/// A block on only some pages (a shared note, a page's own heading) is kept. A footer that stamps each page with its
/// own date ("This page last modified on 2021-10-06 14:45:14 UTC") differs on every page in its date alone; it is
/// chrome all the same when the same line, its numbers aside, is on that share of pages and carries a date or time
/// (<see cref="StampKey"/>). Only a date makes a varying line chrome: "Function 3 returns the number 3" on every page
/// of a generated reference is each page's own statement, templated as it may be.
/// </summary>
internal static partial class SiteChrome
{
    /// <summary>Below this many pages repetition says nothing: a block on 2 of 3 pages may well be content.</summary>
    public const int MinPages = 5;

    /// <summary>The share of a source's pages a block must appear on to be chrome.</summary>
    public const double Share = 0.5;

    /// <summary>The keys (<see cref="Key"/>) of the blocks that are chrome across <paramref name="pages"/>.</summary>
    public static HashSet<string> Find(IReadOnlyCollection<HtmlPage> pages)
    {
        var chrome = new HashSet<string>(StringComparer.Ordinal);
        if (pages.Count < MinPages)
        {
            return chrome;
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var page in pages)
        {
            var keys = page.Blocks.Select(Key).Concat(page.Blocks.Select(StampKey).OfType<string>());
            foreach (var key in keys.Distinct(StringComparer.Ordinal))
            {
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }

        var needed = Math.Max(MinPages, (int)Math.Ceiling(pages.Count * Share));
        foreach (var (key, count) in counts)
        {
            if (count >= needed)
            {
                chrome.Add(key);
            }
        }

        return chrome;
    }

    /// <summary>Whether <paramref name="block"/> is chrome by the keys <see cref="Find"/> returned.</summary>
    public static bool IsChrome(HashSet<string> chrome, HtmlBlock block) =>
        chrome.Contains(Key(block)) || (StampKey(block) is { } stamp && chrome.Contains(stamp));

    /// <summary>A block's identity across pages: its kind and its text, whitespace and case folded.</summary>
    public static string Key(HtmlBlock block) => $"{(int)block.Kind}:{HtmlReader.Collapse(block.Text).ToLowerInvariant()}";

    /// <summary>
    /// A dated block's identity across pages: its <see cref="Key"/> with every number masked, so the same footer with
    /// another date on each page has one key; null for a block without a date or time in it.
    /// </summary>
    public static string? StampKey(HtmlBlock block)
    {
        var text = HtmlReader.Collapse(block.Text).ToLowerInvariant();
        return DateOrTime().IsMatch(text) && Letters().IsMatch(text) ? $"{(int)block.Kind}~{Digits().Replace(text, "#")}" : null;
    }

    /// <summary>
    /// A calendar date (2021-10-06, 06/10/2021, 6/10/21, 6.10.2021) or a clock time (14:45). A dotted date needs its
    /// four-digit year: "3.8.10" is a version, and "New in version 3.8.10" on many pages of a reference is content.
    /// </summary>
    [GeneratedRegex(@"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}\.\d{1,2}\.\d{4}\b|\b\d{1,2}:\d{2}\b", RegexOptions.CultureInvariant)]
    private static partial Regex DateOrTime();

    [GeneratedRegex(@"\p{L}{2}", RegexOptions.CultureInvariant)]
    private static partial Regex Letters();

    [GeneratedRegex(@"\d+", RegexOptions.CultureInvariant)]
    private static partial Regex Digits();
}
