namespace Skybridge.Grounding.Documents;

/// <summary>
/// Site chrome is what a documentation site repeats around every page: its menu, tagline, header, footer, the
/// "Table Of Contents" caption. Sites build it from anything (SQLite's menu is a list in a div, not a nav), so it is
/// recognised by what it is, not by its markup: a block whose text appears on at least <see cref="Share"/> of a
/// source's HTML pages (and on at least <see cref="MinPages"/> of them) is chrome and left out of every page's text.
/// A block on only some pages (a shared note, a page's own heading) is kept.
/// </summary>
internal static class SiteChrome
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
            foreach (var key in page.Blocks.Select(Key).Distinct(StringComparer.Ordinal))
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

    /// <summary>A block's identity across pages: its kind and its text, whitespace and case folded.</summary>
    public static string Key(HtmlBlock block) => $"{(int)block.Kind}:{HtmlReader.Collapse(block.Text).ToLowerInvariant()}";
}
