using Skybridge.Core.Diagnostics;
using Skybridge.Core.Manifests;
using static Skybridge.Core.Tests.Manifests.ManifestTestSupport;

namespace Skybridge.Core.Tests.Manifests;

/// <summary>
/// Every published code, triggered by breaking the valid manifest in one place: the code, its position (found by
/// locating the broken text) and the words a user reads.
/// </summary>
public sealed class ManifestDiagnosticCodeTests
{
    public static TheoryData<string, string, string, string, string, string> Cases => new()
    {
        // code, find, replace, anchor (where the diagnostic must point), message fragment, context
        { "SB1002", "    consequence: consequential", "    consequnce: consequential", "consequnce", "unknown key 'consequnce' in action 'refund'", "" },
        { "SB1003", "  trains_on_data: false", "  trains_on_data: [false]", "[false]", "'trains_on_data' in model must be true or false, not a list", "" },
        { "SB1004", "name: Demo desk", "description: Demo desk", "id: demo-desk", "missing required key 'name' in the manifest", "" },
        { "SB1005", "  monitor: [group:ops]", "  monitor: [group:ops]\n  monitor: [group:ops2]", "monitor: [group:ops2]", "duplicate key 'monitor' in authorities (first on line 8)", "" },
        { "SB1006", "    classification: internal", "    classification: secret", "secret", "valid values: public, internal, confidential, restricted", "" },
        { "SB1007", "  level: L0-draft", "  level: L0-draft\n  review_sample_rate: 1.5", "1.5", "must be between 0 and 1, not 1.5", "" },
        { "SB1008", "id: demo-desk", "id: Demo_Desk", "Demo_Desk", "must be a lower-case slug", "" },
        { "SB1101", "      actions: [refund]", "      actions: [refunds]", "refunds", "policy rule 'refund-small' names action 'refunds', which is not declared", "" },
        { "SB1102", "      principals: [role:responder]", "      principals: [role:responders]", "role:responders", "names principal 'role:responders'", "" },
        { "SB1103", "{ amount: { lte: 50 } }", "{ total: { lte: 50 } }", "total", "tests 'total', which is not a parameter of action 'refund'", "" },
        { "SB1104", "    connector: billing\n", "    description: Refunds\n", "name: refund", "action 'refund' has no connector", "" },
        { "SB1105", "    connector: billing", "    connector: biling", "biling", "uses connector 'biling', which is not declared", "" },
        { "SB1106", "    notify_on: [activate]\n", "    notify_on: [activate]\n  - name: finance\n    contact: user:kim\n", "finance\n    contact: user:kim", "duplicate dependency 'finance' (first declared on line 54)", "" },
        { "SB1107", "    refund: [group:leads]", "    refund: [group:leads]\n    refnd: [group:leads]", "refnd", "authorities.approve names action 'refnd'", "" },
        { "SB1108", "  approve:\n    refund: [group:leads]\n", "  approve: {}\n  # nobody yet\n", "name: refund", "action 'refund' is consequential but nobody may approve it", "" },
        { "SB1109", "  halt: [group:ops]", "  halt: []", "halt: []", "authorities 'halt' is empty: name who may halt the workflow", "" },
        { "SB1110", "owner: user:ann", "owner: ann", "ann", "'ann' in 'owner' is not a principal; write user:NAME or group:NAME", "" },
        { "SB1111", "    consequence: consequential", "    consequence: prohibited", "refund]", "permits prohibited action 'refund' and no forbid rule covers it", "" },
        { "SB1112", "      effect: permit", "      effect: forbid", "none\n", "forbids, so 'approval' has no meaning", "" },
        { "SB1113", "amount: { type: number", "amount: { type: string", "50 }", "'lte' compares numbers, but 'amount' is a string", "" },
        { "SB1114", "    scopes: [cases:write]", "    scopes: [cases:write]\n    acts_for: [role:resonder]", "role:resonder", "acts_for entry 'role:resonder' is neither role:NAME of a declared agent role", "" },
        { "SB1115", "      approval: none", "      approval: none\n      approvers: 2", "2\n", "'approvers' in policy rule 'refund-small' has no meaning because the rule says 'approval: none'", "" },
        { "SB1116", "\ndependencies:", "\nbudgets:\n  - { name: refund-daily, action: refnd, per: workflow, sum: amount, max: 500, period: 1d }\ndependencies:", "refnd", "budget 'refund-daily' counts action 'refnd', which is not declared", "" },
        { "SB1117", "\ndependencies:", "\nbudgets:\n  - { name: refund-daily, action: refund, per: workflow, sum: total, max: 500, period: 1d }\ndependencies:", "total", "budget 'refund-daily' sums 'total' of action 'refund', which is not a parameter of it", "" },
        { "SB1118", "\ndependencies:", "\nbudgets:\n  - { name: calls, action: \"*\", per: agent, calls: 60, max: 5, period: 1m }\ndependencies:", "{ name: calls", "budget 'calls' sets both 'calls' and 'sum'/'max'", "" },
        { "SB1119", "\ndependencies:", "\nresponder:\n  on_answer: { action: reply, parameters: { amount: 5 } }\ndependencies:", "reply, parameters", "responder on_answer proposes action 'reply', which is not declared (declared: refund)", "" },
        { "SB1120", "\ndependencies:", "\nresponder:\n  on_answer: { action: refund, parameters: { amount: \"{draft.answr}\" } }\ndependencies:", "\"{draft.answr}", "placeholder '{draft.answr}' in responder on_answer parameter 'amount' is not known", "" },
        { "SB1121", "\ndependencies:", "\nresponder:\n  on_answer: { action: refund, parameters: { amount: -5 } }\ndependencies:", "-5 }", "responder on_answer parameter 'amount' does not fit action 'refund': 'amount' is -5; allowed: 0 to +inf", "" },
        { "SB1122", "\ndependencies:", "\nresponder:\n  role: resonder\n  on_answer: { action: refund, parameters: { amount: 5 } }\ndependencies:", "resonder", "responder role 'resonder' is not a declared agent role (declared: responder)", "" },
        { "SB1130", "\ndependencies:", "\nwebhooks:\n  - { name: leads-chat, url: \"https://chat.example.com/hooks/1\", events: [approval.requestd] }\ndependencies:", "approval.requestd", "webhook 'leads-chat' subscribes to 'approval.requestd', which is not an event a webhook receives", "" },
        { "SB1131", "\ndependencies:", "\nwebhooks:\n  - { name: leads-chat, url: \"http://chat.example.com/hooks/1\", events: [approval.requested] }\ndependencies:", "\"http://chat", "uses plain http to another machine", "" },
        { "SB1150", "  - metric: answer_accuracy", "  - metric: answer_acuracy", "answer_acuracy", "'answer_acuracy' in acceptance criterion 'answer_acuracy' is not a metric the evaluation computes", "" },
        { "SB1151", "    min: 0.9\n", "    min: 0.9\n    tag: ugli\n", "ugli", "tag 'ugli' in acceptance criterion 'answer_accuracy' is not a golden-set tag", "" },
        { "SB1152", "    min: 0.9\n", "    min: 0.9\n    confidence: 0.3\n", "0.3", "confidence in acceptance criterion 'answer_accuracy' must be between 0.5 and 0.999", "" },
        { "SB1153", "    min: 0.9\n", "    min: 90\n", "90\n", "'answer_accuracy' is a proportion, so 'min' must be between 0 and 1 (write 0.9 for 90%), not 90", "" },
        { "SB1154", "    min: 0.9\n", "    min: 0.9\n  - metric: answer_accuracy\n    min: 0.8\n", "metric: answer_accuracy\n    min: 0.8", "a second 'min' for 'answer_accuracy' overall (first on line 44)", "" },
        { "SB1155", "golden_set: golden-set.yaml", "golden_set: { path: golden-set.yaml, sha256: 0000000000000000000000000000000000000000000000000000000000000000 }", "0000000000000000000000000000000000000000000000000000000000000000", "golden set 'golden-set.yaml' has SHA-256 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881, but the manifest pins 0000000000000000000000000000000000000000000000000000000000000000: the cases changed after the bar was agreed; review the change, then update the pin (skybridge eval pin)", "readfile" },
        { "SB1156", "golden_set: golden-set.yaml", "golden_set: { path: golden-set.yaml, sha256: abc123 }", "abc123", "golden_set sha256 'abc123' is not a SHA-256", "" },
        { "SB1157", "    min: 0.9\n", "    min: 0.9\n  - metric: p95_latency_ms\n    max: 4000\n    confidence: 0.99\n", "0.99", "confidence in acceptance criterion 'p95_latency_ms' is ignored: 'p95_latency_ms' is compared directly", "" },
        { "SB1201", "    path: kb", "    path: ../secrets", "../secrets", "leaves the manifest's folder", "" },
        { "SB1202", "  trains_on_data: false", "  trains_on_data: true", "true", "nothing may train someone else's model", "" },
        { "SB1203", "  provider: builtin-extractive", "  provider: openai-compatible\n  endpoint: https://api.elsewhere.example/v1\n  model: gpt-x", "https://api.elsewhere", "is not on this installation's allowed list (https://llm.example.internal/v1)", "allowlist" },
        { "SB1204", "  provider: builtin-extractive", "  provider: openai-compatible\n  endpoint: http://llm.example.internal/v1\n  model: gpt-x", "http://llm", "uses plain http", "" },
        { "SB1206", "  trains_on_data: false", "  trains_on_data: false\n  redact_patterns: { customer_id: \"CUST-[0-9\" }", "\"CUST-[0-9", "redaction pattern 'customer_id' is not a valid regular expression", "" },
        { "SB1205", "  provider: builtin-extractive", "  provider: builtin-extractive\n  model: gpt-x", "gpt-x", "'endpoint' and 'model' are ignored", "" },
        { "SB1207", "    path: kb", "    path: knowledge-base", "knowledge-base", "source 'kb' reads from the folder 'knowledge-base', which does not exist next to the manifest", "nofolders" },
        { "SB1301", "  level: L0-draft", "  level: L1-approve-all", "L1-approve-all", "the workflow has evidence for at most L0-draft; a promotion gate must be passed first", "" },
        { "SB1302", "  level: L0-draft", "  level: halted", "halted", "only the kill switch halts a workflow", "" },
        { "SB1303", "golden_set: golden-set.yaml", "golden_set: golden.yaml", "golden.yaml", "golden set 'golden.yaml' was not found", "nofiles" },
        { "SB1304", "acceptance_bar:\n  - metric: answer_accuracy\n    min: 0.9\n", "", "id: demo-desk", "no acceptance bar", "" },
        { "SB1305", "    max: 30\n", "", "id: kb-fresh", "assumption 'kb-fresh' sets neither 'min' nor 'max'", "" },
        { "SB1306", "  level: L0-draft", "  level: L2-approve-consequential", "L2-approve", "nobody reviewing it", "evidenceL2" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Load_ReportsCodeAtBrokenText_WhenOnePlaceIsBroken(string code, string find, string replace, string anchor, string message, string context)
    {
        var text = With(find, replace);
        var validation = context switch
        {
            "allowlist" => AllFilesExist with { AllowedModelEndpoints = ["https://llm.example.internal/v1"] },
            "nofiles" => new ManifestValidationContext { FileExists = _ => false },
            "nofolders" => AllFilesExist with { FolderExists = p => p == "kb" },
            "evidenceL2" => AllFilesExist with { EvidencedLevel = AutonomyLevel.L2ApproveConsequential },
            "readfile" => AllFilesExist with { ReadFile = _ => "x"u8.ToArray() },
            _ => AllFilesExist,
        };

        var result = ManifestLoader.Load(text, FileName, validation);

        var diagnostic = Single(result, code);
        AssertAt(diagnostic, Locate(text, anchor));
        Assert.Contains(message, diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(diagnostic.IsError, !result.IsValid);
        Assert.Equal(result.IsValid, result.Manifest is not null);
    }

    [Fact]
    public void Cases_CoverEveryPublishedCode()
    {
        var published = typeof(DiagnosticCodes).GetFields().Select(f => (string)f.GetValue(null)!).ToHashSet();
        var tested = Cases.Select(row => ((ITheoryDataRow)row).GetData()[0] as string ?? string.Empty).Append(DiagnosticCodes.YamlSyntax)
            .Concat(Governance.PolicyLintTests.Cases.Select(row => ((ITheoryDataRow)row).GetData()[0] as string ?? string.Empty))
            .Concat(Evaluation.GoldenSetDiagnosticCodeTests.Cases.Select(row => ((ITheoryDataRow)row).GetData()[0] as string ?? string.Empty))
            .Concat(Evaluation.GoldenSetSourceCheckTests.Broken.Select(row => ((ITheoryDataRow)row).GetData()[0] as string ?? string.Empty))
            .ToHashSet();

        Assert.Empty(published.Except(tested));
    }

    [Fact]
    public void Load_SuggestsNearestKey_WhenKeyIsMisspelled()
    {
        var result = ManifestLoader.Load(With("    consequence: consequential", "    consequnce: consequential"), FileName, AllFilesExist);

        var diagnostic = Single(result, DiagnosticCodes.UnknownKey);
        Assert.Equal("consequence", diagnostic.Suggestion);
        Assert.Equal("demo.yaml:30:5: error SB1002: unknown key 'consequnce' in action 'refund'; did you mean 'consequence'?", diagnostic.ToString());
        Assert.DoesNotContain(result.Diagnostics, d => d.Code == DiagnosticCodes.MissingKey);
    }

    [Fact]
    public void Load_ListsValidLevels_WhenAutonomyLevelIsUnknown()
    {
        var result = ManifestLoader.Load(With("  level: L0-draft", "  level: L3-autopilot"), FileName, AllFilesExist);

        var diagnostic = Single(result, DiagnosticCodes.InvalidEnumValue);
        Assert.Contains("L0-draft, L1-approve-all, L2-approve-consequential", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WarnsButStaysValid_WhenAcceptanceBarMissingAtL0()
    {
        var result = ManifestLoader.Load(With("acceptance_bar:\n  - metric: answer_accuracy\n    min: 0.9\n", string.Empty), FileName, AllFilesExist);

        Assert.Equal(DiagnosticSeverity.Warning, Single(result, DiagnosticCodes.NoAcceptanceBar).Severity);
        Assert.True(result.IsValid);
        Assert.NotNull(result.Manifest);
    }
}
