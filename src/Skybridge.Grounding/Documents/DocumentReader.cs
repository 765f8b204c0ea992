using System.Text;
using Skybridge.Core.Grounding;
using Skybridge.Core.Ledger;
using Skybridge.Core.Manifests;
using YamlDotNet.RepresentationModel;

namespace Skybridge.Grounding.Documents;

/// <summary>
/// Reads the files of a declared source into <see cref="SourceDocument"/>s. Only the declared folder is read (no
/// path or link leads out of it), only the declared formats, and every file that cannot be used is listed with its
/// reason (binary, not UTF-8, empty, too large) while reading goes on.
/// </summary>
public static class DocumentReader
{
    /// <summary>Files larger than this are skipped: a help-centre page is not a data dump.</summary>
    public const long MaxFileBytes = 2 * 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly Dictionary<string, string> FormatOf = new(StringComparer.OrdinalIgnoreCase)
    {
        [".md"] = "markdown", [".markdown"] = "markdown", [".html"] = "html", [".htm"] = "html", [".txt"] = "text",
    };

    /// <summary>Reads every file of <paramref name="source"/> under <paramref name="folder"/>.</summary>
    public static IngestionReport ReadSource(DataSource source, string folder)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(folder);
        var root = Path.GetFullPath(folder);
        var documents = new List<SourceDocument>();
        var skipped = new List<SkippedFile>();
        var read = new List<Parsed>();
        if (!Directory.Exists(root))
        {
            skipped.Add(new SkippedFile(".", $"the source folder {root} does not exist"));
            return new IngestionReport(documents, skipped);
        }

