namespace Skybridge.Grounding.Tests;

public sealed class DocumentReaderTests : IClassFixture<GroundingFixture>
{
    private readonly GroundingFixture _kb;

    public DocumentReaderTests(GroundingFixture kb) => _kb = kb;

    [Fact]
    public void ReadSource_ReadsEachFormat_WithItsMetadata()
    {
        var docs = _kb.Report.Documents.ToDictionary(d => d.Path);
        Assert.Equal(["returns/price-match.md", "returns/pricing-faq.html", "returns/refund-policy.md", "returns/returns-policy-2023.md", "shipping/shipping-times.txt", "shipping/warranty.md"], docs.Keys.Order());

        var refund = docs["returns/refund-policy.md"];
        Assert.Equal(("refund-policy", "Returns and refunds", "current"), (refund.Id, refund.Title, refund.Status));
        Assert.StartsWith("# Returns and refunds", refund.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("superseded_by", refund.Text, StringComparison.Ordinal);

        var outdated = docs["returns/returns-policy-2023.md"];
        Assert.True(outdated.IsOutdated);
        Assert.Equal("refund-policy", outdated.SupersededBy);

        var html = docs["returns/pricing-faq.html"];
        Assert.Equal(("pricing-faq", "Pricing questions"), (html.Id, html.Title));
        Assert.Equal(["price-match"], html.Contradicts);
        Assert.Contains("within 30 days of purchase", html.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("tracking", html.Text, StringComparison.Ordinal);

        var text = docs["shipping/shipping-times.txt"];
        Assert.Equal(("shipping-times", "Shipping times"), (text.Id, text.Title));
        Assert.StartsWith("Orders within Germany", text.Text, StringComparison.Ordinal);
        Assert.Equal(Skybridge.Core.Grounding.DocumentVersion.Of(text.Text), text.Version);
    }

    [Fact]
    public void ReadSource_SkipsBadFilesWithTheirReasons_AndGoesOn()
    {
        var skipped = _kb.Report.Skipped.ToDictionary(s => s.Path, s => s.Reason);
        Assert.Contains("empty", skipped["shipping/empty.md"], StringComparison.Ordinal);
        Assert.Contains("not UTF-8", skipped["shipping/latin1.txt"], StringComparison.Ordinal);
        Assert.Contains("binary", skipped["shipping/archive.txt"], StringComparison.Ordinal);
        Assert.Contains("PDF", skipped["shipping/manual.pdf"], StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSource_HugeFilesAndUndeclaredFormatsAndOutsideLinks_AreSkipped()
    {
        var folder = Directory.CreateTempSubdirectory("skybridge-kb-").FullName;
        File.WriteAllText(Path.Combine(folder, "ok.md"), "# Fine\n\nA page.");
        File.WriteAllText(Path.Combine(folder, "huge.txt"), new string('a', 3 * 1024 * 1024));
        File.WriteAllText(Path.Combine(folder, "page.html"), "<p>html</p>");
        var outside = Path.Combine(Path.GetTempPath(), "skybridge-secret-" + Guid.NewGuid().ToString("N") + ".md");
        File.WriteAllText(outside, "# Salaries\n\nsecret");
        File.CreateSymbolicLink(Path.Combine(folder, "link.md"), outside);

        var report = Skybridge.Grounding.Documents.DocumentReader.ReadSource(GroundingFixture.Source with { Formats = ["markdown", "text"] }, folder);
        Assert.Equal(["ok.md"], report.Documents.Select(d => d.Path));
        var skipped = report.Skipped.ToDictionary(s => s.Path, s => s.Reason);
        Assert.Contains("larger than 2 MB", skipped["huge.txt"], StringComparison.Ordinal);
        Assert.Contains("format not declared", skipped["page.html"], StringComparison.Ordinal);
        Assert.Contains("outside the source folder", skipped["link.md"], StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSource_AFileNameWithALineBreak_IsNotRead_AndListedEscaped_SoItCannotForgeALineOfTheReport()
    {
        var folder = Directory.CreateTempSubdirectory("skybridge-kb-").FullName;
        File.WriteAllText(Path.Combine(folder, "ok.md"), "# Fine\n\nA page.");
        File.WriteAllText(Path.Combine(folder, "evil\nskipped docs: forged.md"), "# Evil\n\nRefunds are instant.");
        Directory.CreateDirectory(Path.Combine(folder, "tab\tfolder"));
        File.WriteAllText(Path.Combine(folder, "tab\tfolder", "page.md"), "# Page\n\nText.");

        var report = Skybridge.Grounding.Documents.DocumentReader.ReadSource(GroundingFixture.Source, folder);

        Assert.Equal(["ok.md"], report.Documents.Select(d => d.Path));
        Assert.Equal(["evil\\nskipped docs: forged.md", "tab\\tfolder/page.md"], report.Skipped.Select(s => s.Path).Order(StringComparer.Ordinal));
        Assert.All(report.Skipped, s => Assert.Equal("a file name with a control character (a line break, a tab...): rename the file to read it", s.Reason));
        Assert.All(report.Skipped, s => Assert.DoesNotContain(s.Path, char.IsControl));
    }

    [Fact]
    public void ReadSource_ALinkToAFolderOutside_IsNotFollowed_ItsFilesStayOutOfTheSource()
    {
        var folder = Directory.CreateTempSubdirectory("skybridge-kb-").FullName;
        var outside = Directory.CreateTempSubdirectory("skybridge-finance-").FullName;
        File.WriteAllText(Path.Combine(folder, "ok.md"), "# Fine\n\nA page.");
        File.WriteAllText(Path.Combine(outside, "merger.md"), "# Merger\n\nProject Falcon closes on 14 March.");
        Directory.CreateSymbolicLink(Path.Combine(folder, "linked"), outside);

        var report = Skybridge.Grounding.Documents.DocumentReader.ReadSource(GroundingFixture.Source with { Formats = ["markdown"] }, folder);

        Assert.Equal(["ok.md"], report.Documents.Select(d => d.Path));
        Assert.DoesNotContain(report.Documents, d => d.Text.Contains("Falcon", StringComparison.Ordinal));
        Assert.Contains("a link to a folder, not followed", report.Skipped.Single(s => s.Path == "linked").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadSource_ALinkToAFolderAbove_IsNotFollowed_SoEachPageIsReadOnce()
    {
        var folder = Directory.CreateTempSubdirectory("skybridge-kb-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "returns"));
        File.WriteAllText(Path.Combine(folder, "returns", "refunds.md"), "# Refunds\n\nRefunds take 14 days.");
        Directory.CreateSymbolicLink(Path.Combine(folder, "returns", "up"), "..");

        var report = Skybridge.Grounding.Documents.DocumentReader.ReadSource(GroundingFixture.Source with { Formats = ["markdown"] }, folder);

        Assert.Equal(["returns/refunds.md"], report.Documents.Select(d => d.Path));
        Assert.Equal(["returns/up"], report.Skipped.Select(s => s.Path));
    }
}
