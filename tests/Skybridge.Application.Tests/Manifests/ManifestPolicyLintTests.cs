using Skybridge.Application.Manifests;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Diagnostics;

namespace Skybridge.Application.Tests.Manifests;

/// <summary>
/// Manifest validation reports the policy lint (SB14xx) beside the other diagnostics, each located and worded, as
/// warnings: a manifest whose rules do not say what their author meant still validates, publishes and activates.
/// </summary>
public sealed class ManifestPolicyLintTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Sample => File.ReadAllText(Path.Combine(TestStore.RepoRoot, "samples", "support-desk", "manifest.yaml"));

    private static string WithRules(string rules) => Sample.Replace("policy:\n  rules:\n", "policy:\n  rules:\n" + rules, StringComparison.Ordinal);

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // code, rules put first in the policy, anchor (where the finding must point), message fragment
        { "SB1401", "    - id: odd\n      effect: permit\n      principals: [role:responder]\n      actions: [refund]\n      when: { amount: { lt: 10, gt: 20 } }\n", "amount: { lt: 10", "the conditions amount < 10 and amount > 20 contradict each other, so it never matches" },
        { "SB1403", "    - id: vip\n      effect: permit\n      principals: [\"*\"]\n      actions: [\"*\"]\n      when: { priority: { eq: high } }\n", "priority", "tests 'priority', which no action has, so it never matches" },
        { "SB1404", "    - id: no-refunds\n      effect: forbid\n      principals: [\"*\"]\n      actions: [refund]\n", "id: refund-small", "policy rule 'refund-small' never lets anything through: forbid rule 'no-refunds' matches every call it matches" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValidateOffline_ReportsPolicyLintAsALocatedWarning_AndStaysValid(string code, string rules, string anchor, string message)
    {
        var text = WithRules(rules);

        var result = ManifestService.ValidateOffline(text, "manifest.yaml", _ => true);

        // The first finding of the code, in file order (a forbid over every refund shadows both refund permits).
        var finding = Assert.IsType<Diagnostic>(result.Diagnostics.FirstOrDefault(d => d.Code == code), exactMatch: false);
        Assert.Equal(DiagnosticSeverity.Warning, finding.Severity);
        Assert.Equal(("manifest.yaml", Line(text, anchor), Column(text, anchor)), (finding.Location.File, finding.Location.Line, finding.Location.Column));
        Assert.Contains(message, finding.Message, StringComparison.Ordinal);
        Assert.True(result.IsValid, string.Join("\n", result.Diagnostics));
    }

    [Fact]
    public void ValidateOffline_CleanPolicy_ReportsNoLint()
    {
        var result = ManifestService.ValidateOffline(Sample, "manifest.yaml", _ => true);

        Assert.DoesNotContain(result.Diagnostics, d => d.Code.StartsWith("SB14", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PublishAndActivate_ManifestWithLintWarnings_StoresAndActivates_AndReturnsTheWarnings()
    {
        await using var test = await TestStore.OpenAsync();
        var manifests = new ManifestService(test.Store, TimeProvider.System, test.Ledger);
        var text = WithRules("    - id: no-refunds\n      effect: forbid\n      principals: [\"*\"]\n      actions: [refund]\n");

        var published = await manifests.PublishAsync(text, "manifest.yaml", _ => true, "ann", activate: false, Ct);
        var (activated, problems) = await manifests.ActivateAsync("support-desk", 1, "ann", new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);

        Assert.True(published.IsValid);
        Assert.NotNull(published.Published);
        Assert.Contains(published.Diagnostics, d => d.Code == DiagnosticCodes.PermitShadowedByForbid && d.Severity == DiagnosticSeverity.Warning);
        Assert.Empty(problems);
        Assert.Equal(Skybridge.Storage.ActivationOutcome.Activated, activated.Outcome);
    }

    private static int Line(string text, string anchor) => 1 + text[..Index(text, anchor)].Count(c => c == '\n');

    private static int Column(string text, string anchor)
    {
        var index = Index(text, anchor);
        return index - text.LastIndexOf('\n', index - 1);
    }

    private static int Index(string text, string anchor)
    {
        var index = text.IndexOf(anchor, StringComparison.Ordinal);
        Assert.True(index >= 0, $"anchor '{anchor}' not in the manifest");
        return index;
    }
}
