using System.Globalization;
using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Skybridge.Grounding.Documents;

/// <summary>What a block of a page is: it decides how the block is written into the document's text.</summary>
internal enum BlockKind
{
    Paragraph,
    Heading,
    ListItem,
    TableRow,
    Preformatted,
}

/// <summary>
/// One block of a page as a reader sees it: a paragraph, a heading, a list item, a table row read with its header, a
/// preformatted block. <paramref name="Group"/> ties the items of one list (or the rows of one table) together, so
/// they are written on consecutive lines; 0 stands alone. <paramref name="LinkChars"/> counts the characters that
/// were link text, for telling link-list pages from prose.
/// </summary>
internal sealed record HtmlBlock(BlockKind Kind, string Text, int Level, int Group, int LinkChars);

/// <summary>An HTML page read into blocks, before the per-source chrome pass decides which blocks are the page's own.</summary>
internal sealed record HtmlPage(IReadOnlyList<HtmlBlock> Blocks, Dictionary<string, string> Meta);

/// <summary>
/// Reads an HTML page as a person reads it: the visible body text in blocks, without navigation, hidden elements,
/// scripts, diagrams or form controls; superscripts and subscripts keep their meaning (<c>2&lt;sup&gt;31&lt;/sup&gt;</c>
/// reads "2^31"); table rows carry their column headers; list items are their own lines.
/// </summary>
internal static class HtmlReader
{
    /// <summary>Pages nested deeper than this are not read: no documentation page needs it, and it bounds the walk.</summary>
    public const int MaxDepth = 256;

