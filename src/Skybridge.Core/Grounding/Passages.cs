namespace Skybridge.Core.Grounding;

/// <summary>A span of a document version's text: what retrieval returns and what citations point into.</summary>
/// <param name="Start">UTF-16 offset of the first character.</param>
/// <param name="End">Offset after the last character.</param>
public readonly record struct TextSpan(int Start, int End)
{
    /// <summary>The span's text in <paramref name="text"/>.</summary>
    public string Of(string text) => text[Start..End];
}

/// <summary>
/// Cuts a document into passages at paragraph boundaries (blank lines, headings), keeping each passage's character
/// offsets in the document, so that a passage and anything quoted from it can be located in that version forever.
/// Long paragraphs are cut at sentence ends; short neighbours are joined up to a target size.
/// </summary>
public static class PassageSplitter
{
    /// <summary>Passages of <paramref name="text"/>, about <paramref name="targetLength"/> characters at most.</summary>
    public static IReadOnlyList<TextSpan> Split(string text, int targetLength = 700)
    {
        ArgumentNullException.ThrowIfNull(text);
        var paragraphs = Paragraphs(text).SelectMany(p => p.End - p.Start > targetLength ? Pieces(text, p, targetLength) : [p]).ToList();
        var passages = new List<TextSpan>();
        TextSpan? current = null;
        foreach (var p in paragraphs)
        {
            // A question standing alone on its line (an FAQ's "(2) What datatypes does SQLite support?") introduces
            // the paragraphs after it, as a heading does: joined to the end of the previous answer instead, the
            // question's words pointed retrieval at that answer and its own answer lost them.
            var heading = text[p.Start] == '#' || IsQuestionLine(text, p);
            if (current is { } c && !heading && p.End - c.Start <= targetLength)
            {
                current = new TextSpan(c.Start, p.End);
                continue;
            }

            if (current is { } done)
            {
                passages.Add(done);
            }

            current = p;
        }

        if (current is { } last)
        {
            passages.Add(last);
        }

        return passages;
    }

    /// <summary>
    /// A paragraph of one short line that ends with '?': a question that heads the text answering it (FAQ entries,
    /// help-centre "Can I ...?" lines). Longer paragraphs that end in a question are prose and join as before.
    /// </summary>
    internal static bool IsQuestionLine(string text, TextSpan paragraph) =>
        paragraph.End - paragraph.Start <= QuestionLineLength && text[paragraph.End - 1] == '?'
        && text.IndexOf('\n', paragraph.Start, paragraph.End - paragraph.Start) < 0;

    // Longer than any FAQ question line of the samples' pages, shorter than a paragraph of prose.
    private const int QuestionLineLength = 200;

    /// <summary>Non-blank paragraphs: runs of lines separated by blank lines; a Markdown heading line stands alone.</summary>
    private static IEnumerable<TextSpan> Paragraphs(string text)
    {
        var start = -1;
        var end = -1;
        var position = 0;
        while (position < text.Length)
        {
            var lineEnd = text.IndexOf('\n', position);
            var next = lineEnd < 0 ? text.Length : lineEnd + 1;
            var line = text.AsSpan(position, (lineEnd < 0 ? text.Length : lineEnd) - position).TrimEnd('\r');
            var trimmed = line.Trim();
            if (trimmed.IsEmpty)
            {
                if (start >= 0)
                {
                    yield return new TextSpan(start, end);
                    start = -1;
                }
            }
            else
            {
                var lineStart = position + (line.Length - line.TrimStart().Length);
                var lineStop = position + line.TrimEnd().Length;
                if (trimmed[0] == '#')
                {
                    if (start >= 0)
                    {
                        yield return new TextSpan(start, end);
                    }

                    yield return new TextSpan(lineStart, lineStop);
                    start = -1;
                }
                else
                {
                    if (start < 0)
                    {
                        start = lineStart;
                    }

                    end = lineStop;
                }
            }

            position = next;
        }

        if (start >= 0)
        {
            yield return new TextSpan(start, end);
        }
    }

    private static IEnumerable<TextSpan> Pieces(string text, TextSpan paragraph, int targetLength)
    {
        var start = paragraph.Start;
        foreach (var sentence in SentenceSplitter.Split(text, paragraph))
        {
            if (sentence.End - start > targetLength && sentence.Start > start)
            {
                yield return new TextSpan(start, Trim(text, start, sentence.Start));
                start = sentence.Start;
            }
        }

        yield return new TextSpan(start, paragraph.End);
    }

    private static int Trim(string text, int start, int end)
    {
        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        return end;
    }
}

/// <summary>Sentences of a span: cut after '.', '!' or '?' followed by whitespace, and at line breaks of lists.</summary>
public static class SentenceSplitter
{
    /// <summary>The sentences of <paramref name="span"/> in <paramref name="text"/>, trimmed, none empty.</summary>
    public static IEnumerable<TextSpan> Split(string text, TextSpan span)
    {
        ArgumentNullException.ThrowIfNull(text);
        var start = span.Start;
        for (var i = span.Start; i < span.End; i++)
        {
            var c = text[i];
            var endsSentence = (c is '.' or '!' or '?') && (i + 1 >= span.End || char.IsWhiteSpace(text[i + 1])) && !IsAbbreviation(text, start, i);
            var lineBreak = c == '\n';
            if (endsSentence || lineBreak)
            {
                var stop = endsSentence ? i + 1 : i;
                if (Trimmed(text, start, stop) is { } s)
                {
                    yield return s;
                }

                start = i + 1;
            }
        }

        if (Trimmed(text, start, span.End) is { } rest)
        {
            yield return rest;
        }
    }

    private static bool IsAbbreviation(string text, int start, int dot)
    {
        // "e.g." "i.e." "approx." "No." and decimals like "34.90": not sentence ends.
        var wordStart = dot;
        while (wordStart > start && !char.IsWhiteSpace(text[wordStart - 1]))
        {
            wordStart--;
        }

        var word = text[wordStart..dot];
        return word is "e.g" or "i.e" or "approx" or "No" or "no" or "incl" or "etc" or "Mr" or "Ms" or "Dr" or "vs" or "ca";
    }

    private static TextSpan? Trimmed(string text, int start, int end)
    {
        // List bullets, heading marks and quote marks go; bold markers ("**Note:**") stay, or the quote would end in residue.
        while (start < end && (char.IsWhiteSpace(text[start]) || (text[start] is '-' or '*' or '#' or '>' && (start + 1 >= end || char.IsWhiteSpace(text[start + 1]) || text[start + 1] is '#' or '>'))))
        {
            start++;
        }

        while (end > start && char.IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        return end - start >= 3 ? new TextSpan(start, end) : null;
    }
}
