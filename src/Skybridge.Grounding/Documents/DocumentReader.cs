using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
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
        if (!Directory.Exists(root))
        {
            skipped.Add(new SkippedFile(".", $"the source folder {root} does not exist"));
            return new IngestionReport(documents, skipped);
        }

        var formats = source.Formats.Count == 0 ? FormatOf.Values.ToHashSet() : source.Formats.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System }).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
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

            var (document, reason) = Read(source, relative, format, info);
            if (document is null)
            {
                skipped.Add(new SkippedFile(relative, reason!));
            }
            else
            {
                documents.Add(document);
            }
        }

        return new IngestionReport(documents, skipped);
    }

    private static (SourceDocument?, string?) Read(DataSource source, string relative, string format, FileInfo info)
    {
        if (info.Length > MaxFileBytes)
        {
            return (null, $"larger than {MaxFileBytes / (1024 * 1024)} MB ({info.Length / (1024 * 1024.0):0.0} MB)");
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

        string raw;
        try
        {
            raw = StrictUtf8.GetString(bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }) ? bytes.AsSpan(3) : bytes);
        }
        catch (DecoderFallbackException ex)
        {
            return (null, $"not UTF-8 text (invalid byte at offset {ex.Index})");
        }

        var parsed = format switch
        {
            "markdown" => Markdown(raw),
            "html" => Html(raw),
            _ => PlainText(raw),
        };
        if (string.IsNullOrWhiteSpace(parsed.Text))
        {
            return (null, "empty: no text after its metadata");
        }

        var id = parsed.Meta.GetValueOrDefault("id") is { Length: > 0 } given ? given : Path.GetFileNameWithoutExtension(relative);
        return (new SourceDocument
        {
            Source = source.Name,
            Path = relative,
            Version = DocumentVersion.Of(parsed.Text),
            Title = parsed.Meta.GetValueOrDefault("title") is { Length: > 0 } title ? title : relative,
            Text = parsed.Text,
            Id = id,
            Status = parsed.Meta.GetValueOrDefault("status") is { Length: > 0 } status ? status : "current",
            SupersededBy = parsed.Meta.GetValueOrDefault("superseded_by") is { Length: > 0 } s && s != "null" ? s : null,
            Contradicts = (parsed.Meta.GetValueOrDefault("contradicts") ?? "").Split([',', ' ', '[', ']'], StringSplitOptions.RemoveEmptyEntries),
            Classification = source.Classification.ToString().ToLowerInvariant(),
        }, null);
    }

    private sealed record Parsed(string Text, Dictionary<string, string> Meta);

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

    /// <summary>HTML through AngleSharp: the title and <c>skybridge:*</c> meta tags, and the body as text with blocks on their own lines.</summary>
    private static Parsed Html(string raw)
    {
        var document = new HtmlParser().ParseDocument(raw);
        var meta = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var tag in document.QuerySelectorAll("meta[name^='skybridge:']"))
        {
            meta[tag.GetAttribute("name")!["skybridge:".Length..]] = tag.GetAttribute("content") ?? "";
        }

        if (!meta.ContainsKey("title") && document.Title is { Length: > 0 } title)
        {
            meta["title"] = title.Trim();
        }

        var text = new StringBuilder();
        if (document.Body is not null)
        {
            AppendText(document.Body, text);
        }

        var lines = text.ToString().Split('\n').Select(l => string.Join(' ', l.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries)));
        var joined = string.Join("\n", lines);
        while (joined.Contains("\n\n\n", StringComparison.Ordinal))
        {
            joined = joined.Replace("\n\n\n", "\n\n", StringComparison.Ordinal);
        }

        return new Parsed(joined.Trim(), meta);
    }

    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "section", "article", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "br", "header", "footer", "blockquote", "pre", "dd", "dt",
    };

    private static void AppendText(INode node, StringBuilder text)
    {
        foreach (var child in node.ChildNodes)
        {
            if (child is IElement element)
            {
                if (element.LocalName is "script" or "style" or "nav" or "template")
                {
                    continue;
                }

                var block = Blocks.Contains(element.LocalName);
                if (block)
                {
                    text.Append('\n');
                }

                if (element.LocalName is "h1" or "h2" or "h3" or "h4")
                {
                    text.Append('#', element.LocalName[1] - '0').Append(' ');
                }

                AppendText(element, text);
                if (block)
                {
                    text.Append('\n');
                    if (element.LocalName is "p" or "h1" or "h2" or "h3" or "h4" or "ul" or "ol" or "table" or "blockquote")
                    {
                        text.Append('\n');
                    }
                }
            }
            else if (child.NodeType == NodeType.Text)
            {
                text.Append(child.TextContent);
            }
        }
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
