using System.Text;
using Skybridge.Core.Ledger;

namespace Skybridge.Core.Grounding;

/// <summary>
/// Text as citations compare it: Unicode NFKC (so "ﬁ" and "fi", full-width and ASCII digits, non-breaking and plain
/// spaces agree), typographic quotes and dashes folded to ASCII, and every run of whitespace made one space. Each
/// character of the normalised text remembers where it came from, so a match can be shown in the original.
/// </summary>
public sealed class NormalizedText
{
    private NormalizedText(string text, int[] origins, int[] ends, int originalLength)
    {
        Text = text;
        _origins = origins;
        _ends = ends;
        OriginalLength = originalLength;
    }

    // For each normalised character, the original span it came from.
    private readonly int[] _origins;
    private readonly int[] _ends;

    /// <summary>The normalised text.</summary>
    public string Text { get; }

    /// <summary>Length of the text it was made from.</summary>
    public int OriginalLength { get; }

    /// <summary>Normalises <paramref name="original"/>.</summary>
    public static NormalizedText Of(string original)
    {
        ArgumentNullException.ThrowIfNull(original);
        var text = new StringBuilder(original.Length);
        var origins = new List<int>(original.Length);
        var ends = new List<int>(original.Length);
        var pendingSpace = -1;
        var index = 0;
        foreach (var rune in original.EnumerateRunes())
        {
            var at = index;
            index += rune.Utf16SequenceLength;
            var folded = Fold(rune);
            if (folded.Length == 1 && char.IsWhiteSpace(folded[0]))
            {
                if (pendingSpace < 0)
                {
                    pendingSpace = at;
                }

                continue;
            }

            if (pendingSpace >= 0)
            {
                if (text.Length > 0)
                {
                    text.Append(' ');
                    origins.Add(pendingSpace);
                    ends.Add(at);
                }

                pendingSpace = -1;
            }

            foreach (var c in folded)
            {
                text.Append(c);
                origins.Add(at);
                ends.Add(index);
            }
        }

        return new NormalizedText(text.ToString(), [.. origins], [.. ends], original.Length);
    }

    private static string Fold(Rune rune)
    {
        switch (rune.Value)
        {
            case 0x2018 or 0x2019 or 0x201A or 0x201B or 0x2032: return "'";
            case 0x201C or 0x201D or 0x201E or 0x201F or 0x2033: return "\"";
            case 0x2010 or 0x2011 or 0x2012 or 0x2013 or 0x2014 or 0x2015 or 0x2212: return "-";
            case 0x2026: return "...";
            case 0x00AD or 0x200B or 0x200C or 0x200D or 0xFEFF: return ""; // soft hyphen, zero-width characters
        }

        var text = rune.ToString();
        return text.IsNormalized(NormalizationForm.FormKC) ? text : text.Normalize(NormalizationForm.FormKC);
    }

    /// <summary>Where normalised position <paramref name="index"/> starts in the original.</summary>
    public int OriginalOffset(int index) => index >= _origins.Length ? OriginalLength : _origins[index];

    /// <summary>The original span [start, end) that normalised span [<paramref name="start"/>, <paramref name="end"/>) came from.</summary>
    public (int Start, int End) OriginalSpan(int start, int end) =>
        end <= start ? (OriginalOffset(start), OriginalOffset(start)) : (OriginalOffset(start), _ends[end - 1]);

    /// <summary>The first normalised position whose original offset is at or after <paramref name="originalOffset"/>.</summary>
    public int NormalizedOffset(int originalOffset)
    {
        var found = Array.BinarySearch(_origins, originalOffset);
        if (found >= 0)
        {
            while (found > 0 && _origins[found - 1] == originalOffset)
            {
                found--;
            }

            return found;
        }

        return ~found;
    }
}

/// <summary>Hashes that name a document version: what a citation points at.</summary>
public static class DocumentVersion
{
    /// <summary>Lower-case hex SHA-256 of the document's text as UTF-8: changes with any edit, so a citation stays checkable.</summary>
    public static string Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TextDigest.Sha256(text);
    }
}