        var formats = source.Formats.Count == 0 ? FormatOf.Values.ToHashSet() : source.Formats.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (file, folderLink) in SourceEntries(root, FileAttributes.Hidden | FileAttributes.System))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            // A name with a line break or another control character would be a path no citation, report or log line can
            // show as it is: "evil\nskipped docs/ok.md: ..." prints as two lines, the second forged. It is not read, and
            // its name is listed with the characters escaped.
            if (relative.Any(char.IsControl))
            {
                skipped.Add(new SkippedFile(Escaped(relative), "a file name with a control character (a line break, a tab...): rename the file to read it"));
                continue;
            }

            if (folderLink)
            {
                skipped.Add(new SkippedFile(relative, "a link to a folder, not followed: the files under it are read where they are if they are in the source folder, never through the link"));
                continue;
            }

            if (relative.Equals("README.md", StringComparison.OrdinalIgnoreCase))
            {
                continue; // the folder's own description, not an article
            }

            var info = new FileInfo(file);
            // Links are followed only when they stay inside the source: the boundary is the folder, not the link.
            if (info.LinkTarget is not null && !(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "").StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                skipped.Add(new SkippedFile(relative, "a link to outside the source folder"));
                continue;
            }

            if (Path.GetExtension(file).Equals(".pdf", StringComparison.OrdinalIgnoreCase) && formats.Contains("pdf"))
            {
                skipped.Add(new SkippedFile(relative, "PDF text extraction is not available yet; publish the page as Markdown, HTML or text"));
                continue;
            }

            if (!FormatOf.TryGetValue(Path.GetExtension(file), out var format) || !formats.Contains(format))
            {
                skipped.Add(new SkippedFile(relative, $"format not declared for source '{source.Name}' (declared: {string.Join(", ", formats.Order())})"));
                continue;
            }

            var (parsed, reason) = Parse(relative, format, info);
            if (parsed is null)
            {
                skipped.Add(new SkippedFile(relative, reason!));
            }
            else
            {
                read.Add(parsed);
            }
        }

        // Second pass: what most of the source's HTML pages repeat is site chrome, not any page's content; so is
        // what most pages of one folder repeat (a section's own banner: "SQLite C Interface" on every c3ref page).
        var html = read.Where(p => p.Page is not null).ToList();
        var chrome = SiteChrome.Find(html.Select(p => p.Page!).ToList());
        var sectionChrome = html.GroupBy(p => Folder(p.Path), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => SiteChrome.Find(g.Select(p => p.Page!).ToList()), StringComparer.Ordinal);
        foreach (var parsed in read)
        {
            var pageChrome = sectionChrome.TryGetValue(Folder(parsed.Path), out var section) && section.Count > 0 ? [.. chrome, .. section] : chrome;
            var (document, reason, onPurpose) = Document(source, parsed, pageChrome);
            if (document is null)
            {
                skipped.Add(new SkippedFile(parsed.Path, reason!, onPurpose));
            }
            else
            {
                documents.Add(document);
            }
        }

        return new IngestionReport(documents, skipped);
    }

    /// <summary>
    /// The files under <paramref name="root"/> as the reader (and the index cache's key) sees them, in ordinal order:
    /// entries with an attribute in <paramref name="skip"/> are left out, and a link to a folder is listed (as a folder
    /// link) but never followed. Followed, a link to a folder outside the source would let its files in past the
    /// declared boundary, and a link to a folder above it would read the source again and again, once per level, until
    /// the path grows too long.
    /// </summary>
    public static IReadOnlyList<(string Path, bool FolderLink)> SourceEntries(string root, FileAttributes skip)
    {
        ArgumentNullException.ThrowIfNull(root);
        var entries = new System.IO.Enumeration.FileSystemEnumerable<(string, bool)>(
            root,
            (ref System.IO.Enumeration.FileSystemEntry entry) => (entry.ToFullPath(), entry.IsDirectory),
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = skip })
        {
            ShouldIncludePredicate = (ref System.IO.Enumeration.FileSystemEntry entry) => !entry.IsDirectory || IsLink(ref entry),
            ShouldRecursePredicate = (ref System.IO.Enumeration.FileSystemEntry entry) => !IsLink(ref entry),
        };
        return [.. entries.OrderBy(e => e.Item1, StringComparer.Ordinal)];

        static bool IsLink(ref System.IO.Enumeration.FileSystemEntry entry) => (entry.Attributes & FileAttributes.ReparsePoint) != 0;
    }

    /// <summary>
    /// A page whose text, after its chrome, is at least this share link text is a link list (an index, a keyword
    /// cross-reference, a site map): it names every topic and states none, so it would match almost any question.
    /// </summary>
    public const double LinkListShare = 0.7;

    /// <summary>Link lists shorter than this are left in: a short "see also" page does no harm.</summary>
    public const int LinkListMinChars = 400;

    /// <summary>A list entry this short with a link in it is an index entry, not a statement (table rows are data: a release table links each version and still states its date).</summary>
    public const int LinkEntryMaxChars = 120;

    /// <summary>An index has many entries; a page with a short list of related links is not one.</summary>
    public const int LinkEntriesMin = 50;

    /// <summary>A path with each control character written as an escape (<c>\n</c>, <c>\t</c>, <c>\u0001</c>).</summary>
    internal static string Escaped(string path) => string.Concat(path.Select(c => c switch
    {
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        _ when char.IsControl(c) => $"\\u{(int)c:x4}",
        _ => c.ToString(),
    }));

    private static string Folder(string relative) => relative.LastIndexOf('/') is var slash and >= 0 ? relative[..slash] : "";

    private static (SourceDocument? Document, string? Reason, bool LeftOutOnPurpose) Document(DataSource source, Parsed parsed, HashSet<string> chrome)
    {
        var text = parsed.Text;
        if (parsed.Page is { } page)
        {
            var own = page.Blocks.Where(b => !SiteChrome.IsChrome(chrome, b)).ToList();
            if (own.Count == 0 && page.Blocks.Count > 0)
            {
                return (null, "nothing but site chrome: every block of it is repeated on most pages of the source", true);
            }

            var share = HtmlReader.LinkShare(own);
            var total = own.Sum(b => b.Text.Length);
            if (share >= LinkListShare && total >= LinkListMinChars)
            {
                return (null, $"a link list (an index, cross-reference or site map: {HtmlReader.Percent(share)} of its text is link text), left out of retrieval", true);
            }

            // An index whose entries name a topic and then link to it ("VACUUM - lang_vacuum.html") has as much plain
            // text as link text; what gives it away is that nearly all of it is short linked entries.
            var entries = own.Where(b => b.Kind == BlockKind.ListItem && b.LinkChars > 0 && b.Text.Length <= LinkEntryMaxChars).ToList();
            var entryShare = total == 0 ? 0 : entries.Sum(b => b.Text.Length) / (double)total;
            if (entries.Count >= LinkEntriesMin && entryShare >= LinkListShare && total >= LinkListMinChars)
            {
                return (null, $"a link list (an index, cross-reference or site map: {HtmlReader.Percent(entryShare)} of its text is {entries.Count} short linked entries), left out of retrieval", true);
            }

            text = HtmlReader.Render(own);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, "empty: no text after its metadata", false);
        }

        var relative = parsed.Path;
        var meta = parsed.Meta;
        var id = meta.GetValueOrDefault("id") is { Length: > 0 } given ? given : Path.GetFileNameWithoutExtension(relative);
        return (new SourceDocument
        {
            Source = source.Name,
            Path = relative,
            Version = DocumentVersion.Of(text),
            Title = meta.GetValueOrDefault("title") is { Length: > 0 } title ? title : relative,
            Text = text,
            Id = id,
            Status = meta.GetValueOrDefault("status") is { Length: > 0 } status ? status : "current",
            SupersededBy = meta.GetValueOrDefault("superseded_by") is { Length: > 0 } s && s != "null" ? s : null,
            Contradicts = (meta.GetValueOrDefault("contradicts") ?? "").Split([',', ' ', '[', ']'], StringSplitOptions.RemoveEmptyEntries),
            Classification = source.Classification.ToString().ToLowerInvariant(),
        }, null, false);
    }

    private static (Parsed?, string?) Parse(string relative, string format, FileInfo info)
    {
        if (info.Length > MaxFileBytes)
        {
            return (null, $"larger than {MaxFileBytes / (1024 * 1024)} MB ({info.Length / (1024 * 1024.0):0.0} MB)");
        }

        if (info.Length == 0)
        {
            return (null, "empty: the file has no bytes");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(info.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, "cannot be read: " + ex.Message);
        }

        if (bytes.AsSpan().IndexOf((byte)0) >= 0)
        {
            return (null, "binary content (NUL bytes), not text");
        }

        if (ControlShare(bytes) > 0.01)
        {
            return (null, "binary content (control bytes), not text");
        }

        var (raw, decodeError) = Decode(bytes, format);
        if (raw is null)
        {
            return (null, decodeError);
        }

        Parsed parsed;
        switch (format)
        {
            case "markdown":
                parsed = Markdown(raw) with { Path = relative };
                break;
            case "html":
                HtmlPage? page;
                string? reason;
                try
                {
                    (page, reason) = HtmlReader.Read(raw);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // The parser is a library reading untrusted bytes: whatever it trips on skips this page, not the source.
                    return (null, $"could not be read as HTML ({ex.GetType().Name})");
                }

                if (page is null)
                {
                    return (null, reason);
                }

                parsed = new Parsed("", page.Meta) { Path = relative, Page = page };
                break;
            default:
                parsed = PlainText(raw) with { Path = relative };
                break;
        }

        return string.IsNullOrWhiteSpace(parsed.Text) && (parsed.Page is null || parsed.Page.Blocks.Count == 0)
            ? (null, "empty: no text after its metadata")
            : (parsed, null);
    }

    /// <summary>Share of control bytes (other than tab, line feed, form feed, carriage return and escape) in the first 8 KB.</summary>
    private static double ControlShare(byte[] bytes)
    {
        var head = bytes.AsSpan(0, Math.Min(bytes.Length, 8192));
        var control = 0;
        foreach (var b in head)
        {
            if (b < 0x20 && b is not (0x09 or 0x0A or 0x0C or 0x0D or 0x1B))
            {
                control++;
            }
        }

        return head.Length == 0 ? 0 : control / (double)head.Length;
    }

    /// <summary>
    /// UTF-8 (a byte-order mark is dropped), strictly: a page with an invalid byte is skipped, not read with
    /// replacement characters that would end up quoted. An HTML page that declares another charset in a meta tag
    /// is read in that charset; one that declares UTF-8 but is not (a page pasted together from two encodings) is skipped.
    /// </summary>
    private static (string?, string?) Decode(byte[] bytes, string format)
    {
        var body = bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }) ? bytes.AsSpan(3) : bytes.AsSpan();
        if (format == "html" && DeclaredCharset(body) is { } declared && !declared.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !declared.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                // windows-1252 and the other legacy code pages come from the framework's code-page provider.
                var encoding = CodePagesEncodingProvider.Instance.GetEncoding(declared, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)
                    ?? Encoding.GetEncoding(declared, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
                return (encoding.GetString(body), null);
            }
            catch (DecoderFallbackException ex)
            {
                return (null, $"not {declared} text as it declares (invalid byte at offset {ex.Index})");
            }
            catch (ArgumentException)
            {
                return (null, $"declares the charset '{declared}', which this server cannot read");
            }
        }

        try
        {
            return (StrictUtf8.GetString(body), null);
        }
        catch (DecoderFallbackException ex)
        {
            return (null, $"not UTF-8 text (invalid byte at offset {ex.Index}): mixed or undeclared encoding");
        }
    }

    /// <summary>The charset an HTML page declares in its first 1 KB (<c>&lt;meta charset&gt;</c> or <c>http-equiv</c>), or null.</summary>
    private static string? DeclaredCharset(ReadOnlySpan<byte> body)
    {
        var head = Encoding.ASCII.GetString(body[..Math.Min(body.Length, 1024)]);
        var match = System.Text.RegularExpressions.Regex.Match(head, @"<meta[^>]+charset\s*=\s*[""']?([A-Za-z0-9_\-:.]+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        return match.Success ? match.Groups[1].Value : null;
    }

    private sealed record Parsed(string Text, Dictionary<string, string> Meta)
    {
        public string Path { get; init; } = "";

        /// <summary>An HTML page's blocks: its text is rendered after the source's chrome pass.</summary>
        public HtmlPage? Page { get; init; }
    }

    /// <summary>YAML front matter between <c>---</c> lines becomes metadata; the rest is the text.</summary>
    private static Parsed Markdown(string raw)
    {
        var meta = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!raw.StartsWith("---", StringComparison.Ordinal))
        {
            return new Parsed(raw.Trim(), meta);
        }

        var close = raw.IndexOf("\n---", 3, StringComparison.Ordinal);
        if (close < 0)
        {
            return new Parsed(raw.Trim(), meta);
        }

        try
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(raw[3..close]));
            if (yaml.Documents.Count > 0 && yaml.Documents[0].RootNode is YamlMappingNode map)
            {
                foreach (var (key, value) in map.Children)
                {
                    meta[key.ToString()] = value switch
                    {
                        YamlSequenceNode list => string.Join(",", list.Children.Select(c => c.ToString())),
                        _ => value.ToString(),
                    };
                }
            }
        }
        catch (YamlDotNet.Core.YamlException)
        {
            // Front matter that is not YAML is kept as text: nothing is lost, and the page is still found.
            return new Parsed(raw.Trim(), meta);
        }

        var bodyStart = raw.IndexOf('\n', close + 1);
        return new Parsed(bodyStart < 0 ? "" : raw[(bodyStart + 1)..].Trim(), meta);
    }

    /// <summary>Leading <c>Key: value</c> lines up to the first blank line are metadata when they look like it.</summary>
    private static Parsed PlainText(string raw)
    {
        var meta = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var lines = raw.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var i = 0;
        for (; i < lines.Length && lines[i].Length > 0; i++)
        {
            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon > 20 || !lines[i][..colon].All(c => char.IsAsciiLetter(c) || c == '_' || c == '-'))
            {
                return new Parsed(raw.Trim(), new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase));
            }

            meta[lines[i][..colon].Trim().Replace('-', '_')] = lines[i][(colon + 1)..].Trim();
        }

        return new Parsed(string.Join("\n", lines.Skip(i)).Trim(), meta);
    }

    /// <summary>A stable id for a passage: document path, version and span.</summary>
    public static string PassageId(SourceDocument document, TextSpan span)
    {
        ArgumentNullException.ThrowIfNull(document);
        return TextDigest.Sha256($"{document.Source}/{document.Path}@{document.Version}:{span.Start}-{span.End}")[..24];
    }
}
