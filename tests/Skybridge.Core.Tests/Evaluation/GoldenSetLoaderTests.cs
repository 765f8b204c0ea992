using System.Text;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Evaluation.GoldenSetTestSupport;

namespace Skybridge.Core.Tests.Evaluation;

public sealed class GoldenSetLoaderTests
{
    [Fact]
    public void Load_ReadsEveryField_WhenFileIsValid()
    {
        var result = GoldenSetLoader.Load(ValidGoldenSet, FileName);

        Assert.Empty(result.Diagnostics);
        var set = Assert.IsType<GoldenSet>(result.GoldenSet);
        Assert.Equal(1, set.Version);
        Assert.Equal(["gs-001", "gs-002"], set.Cases.Select(c => c.Id));
        var first = set.Cases[0];
        Assert.StartsWith("Hi, the hip belt buckle", first.Input, StringComparison.Ordinal);
        Assert.Equal("RT-000123", first.Attributes["ticket_id"]);
        Assert.Equal(ExpectedOutcome.Answer, first.Expect.Outcome);
        Assert.Collection(
            first.Expect.Facts,
            f => Assert.Equal("2 years", Assert.IsType<TextFact>(f).Text),
            f => Assert.Equal("3[-–]5 working days", Assert.IsType<PatternFact>(f).Pattern),
            f => Assert.Equal(34.90m, Assert.IsType<NumberFact>(f).Value));
        Assert.Equal(["warranty/warranty-policy.md"], first.Expect.Cite);
        var escalate = Assert.Single(first.Expect.Actions);
        Assert.Equal(("escalate", "warranty"), (escalate.Action, escalate.Parameters["queue"]));
        Assert.Equal(["refund"], first.Expect.NoActions);
        Assert.Equal(["ugly", "multi-intent"], first.Tags);
        Assert.Equal(new Principal(PrincipalKind.User, "maria.lopez"), first.AgreedBy);
        Assert.Equal(new DateOnly(2026, 10, 2), first.AgreedOn);
        Assert.Equal("golden-set.yaml:4:5", first.Location.ToString());
        Assert.Equal(ExpectedOutcome.Abstain, set.Cases[1].Expect.Outcome);
        Assert.Equal(new Principal(PrincipalKind.Group, "support-leads"), set.Cases[1].AgreedBy);
    }

    [Fact]
    public void Load_HashesTheFileBytes_SoAnyEditChangesTheHash()
    {
        var bytes = Encoding.UTF8.GetBytes(ValidGoldenSet);
        var withBom = Encoding.UTF8.GetPreamble().Concat(bytes).ToArray();

        var plain = GoldenSetLoader.Load(bytes, FileName).GoldenSet!;
        var bom = GoldenSetLoader.Load(withBom, FileName).GoldenSet!;
        var edited = GoldenSetLoader.Load(ValidGoldenSet.Replace("2 years", "3 years", StringComparison.Ordinal), FileName).GoldenSet!;

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), plain.Sha256);
        Assert.Equal(plain.Sha256, GoldenSetLoader.Load(ValidGoldenSet, FileName).GoldenSet!.Sha256);
        Assert.NotEqual(plain.Sha256, bom.Sha256);
        Assert.Equal(plain.Cases.Count, bom.Cases.Count);
        Assert.NotEqual(plain.Sha256, edited.Sha256);
    }

    [Fact]
    public void Load_ReportsMissingRequiredKeys_WithTheCaseNamed()
    {
        var text = ValidGoldenSet.Replace("    agreed_by: group:support-leads\n", string.Empty, StringComparison.Ordinal);

        var result = GoldenSetLoader.Load(text, FileName);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("SB1004", diagnostic.Code);
        Assert.Contains("missing required key 'agreed_by' in case 'gs-002'", diagnostic.Message, StringComparison.Ordinal);
    }
}
