using System.Text;
using Skybridge.Core.Grounding;
using Skybridge.Grounding.Documents;

namespace Skybridge.Grounding.Tests;

/// <summary>HTML documentation read as a person reads it: without the site around it, with its numbers and tables intact.</summary>
public sealed class HtmlReadingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("skybridge-html-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string Menu = """
        <div class="tagline">Small. Fast. Reliable.<br>Choose any three.</div>
        <div class="menu"><ul><li><a href="index.html">Home</a><li><a href="about.html">About</a><li><a href="download.html">Download</a></ul></div>
        """;

    private static string Page(string title, string body, string chrome = Menu) =>
        $"<!DOCTYPE html><html><head><title>{title}</title></head><body>{chrome}{body}<div class=footer>This page was last updated on the site.</div></body></html>";

    private void Write(string name, string html) => File.WriteAllText(Path.Combine(_folder, name), html);

    private IngestionReport Read() => DocumentReader.ReadSource(GroundingFixture.Source with { Formats = ["html"] }, _folder);

    private void WriteSite(int pages)
    {
        for (var i = 0; i < pages; i++)
        {
            Write($"page{i}.html", Page($"Page {i}", $"<h1>Topic {i}</h1><p>Topic {i} explains one thing about the library in its own words.</p>"));
        }
    }

    [Fact]
    public void ReadSource_LeavesOutBlocksRepeatedAcrossPages_KeepsAPagesOwnText()
    {
        WriteSite(6);
        // Two of seven pages share a note: shared, but not the site's chrome.
        Write("attach.html", Page("Attach", "<h1>Attach</h1><p>At most 10 databases can be attached by default.</p><p>See the limits page for how to raise it.</p>"));
        File.AppendAllText(Path.Combine(_folder, "page0.html"), "");
        Write("page0.html", Page("Page 0", "<h1>Topic 0</h1><p>Topic 0 explains one thing.</p><p>See the limits page for how to raise it.</p>"));

        var docs = Read().Documents.ToDictionary(d => d.Path);

        var attach = docs["attach.html"].Text;
        Assert.Equal("# Attach\n\nAt most 10 databases can be attached by default.\n\nSee the limits page for how to raise it.", attach);
        Assert.All(docs.Values, d => Assert.DoesNotContain("Choose any three", d.Text, StringComparison.Ordinal));
        Assert.All(docs.Values, d => Assert.DoesNotContain("Download", d.Text, StringComparison.Ordinal));
        Assert.All(docs.Values, d => Assert.DoesNotContain("last updated", d.Text, StringComparison.Ordinal));
        Assert.Contains("See the limits page", docs["page0.html"].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSource_LeavesOutASectionsOwnBanner_RepeatedAcrossTheFolder()
    {
        WriteSite(6);
        Directory.CreateDirectory(Path.Combine(_folder, "c3ref"));
        for (var i = 0; i < 5; i++)
        {
            Write($"c3ref/f{i}.html", Page($"F{i}", $"<h2>SQLite C Interface</h2><h2>Function {i}</h2><p>Function {i} returns the number {i}.</p><p>See also lists of Objects, Constants, and Functions.</p>"));
        }

        var docs = Read().Documents.ToDictionary(d => d.Path);

        Assert.Equal("## Function 3\n\nFunction 3 returns the number 3.", docs["c3ref/f3.html"].Text);
    }

    [Fact]
    public void ReadSource_LeavesOutAFooterRepeatedAcrossPages_WhenOnlyItsDateChanges()
    {
        for (var i = 0; i < 6; i++)
        {
            Write($"page{i}.html", Page($"Page {i}", $"<h1>Topic {i}</h1><p>Topic {i} explains one thing about the library in its own words.</p><p><small>Page revised on 2021-0{i + 1}-1{i} 14:4{i}:0{i} UTC</small></p>"));
        }

        Write("release.html", Page("Release", "<h1>Release</h1><p>Version 3.35.0 was released on 2021-03-12.</p><p><small>Page revised on 2024-11-02 09:00:00 UTC</small></p>"));

        var docs = Read().Documents.ToDictionary(d => d.Path);

        Assert.All(docs.Values, d => Assert.DoesNotContain("revised on", d.Text, StringComparison.Ordinal));
        Assert.Equal("# Release\n\nVersion 3.35.0 was released on 2021-03-12.", docs["release.html"].Text);
        Assert.Equal("# Topic 4\n\nTopic 4 explains one thing about the library in its own words.", docs["page4.html"].Text);
    }

    [Fact]
    public void ReadSource_KeepsAVersionNoteRepeatedAcrossPages_WhoseNumbersLookLikeADate()
    {
        // "3.8.10" has the shape of a dotted date with a two-digit year, but it is a version: the note is each page's own.
        for (var i = 0; i < 6; i++)
        {
            Write($"page{i}.html", Page($"Page {i}", $"<h1>Function {i}</h1><p>Function {i} reads one value from the file.</p><p>New in version 3.{i}.1{i}.</p>"));
        }

        var docs = Read().Documents.ToDictionary(d => d.Path);

        Assert.Equal("# Function 4\n\nFunction 4 reads one value from the file.\n\nNew in version 3.4.14.", docs["page4.html"].Text);
    }

    [Fact]
    public void ReadSource_KeepsAPagesMenuLikeText_WhenTheSourceHasTooFewPagesToTell()
    {
        Write("only.html", Page("Only", "<p>The only page.</p>"));

        var text = Assert.Single(Read().Documents).Text;

        Assert.Contains("Choose any three.", text, StringComparison.Ordinal);
        Assert.Contains("- Download", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSource_LeavesOutNavigationHiddenElementsScriptsDiagramsAndToggles()
    {
        Write("vacuum.html", """
            <html><body>
            <nav><a href="/">Docs home</a></nav>
            <header><p>Site banner</p></header>
            <div role="navigation">Previous | Next</div>
            <div style="display: none">Hidden text</div><p hidden>Also hidden</p><span aria-hidden="true">icon</span>
            <script>var secret = 1;</script><style>p { color: red }</style><noscript>Enable scripts</noscript>
            <div class="fancy_toc"><a onclick="toggle_toc()">Table Of Contents</a>
              <div><a href="#syntax">1. Syntax</a></div><div><a href="#description">2. Description</a></div></div>
            <h1 id="syntax">1. Syntax</h1>
            <p><b><a href="syntax/vacuum-stmt.html">vacuum-stmt:</a></b> <button onclick="hideorshow()">hide</button></p>
            <div class="imgcontainer"><svg viewBox="0 0 10 10"><text>VACUUM</text><text>schema-name</text></svg></div>
            <h1 id="description">2. Description</h1>
            <p>The <code>VACUUM</code> command rebuilds the database file.</p>
            <img src="logo.png" alt="logo"><img src="a.png" alt="The file shrinks after the command runs">
            <footer>Copyright the authors</footer>
            </body></html>
            """);

        var text = Assert.Single(Read().Documents).Text;

        Assert.Equal("# 1. Syntax\n\n# 2. Description\n\nThe VACUUM command rebuilds the database file.\n\nThe file shrinks after the command runs", text);
    }

    [Fact]
    public void ReadSource_KeepsSuperscriptsAndSubscripts_AsTheNumbersTheyMean()
    {
        Write("limits.html", """
            <html><body>
            <p>A string may be up to 2<small><sup>31</sup></small>-1 or 2147483647 bytes long.</p>
            <p>At most 2<sup><small>64</small></sup> (18446744073709551616) rows, and e<sup>i pi</sup> is a formula.</p>
            <p>Water is H<sub>2</sub>O.<sup><a href="#note1">1</a></sup></p>
            </body></html>
            """);

        var text = Assert.Single(Read().Documents).Text;

        Assert.Contains("up to 2^31-1 or 2147483647 bytes long.", text, StringComparison.Ordinal);
        Assert.Contains("At most 2^64 (18446744073709551616) rows", text, StringComparison.Ordinal);
        Assert.Contains("e^(i pi)", text, StringComparison.Ordinal);
        Assert.Contains("Water is H_2O.\n", text + "\n", StringComparison.Ordinal);
        Assert.DoesNotContain("231", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSource_ReadsTableRowsWithTheirHeaders_AndListItemsOnTheirOwnLines()
    {
        Write("dqs.html", """
            <html><body>
            <table border=1>
            <tr><th rowspan=2>SQLITE_DQS</th><th colspan=2>Double-Quoted Strings Allowed</th><th rowspan=2>Remarks</th></tr>
            <tr><th>In DDL</th><th>In DML</th></tr>
            <tr><td>3</td><td>yes</td><td>yes</td><td>default</td></tr>
            <tr><td>0</td><td>no</td><td>no</td><td>recommended</td></tr>
            </table>
            <p>Reasons to vacuum:</p>
            <ul><li>Space is reclaimed<li><p>Fragmentation goes.</p><p>Reads get faster</p></li></ul>
            </body></html>
            """);

        var text = Assert.Single(Read().Documents).Text;

        Assert.Equal("""
            SQLITE_DQS: 3; Double-Quoted Strings Allowed In DDL: yes; Double-Quoted Strings Allowed In DML: yes; Remarks: default
            SQLITE_DQS: 0; Double-Quoted Strings Allowed In DDL: no; Double-Quoted Strings Allowed In DML: no; Remarks: recommended

            Reasons to vacuum:

            - Space is reclaimed
            - Fragmentation goes.
              Reads get faster
            """.ReplaceLineEndings("\n"), text);
        var sentences = SentenceSplitter.Split(text, new TextSpan(0, text.Length)).Select(s => s.Of(text)).ToList();
        Assert.Contains("SQLITE_DQS: 0; Double-Quoted Strings Allowed In DDL: no; Double-Quoted Strings Allowed In DML: no; Remarks: recommended", sentences);
        Assert.Contains("Space is reclaimed", sentences);
        Assert.Contains("Reads get faster", sentences);
    }

    [Fact]
    public void ReadSource_SkipsLinkListPages_WithTheReasonInTheReport()
    {
        var links = string.Concat(Enumerable.Range(0, 60).Select(i => $"<li><a href=\"page{i}.html#k{i}\">keyword number {i}</a></li>"));
        Write("keyword_index.html", $"<html><body><h1>Keyword Index</h1><ul>{links}</ul></body></html>");
        Write("guide.html", "<html><body><p>The <a href=\"pragma.html\">journal_mode pragma</a> sets how the rollback journal is kept; WAL is the usual choice for servers.</p></body></html>");

        var report = Read();

        Assert.Equal(["guide.html"], report.Documents.Select(d => d.Path));
        var skipped = Assert.Single(report.Skipped, s => s.Path == "keyword_index.html");
        Assert.Contains("link list", skipped.Reason, StringComparison.Ordinal);
        Assert.Contains("left out of retrieval", skipped.Reason, StringComparison.Ordinal);
        Assert.True(skipped.LeftOutOnPurpose);
    }

    [Fact]
    public void ReadSource_SkipsCrossReferencePages_WhoseEntriesNameATopicAndLinkToIt()
    {
        var entries = string.Concat(Enumerable.Range(0, 80).Select(i => $"<li>keyword number {i} - <a href=\"page{i}.html#k{i}\">page{i}.html#k{i}</a></li>"));
        Write("doc_keyword_crossref.html", $"<html><body><h1>Keyword Cross-Reference</h1><ul>{entries}</ul></body></html>");
        var steps = string.Concat(Enumerable.Range(0, 8).Select(i => $"<li>Step {i}: run the <a href=\"cli.html\">command</a> and check its output carefully before going on.</li>"));
        Write("howto.html", $"<html><body><p>How to back up a database while it is in use.</p><ol>{steps}</ol></body></html>");

        var report = Read();

        Assert.Equal(["howto.html"], report.Documents.Select(d => d.Path));
        Assert.Contains("80 short linked entries", Assert.Single(report.Skipped).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSource_SkipsEachKindOfBadInput_WithItsReason_AndReadsTheRest()
    {
        Write("good.html", "<html><body><p>A good page.</p></body></html>");
        File.WriteAllBytes(Path.Combine(_folder, "picture.html"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52]);
        File.WriteAllBytes(Path.Combine(_folder, "controls.html"), [.. Enumerable.Range(0, 400).Select(i => (byte)(i % 2 == 0 ? 0x01 : 0x41))]);
        File.WriteAllBytes(Path.Combine(_folder, "mixed.html"), [.. Encoding.UTF8.GetBytes("<html><head><meta charset=\"utf-8\"></head><body><p>Caf\u00e9 and "), .. Encoding.Latin1.GetBytes("caf\u00e9</p></body></html>")]);
        File.WriteAllBytes(Path.Combine(_folder, "latin1.html"), Encoding.Latin1.GetBytes("<html><head><meta charset=\"iso-8859-1\"></head><body><p>Caf\u00e9 cr\u00e8me.</p></body></html>"));
        File.WriteAllText(Path.Combine(_folder, "huge.html"), "<html><body><p>" + new string('a', (int)DocumentReader.MaxFileBytes + 10) + "</p></body></html>");
        File.WriteAllText(Path.Combine(_folder, "blank.html"), "<html><head><title>Nothing</title></head><body>  </body></html>");
        File.WriteAllText(Path.Combine(_folder, "zero.html"), "");
        File.WriteAllText(Path.Combine(_folder, "deep.html"), "<html><body>" + string.Concat(Enumerable.Repeat("<div>", 5000)) + "deep" + "</body></html>");

        var report = Read();

        Assert.Equal(["good.html", "latin1.html"], report.Documents.Select(d => d.Path).Order());
        Assert.Equal("Caf\u00e9 cr\u00e8me.", report.Documents.Single(d => d.Path == "latin1.html").Text);
        var skipped = report.Skipped.ToDictionary(s => s.Path, s => s.Reason);
        Assert.Contains("binary content (NUL bytes)", skipped["picture.html"], StringComparison.Ordinal);
        Assert.Contains("binary content (control bytes)", skipped["controls.html"], StringComparison.Ordinal);
        Assert.Contains("not UTF-8", skipped["mixed.html"], StringComparison.Ordinal);
        Assert.Contains("larger than 2 MB", skipped["huge.html"], StringComparison.Ordinal);
        Assert.Contains("empty", skipped["blank.html"], StringComparison.Ordinal);
        Assert.Contains("empty", skipped["zero.html"], StringComparison.Ordinal);
        Assert.Contains("nested deeper than", skipped["deep.html"], StringComparison.Ordinal);
        // Each is a file its owner has something to fix, not a page left out by the reader's own rule.
        Assert.DoesNotContain(report.Skipped, s => s.LeftOutOnPurpose);
    }

    [Fact]
    public void ReadSource_SkipsAPageThatIsNothingButSiteChrome()
    {
        WriteSite(6);
        Write("blank.html", Page("Blank", ""));

        var report = Read();

        Assert.Contains("nothing but site chrome", Assert.Single(report.Skipped, s => s.Path == "blank.html").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSource_HtmlPage_QuoteOfAPassageIsAnExactSpanOfTheStoredText()
    {
        WriteSite(6);
        Write("limits.html", Page("Limits", "<h1>Limits</h1><ol><li><b>Maximum length of a string</b><p>The current implementation will only support a string length up to 2<sup>31</sup>-1 or 2147483647.</p></li></ol>"));
        var document = Read().Documents.Single(d => d.Path == "limits.html");
        const string quote = "The current implementation will only support a string length up to 2^31-1 or 2147483647.";

        var passage = PassageSplitter.Split(document.Text).Single(p => p.Of(document.Text).Contains("2^31", StringComparison.Ordinal));
        var check = CitationVerifier.Verify(new Citation(document.Path, document.Version, passage.Start, passage.End, quote),
            (path, version) => path == document.Path && version == document.Version ? document.Text : null, path => path == document.Path);

        Assert.Equal(CitationVerdict.Verified, check.Verdict);
        Assert.Equal(quote, document.Text[check.QuoteStart..check.QuoteEnd]);
        Assert.Contains(quote, SentenceSplitter.Split(document.Text, passage).Select(s => s.Of(document.Text)));
        Assert.Equal(DocumentVersion.Of(document.Text), document.Version);
    }
}
