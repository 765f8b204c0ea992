using Skybridge.Core.Diagnostics;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Governance.PolicyTestSupport;

namespace Skybridge.Core.Tests.Governance;

/// <summary>Every lint code, triggered by a small policy: the code, its position and the words a user reads.</summary>
public sealed class PolicyLintTests
{
    private const string CoverBoth = """
        - id: base-reply
          effect: permit
          principals: [role:responder]
          actions: [reply]
        - id: base-refund
          effect: permit
          principals: [role:responder]
          actions: [refund]
          when: { currency: { eq: EUR } }
        """;

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // code, rules (added after rules covering both actions unless they start with '!'), anchor, message fragment
        { "SB1401", "- id: odd\n  effect: permit\n  principals: [role:responder]\n  actions: [refund]\n  when: { amount: { lt: 10, gt: 20 } }", "amount: { lt: 10", "policy rule 'odd': the conditions amount < 10 and amount > 20 contradict each other, so it never matches" },
        { "SB1402", "- id: research\n  effect: permit\n  principals: [role:researcher]\n  actions: [reply]", "role:researcher]", "applies only to role:researcher, which cannot call actions (no 'actions:propose' scope)" },
        { "SB1403", "- id: vip\n  effect: permit\n  principals: [\"*\"]\n  actions: [\"*\"]\n  when: { priority: { eq: high } }", "priority", "tests 'priority', which no action has, so it never matches" },
        { "SB1404", "- id: small\n  effect: permit\n  principals: [role:responder]\n  actions: [refund]\n  when: { amount: { lte: 50 } }\n- id: no-refunds\n  effect: forbid\n  principals: [\"*\"]\n  actions: [refund]\n  when: { amount: { gte: 0 } }", "id: small", "policy rule 'small' never lets anything through: forbid rule 'no-refunds' matches every call it matches" },
        { "SB1405", "- id: urgent\n  effect: permit\n  principals: [role:responder]\n  actions: [reply]\n  when: { urgent: { eq: true } }", "id: urgent", "policy rule 'urgent' never changes a decision: rule 'base-reply' matches every call it matches" },
        { "SB1406", "!- id: refunds\n  effect: permit\n  principals: [role:responder]\n  actions: [refund]", "name: reply", "action 'reply' is not permitted by any rule, so it can never run" },
        { "SB1407", "- id: two-for-replies\n  effect: permit\n  principals: [role:responder]\n  actions: [reply]\n  when: { urgent: { eq: true } }\n  approvers: 2 # two", "2 # two", "asks for 2 distinct approvers of 'reply', but only 1 person may approve it (user:lee)" },
        { "SB1408", "- id: no-notes\n  effect: forbid\n  principals: [\"*\"]\n  actions: [refund]\n  when: { note: { eq: secret } }", "note: { eq", "tests 'note', which 'refund' does not require: a call without it escapes this forbid" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Run_ReportsCodeAtTheRule(string code, string rules, string anchor, string message)
    {
        var text = ManifestWith(rules.StartsWith('!') ? rules[1..] : CoverBoth + "\n" + rules);
        var loaded = ManifestLoader.Load(text, FileName);
        Assert.True(loaded.Manifest is not null, string.Join('\n', loaded.Diagnostics));

        var findings = PolicyLint.Run(loaded.Manifest, loaded.SourceMap, FileName);

        var matches = findings.Where(d => d.Code == code).ToList();
        Assert.True(matches.Count == 1, $"expected one {code}, got:\n{string.Join('\n', findings)}");
        var finding = matches[0];
        Assert.Equal(DiagnosticSeverity.Warning, finding.Severity);
        Assert.Equal(Manifests.ManifestTestSupport.Locate(text, anchor), (finding.Location.Line, finding.Location.Column));
        Assert.Contains(message, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_FindsNothing_InTheSampleManifest()
    {
        var findings = PolicyLint.Run(Sample().Manifest, null, "manifest.yaml");

        Assert.Empty(findings);
    }

    [Fact]
    public void Run_ReportsWaiverThatNeverTakesEffect_BehindAWiderPermitAskingApproval()
    {
        var text = ManifestWith("""
            - id: base-reply
              effect: permit
              principals: [role:responder]
              actions: [reply]
            - id: refunds
              effect: permit
              principals: [role:responder]
              actions: [refund]
            - id: small-refunds
              effect: permit
              principals: [role:responder]
              actions: [refund]
              when: { amount: { lte: 50 } }
              approval: none
            """);
        var loaded = ManifestLoader.Load(text, FileName);

        var finding = Assert.Single(PolicyLint.Run(loaded.Manifest!, loaded.SourceMap, FileName));

        Assert.Equal(DiagnosticCodes.PermitRedundant, finding.Code);
        Assert.Contains("its 'approval: none' never takes effect", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_DoesNotReportNarrowerPermitThatAsksForMoreApproval()
    {
        var text = ManifestWith(CoverBoth + "\n" + """
            - id: big-refunds
              effect: permit
              principals: [role:responder]
              actions: [refund]
              when: { currency: { eq: EUR }, amount: { gt: 500 } }
              approvers: 2
            """);
        var loaded = ManifestLoader.Load(text, FileName);

        Assert.Empty(PolicyLint.Run(loaded.Manifest!, loaded.SourceMap, FileName));
    }
}
