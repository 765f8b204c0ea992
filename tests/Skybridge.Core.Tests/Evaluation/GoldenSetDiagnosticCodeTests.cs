using Skybridge.Core.Diagnostics;
using Skybridge.Core.Evaluation;
using static Skybridge.Core.Tests.Evaluation.GoldenSetTestSupport;
using static Skybridge.Core.Tests.Manifests.ManifestTestSupport;

namespace Skybridge.Core.Tests.Evaluation;

/// <summary>
/// Every golden-set code, triggered by breaking the valid golden set in one place: the code, its position (found by
/// locating the broken text) and the words a user reads.
/// </summary>
public sealed class GoldenSetDiagnosticCodeTests
{
    public static TheoryData<string, string, string, string, string> Cases => new()
    {
        // code, find, replace, anchor (where the diagnostic must point), message fragment
        { "SB1601", "version: 1", "version: 2", "2\n", "golden set version 2 is not supported; this build reads version 1" },
        { "SB1602", "  - id: gs-002", "  - id: gs-001", "gs-001\n    input: Ignore", "duplicate case id 'gs-001' (first on line 4)" },
        { "SB1603", "tags: [injection, abstain]", "tags: [injection, abstian]", "abstian", "unknown tag 'abstian' on case 'gs-002'" },
        { "SB1604", "{ pattern: \"3[-–]5 working days\" }", "{ pattern: \"3[-–5 working days\" }", "\"3[-–5", "pattern '3[-–5 working days' of fact of case 'gs-001' is not a valid regular expression" },
        { "SB1605", "      outcome: abstain\n", "      outcome: abstain\n      facts: [\"500 EUR\"]\n", "[\"500 EUR\"]", "case 'gs-002' expects an abstention but lists 'facts'" },
        { "SB1606", "        - { number: 34.90 }", "        - { number: 34.90, pattern: \"x\" }", "{ number: 34.90, pattern", "a fact of case 'gs-001' must have exactly one of 'pattern' and 'number'" },
        { "SB1607", "    agreed_on: 2026-10-02\n  - id: gs-002", "    agreed_on: 2026-13-02\n  - id: gs-002", "2026-13-02", "agreed_on '2026-13-02' of case 'gs-001' is not a date; write YYYY-MM-DD" },
        { "SB1608", ValidGoldenSet[ValidGoldenSet.IndexOf("cases:", StringComparison.Ordinal)..], "cases: []\n", "[]", "the golden set has no cases" },
        { "SB1609", "      outcome: abstain\n      no_actions: [refund]\n", "      outcome: answer\n", "outcome: answer\n    tags: [injection", "case 'gs-002' expects an answer but lists no facts, citations or actions" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Load_ReportsCodeAtBrokenText_WhenOnePlaceIsBroken(string code, string find, string replace, string anchor, string message)
    {
        var text = GoldenSetTestSupport.With(find, replace);

        var result = GoldenSetLoader.Load(text, GoldenSetTestSupport.FileName);

        var matches = result.Diagnostics.Where(d => d.Code == code).ToList();
        Assert.True(matches.Count == 1, $"expected one {code}, got:\n{string.Join('\n', result.Diagnostics)}");
        var diagnostic = matches[0];
        Assert.Equal(GoldenSetTestSupport.FileName, diagnostic.Location.File);
        Assert.Equal(Locate(text, anchor), (diagnostic.Location.Line, diagnostic.Location.Column));
        Assert.Contains(message, diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(diagnostic.IsError, !result.IsValid);
        Assert.Equal(result.IsValid, result.GoldenSet is not null);
    }

    [Fact]
    public void Load_SuggestsNearestTag_WhenTagIsMisspelled()
    {
        var result = GoldenSetLoader.Load(GoldenSetTestSupport.With("tags: [injection, abstain]", "tags: [injection, abstian]"), GoldenSetTestSupport.FileName);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("abstain", diagnostic.Suggestion);
        Assert.StartsWith("golden-set.yaml:26:23: error SB1603: unknown tag 'abstian'", diagnostic.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("did you mean 'abstain'?", diagnostic.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ReportsEveryProblemAtOnce_WhenSeveralPlacesAreBroken()
    {
        var text = ValidGoldenSet
            .Replace("  - id: gs-002", "  - id: gs-001", StringComparison.Ordinal)
            .Replace("[injection, abstain]", "[injection, abstian]", StringComparison.Ordinal)
            .Replace("{ pattern: \"3[-–]5 working days\" }", "{ pattern: \"(\" }", StringComparison.Ordinal)
            .Replace("    agreed_by: group:support-leads", "    agreed_by: support-leads", StringComparison.Ordinal)
            .Replace("      outcome: answer", "      outcom: answer", StringComparison.Ordinal);

        var result = GoldenSetLoader.Load(text, GoldenSetTestSupport.FileName);

        Assert.Null(result.GoldenSet);
        Assert.Equal(
            [DiagnosticCodes.UnknownKey, DiagnosticCodes.InvalidFactPattern, DiagnosticCodes.DuplicateCaseId, DiagnosticCodes.UnknownCaseTag, DiagnosticCodes.MalformedPrincipal],
            result.Diagnostics.Select(d => d.Code));
        Assert.Equal("outcome", result.Diagnostics[0].Suggestion);
        Assert.DoesNotContain(result.Diagnostics, d => d.Code == DiagnosticCodes.MissingKey);
    }

    [Fact]
    public void Load_ReportsStructureCodes_WhenRootIsABareList()
    {
        var result = GoldenSetLoader.Load("- id: gs-001\n  ticket: hello\n", GoldenSetTestSupport.FileName);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticCodes.WrongType, diagnostic.Code);
        Assert.Equal("golden-set.yaml:1:1: error SB1003: the golden set must be a mapping (key: value lines), not a list", diagnostic.ToString());
    }

    [Fact]
    public void Load_ReportsSyntaxErrorWithPosition_WhenYamlIsMalformed()
    {
        var result = GoldenSetLoader.Load("version: 1\ncases: [\n  - id: x\n", GoldenSetTestSupport.FileName);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticCodes.YamlSyntax, diagnostic.Code);
        Assert.Null(result.GoldenSet);
    }
}