    // Never read: machinery, not text. svg and math are diagrams and formulas whose text nodes are labels, not
    // sentences; button, select and form controls are toggles ("hide", "show") and search boxes.
    private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "noscript", "template", "svg", "math", "canvas", "button", "select", "option", "input", "textarea",
        "form", "nav", "header", "footer", "aside", "iframe", "object", "embed", "audio", "video", "map", "head", "dialog",
    };

    private static readonly HashSet<string> BlockElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "section", "article", "main", "ul", "ol", "dl", "li", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "blockquote", "pre", "figure", "figcaption",
        "address", "hr", "center", "details", "summary", "fieldset", "body", "header", "footer",
    };

    /// <summary>Reads <paramref name="raw"/>; null with a reason when the page cannot be read.</summary>
    public static (HtmlPage? Page, string? Reason) Read(string raw)
    {
        var document = new HtmlParser().ParseDocument(raw);
        var meta = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var tag in document.QuerySelectorAll("meta[name^='skybridge:']"))
        {
            meta[tag.GetAttribute("name")!["skybridge:".Length..]] = tag.GetAttribute("content") ?? "";
        }

        if (!meta.ContainsKey("title") && document.Title is { Length: > 0 } title)
        {
            meta["title"] = Collapse(title);
        }

        var walker = new Walker();
        if (document.Body is not null && !walker.Walk(document.Body, 0))
        {
            return (null, $"nested deeper than {MaxDepth} elements: not a page a person reads");
        }

        walker.Flush();
        return (new HtmlPage(walker.Blocks, meta), null);
    }

    /// <summary>True for elements a browser does not show, and for ARIA navigation landmarks.</summary>
    private static bool IsHidden(IElement element)
    {
        if (element.HasAttribute("hidden") || string.Equals(element.GetAttribute("aria-hidden"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var role = element.GetAttribute("role");
        if (role is not null && (role.Equals("navigation", StringComparison.OrdinalIgnoreCase) || role.Equals("banner", StringComparison.OrdinalIgnoreCase)
            || role.Equals("contentinfo", StringComparison.OrdinalIgnoreCase) || role.Equals("search", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        var style = element.GetAttribute("style");
        return style is not null && (Squeeze(style).Contains("display:none", StringComparison.OrdinalIgnoreCase) || Squeeze(style).Contains("visibility:hidden", StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsScriptControl(IElement element) =>
        element.GetAttribute("href") is not { } href
            ? element.HasAttribute("onclick")
            : href.TrimStart().StartsWith("javascript:", StringComparison.OrdinalIgnoreCase);

    private static string Squeeze(string s) => s.Replace(" ", "", StringComparison.Ordinal);

    /// <summary>Collapses runs of whitespace to one space and trims.</summary>
    internal static string Collapse(string s) => string.Join(' ', s.Split([' ', '\t', '\r', '\n', '\f', '\u00a0'], StringSplitOptions.RemoveEmptyEntries));

    private sealed class Walker
    {
        private readonly StringBuilder _text = new();
        private int _linkChars;
        private int _anchorChars;
        private int _group;
        private int _nextGroup;
        private BlockKind _kind = BlockKind.Paragraph;
        private int _level;

        public List<HtmlBlock> Blocks { get; } = [];

        /// <summary>Ends the current block; an empty block leaves nothing.</summary>
        public void Flush()
        {
            var text = _kind == BlockKind.Preformatted ? TrimLines(_text.ToString()) : Lines(_text.ToString());
            // A block that is nothing but links to places on the same page is in-page navigation (a table of
            // contents): the headings it points to are read where they are.
            if (text.Length > 0 && _anchorChars < Collapse(text).Length)
            {
                Blocks.Add(new HtmlBlock(_kind, text, _level, _kind is BlockKind.ListItem or BlockKind.TableRow or BlockKind.Preformatted ? _group : 0, Math.Min(_linkChars, text.Length)));
            }

            _text.Clear();
            _linkChars = 0;
            _anchorChars = 0;
            _kind = BlockKind.Paragraph;
            _level = 0;
        }

        /// <summary>
        /// A short label ending in a colon ("vacuum-stmt:", "The syntax is:") right before a diagram that is not
        /// read introduces nothing any more: it goes with its diagram.
        /// </summary>
        private void DropDanglingLabel()
        {
            if (Collapse(_text.ToString()).Length == 0 && Blocks.Count > 0 && Blocks[^1] is { Kind: BlockKind.Paragraph } last
                && last.Text.EndsWith(':') && last.Text.Length <= 80)
            {
                Blocks.RemoveAt(Blocks.Count - 1);
            }
        }

        /// <summary>
        /// A header or footer inside an article or section belongs to it (its title, its notes); only the page's own
        /// header and footer are site chrome (the HTML standard's banner and contentinfo rule).
        /// </summary>
        private static bool IsSectionHeading(IElement element) =>
            element.LocalName is "header" or "footer" && element.ParentElement?.Closest("article, main, section") is not null;

        /// <summary>Whitespace collapsed within lines; line breaks (from <c>br</c>) kept; blank lines dropped.</summary>
        private static string Lines(string s) => string.Join("\n", s.Split('\n').Select(Collapse).Where(l => l.Length > 0));

        private static string TrimLines(string s) => string.Join("\n", s.Split('\n').Select(l => l.TrimEnd()).SkipWhile(l => l.Length == 0).Reverse().SkipWhile(l => l.Length == 0).Reverse());

        public bool Walk(INode node, int depth)
        {
            if (depth > MaxDepth)
            {
                return false;
            }

            foreach (var child in node.ChildNodes)
            {
                if (child.NodeType == NodeType.Text)
                {
                    _text.Append(_kind == BlockKind.Preformatted ? child.TextContent : child.TextContent.Replace('\n', ' '));
                    continue;
                }

                if (child is not IElement element || IsHidden(element))
                {
                    continue;
                }

                if (Skipped.Contains(element.LocalName) && !IsSectionHeading(element))
                {
                    if (element.LocalName is "svg" or "canvas")
                    {
                        DropDanglingLabel();
                    }

                    continue;
                }

                if (!Element(element, depth))
                {
                    return false;
                }
            }

            return true;
        }

        private bool Element(IElement element, int depth)
        {
            switch (element.LocalName)
            {
                case "br":
                    _text.Append('\n');
                    return true;
                case "img":
                    // Alt text counts only when it reads as text (a few words), not a file name or "logo".
                    if (element.GetAttribute("alt") is { } alt && Collapse(alt).Split(' ').Length >= 4 && !alt.Contains('.', StringComparison.Ordinal))
                    {
                        _text.Append(' ').Append(Collapse(alt)).Append(' ');
                    }

                    return true;
                case "sup" or "sub":
                    return Script(element);
                case "a" when IsScriptControl(element):
                    // A link that only runs script ("► Table Of Contents", "Menu") is a control, not text.
                    return true;
                case "a" when element.GetAttribute("href") is { } href:
                    var before = _text.Length;
                    var ok = Walk(element, depth + 1);
                    var linked = before <= _text.Length ? Collapse(_text.ToString(before, _text.Length - before)).Length : 0;
                    _linkChars += linked;
                    if (href.StartsWith('#'))
                    {
                        _anchorChars += linked + 1;
                    }

                    return ok;
                case "table":
                    return Table(element, depth);
                case "pre":
                    Flush();
                    _kind = BlockKind.Preformatted;
                    _group = ++_nextGroup;
                    var pre = Walk(element, depth + 1);
                    Flush();
                    return pre;
                case "ul" or "ol" or "dl":
                    return List(element, depth);
                case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                    Flush();
                    _kind = BlockKind.Heading;
                    _level = element.LocalName[1] - '0';
                    var heading = Walk(element, depth + 1);
                    Flush();
                    return heading;
            }

            if (!BlockElements.Contains(element.LocalName))
            {
                return Walk(element, depth + 1);
            }

            // A block inside a list item keeps the item's kind: the item is one unit.
            var (kind, group, level) = (_kind, _group, _level);
            var inItem = kind is BlockKind.ListItem or BlockKind.TableRow;
            if (!inItem)
            {
                Flush();
            }
            else
            {
                // A block inside a list item ends the sentence before it: the item goes on, on its next line.
                _text.Append('\n');
            }

            var result = Walk(element, depth + 1);
            if (!inItem)
            {
                Flush();
            }
            else
            {
                _text.Append('\n');
                (_kind, _group, _level) = (kind, group, level);
            }

            return result;
        }

        /// <summary>
        /// Superscripts and subscripts keep their meaning: 2^31, x_i. A footnote mark (a superscript that is a link)
        /// is left out: it points elsewhere and says nothing itself.
        /// </summary>
        private bool Script(IElement element)
        {
            if (element.QuerySelector("a[href]") is not null)
            {
                return true;
            }

            var inner = Collapse(element.TextContent);
            if (inner.Length == 0)
            {
                return true;
            }

            var mark = element.LocalName == "sup" ? '^' : '_';
            _text.Append(mark).Append(inner.Contains(' ', StringComparison.Ordinal) ? $"({inner})" : inner);
            return true;
        }

        private bool List(IElement list, int depth)
        {
            var outer = (_kind, _group, _level);
            Flush();
            var group = ++_nextGroup;
            foreach (var child in list.ChildNodes)
            {
                if (child is IElement item && !Skipped.Contains(item.LocalName) && !IsHidden(item) && item.LocalName is "li" or "dt" or "dd")
                {
                    Flush();
                    _kind = BlockKind.ListItem;
                    _group = group;
                    if (!Walk(item, depth + 2))
                    {
                        return false;
                    }

                    Flush();
                }
                else if (child is IElement other && !Skipped.Contains(other.LocalName) && !IsHidden(other))
                {
                    _kind = BlockKind.ListItem;
                    _group = group;
                    if (!Element(other, depth + 1))
                    {
                        return false;
                    }
                }
                else if (child.NodeType == NodeType.Text && Collapse(child.TextContent).Length > 0)
                {
                    _kind = BlockKind.ListItem;
                    _group = group;
                    _text.Append(child.TextContent);
                }
            }

            Flush();
            (_kind, _group, _level) = outer;
            return true;
        }

        /// <summary>
        /// A data table is read row by row, each cell with its column header ("Limit: 2147483647; Default: 10"), so a
        /// row quoted alone still says what its cells are. A table used for layout (cells holding blocks or tables)
        /// is read as the blocks it holds.
        /// </summary>
        private bool Table(IElement table, int depth)
        {
            Flush();
            var rows = table.QuerySelectorAll("tr").Where(r => r.Closest("table") == table).ToList();
            var layout = rows.Count == 0 || table.QuerySelector("table, p, div, ul, ol, pre, h1, h2, h3, h4, h5, h6") is not null
                || rows.All(r => Cells(r).Count <= 1);
            if (layout)
            {
                foreach (var caption in table.Children.Where(c => c.LocalName == "caption"))
                {
                    if (!Element(caption, depth + 1))
                    {
                        return false;
                    }
                }

                foreach (var row in rows)
                {
                    foreach (var cell in Cells(row))
                    {
                        Flush();
                        if (!Walk(cell, depth + 3))
                        {
                            return false;
                        }

                        Flush();
                    }
                }

                return true;
            }

            var caption2 = table.Children.FirstOrDefault(c => c.LocalName == "caption");
            if (caption2 is not null)
            {
                _text.Append(caption2.TextContent);
                Flush();
            }

            // Leading rows of header cells (or a thead) name the columns; a header spanning columns names each of
            // them, and two header rows combine ("Double-Quoted Strings Allowed In DDL").
            var header = new List<string>();
            var spanned = new Dictionary<int, (string Text, int Rows)>();
            var headerRows = 0;
            while (headerRows < rows.Count && Cells(rows[headerRows]) is { Count: > 0 } hc
                && (rows[headerRows].ParentElement?.LocalName == "thead" || hc.All(c => c.LocalName == "th")))
            {
                var column = 0;
                foreach (var cell in hc)
                {
                    while (spanned.TryGetValue(column, out var carried) && carried.Rows > 0)
                    {
                        spanned[column] = (carried.Text, carried.Rows - 1);
                        column++;
                    }

                    var text = CellText(cell);
                    for (var k = 0; k < Span(cell, "colspan"); k++, column++)
                    {
                        while (header.Count <= column)
                        {
                            header.Add("");
                        }

                        header[column] = header[column].Length == 0 || header[column] == text ? text : $"{header[column]} {text}".Trim();
                        if (Span(cell, "rowspan") > 1)
                        {
                            spanned[column] = (text, Span(cell, "rowspan") - 1);
                        }
                    }
                }

                headerRows++;
            }

            var group = ++_nextGroup;
            foreach (var row in rows.Skip(headerRows))
            {
                var cells = Cells(row);
                var parts = new List<string>();
                var links = 0;
                var column = 0;
                foreach (var cell in cells)
                {
                    var text = CellText(cell);
                    var name = column < header.Count ? header[column] : "";
                    column += Span(cell, "colspan");
                    if (text.Length == 0)
                    {
                        continue;
                    }

                    parts.Add(name.Length > 0 && !string.Equals(name, text, StringComparison.Ordinal) ? $"{name}: {text}" : text);
                    links += cell.QuerySelectorAll("a[href]").Sum(a => Collapse(a.TextContent).Length);
                }

                if (parts.Count > 0)
                {
                    Flush();
                    _kind = BlockKind.TableRow;
                    _group = group;
                    _text.Append(string.Join("; ", parts));
                    _linkChars = links;
                    Flush();
                }
            }

            return true;
        }

        private static int Span(IElement cell, string attribute) =>
            int.TryParse(cell.GetAttribute(attribute), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 100 ? n : 1;

        private static List<IElement> Cells(IElement row) => row.Children.Where(c => c.LocalName is "td" or "th" && !IsHidden(c)).ToList();

        /// <summary>A cell's visible text on one line, with superscripts kept (through a nested walk).</summary>
        private static string CellText(IElement cell)
        {
            var inner = new Walker();
            inner.Walk(cell, 0);
            inner.Flush();
            return Collapse(string.Join(" ", inner.Blocks.Select(b => b.Text)));
        }
    }

    /// <summary>Renders the kept blocks as the document's text: blocks separated by blank lines, a list's items and a table's rows on consecutive lines.</summary>
    public static string Render(IEnumerable<HtmlBlock> blocks)
    {
        var text = new StringBuilder();
        HtmlBlock? previous = null;
        foreach (var block in blocks)
        {
            if (previous is not null)
            {
                text.Append(previous.Group != 0 && previous.Group == block.Group && block.Kind != BlockKind.Preformatted ? "\n" : "\n\n");
            }

            switch (block.Kind)
            {
                case BlockKind.Heading:
                    text.Append('#', block.Level).Append(' ').Append(block.Text.Replace('\n', ' '));
                    break;
                case BlockKind.ListItem:
                    text.Append("- ").Append(block.Text.Replace("\n", "\n  ", StringComparison.Ordinal));
                    break;
                default:
                    text.Append(block.Text);
                    break;
            }

            previous = block;
        }

        return text.ToString().Trim();
    }

    /// <summary>Share of the blocks' text that is link text, 0 to 1.</summary>
    public static double LinkShare(IReadOnlyCollection<HtmlBlock> blocks)
    {
        var total = blocks.Sum(b => b.Text.Length);
        return total == 0 ? 0 : blocks.Sum(b => b.LinkChars) / (double)total;
    }

    internal static string Percent(double share) => (share * 100).ToString("0", CultureInfo.InvariantCulture) + "%";
}
