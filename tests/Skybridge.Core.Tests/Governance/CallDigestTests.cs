using System.Text.Json.Nodes;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Core.Ledger;

namespace Skybridge.Core.Tests.Governance;

public sealed class CallDigestTests
{
    [Fact]
    public void Compute_IsStable_AcrossMemberOrderAndNumberSpelling()
    {
        var call = ApprovalRulesTests.Call();
        var reordered = call with { Parameters = new JsonObject { ["currency"] = "EUR", ["amount"] = 80.0, ["order_id"] = "SO-000001" } };

        Assert.Equal(CallDigest.Compute(call), CallDigest.Compute(reordered));
        Assert.Matches("^[0-9a-f]{64}$", CallDigest.Compute(call));
        Assert.Equal(
            """{"action":"refund","agent":"support-desk/responder-1","agent_jkt":"jkt-1","case":"case-1","manifest_version":3,"parameters":{"amount":80,"currency":"EUR","order_id":"SO-000001"},"policy":"abc123","v":1,"workflow":"support-desk"}""",
            CallDigest.CanonicalForm(call));
    }

    public static TheoryData<string> Fields => ["workflow", "action", "parameters", "case", "agent", "agent_jkt", "policy", "manifest_version"];

    [Theory]
    [MemberData(nameof(Fields))]
    public void Compute_Changes_WhenAnyBoundFieldChanges(string field)
    {
        var call = ApprovalRulesTests.Call();
        var changed = field switch
        {
            "workflow" => call with { WorkflowId = "other-desk" },
            "action" => call with { Action = "reply" },
            "parameters" => call with { Parameters = new JsonObject { ["order_id"] = "SO-000001", ["amount"] = 81, ["currency"] = "EUR" } },
            "case" => call with { CaseId = "case-2" },
            "agent" => call with { AgentClientId = "support-desk/responder-2" },
            "agent_jkt" => call with { AgentKeyThumbprint = "jkt-2" },
            "policy" => call with { PolicyHash = "abc124" },
            _ => call with { ManifestVersion = 4 },
        };

        Assert.NotEqual(CallDigest.Compute(call), CallDigest.Compute(changed));
    }

    [Fact]
    public void Compute_DoesNotTouchTheCallsParameters()
    {
        var call = ApprovalRulesTests.Call();

        _ = CallDigest.Compute(call);
        _ = CallDigest.Compute(call);

        Assert.Null(call.Parameters.Parent);
    }

    public static TheoryData<string, string> Awkward => new()
    {
        { "re\"fund\\", "case \u0001\n\u2028é😀" },
        { "a", "" },
    };

    [Theory]
    [MemberData(nameof(Awkward))]
    public void CanonicalForm_EqualsTheGeneralCanonicaliser_ForAnyCall(string action, string caseId)
    {
        var call = ApprovalRulesTests.Call() with
        {
            Action = action,
            CaseId = caseId,
            AgentClientId = "agent <&>",
            ManifestVersion = -12,
            Parameters = new JsonObject { ["z"] = new JsonArray(1.5, "x\ty", null), ["amount"] = 1e21, ["nested"] = new JsonObject { ["b"] = true, ["a"] = "é" } },
        };
        var general = CanonicalJson.ToCanonicalString(new JsonObject
        {
            ["v"] = CallDigest.FormatVersion,
            ["workflow"] = call.WorkflowId,
            ["action"] = call.Action,
            ["parameters"] = call.Parameters.DeepClone(),
            ["case"] = call.CaseId,
            ["agent"] = call.AgentClientId,
            ["agent_jkt"] = call.AgentKeyThumbprint,
            ["policy"] = call.PolicyHash,
            ["manifest_version"] = call.ManifestVersion,
        });

        Assert.Equal(general, CallDigest.CanonicalForm(call));
        Assert.Equal(CallDigest.Compute(call), CallDigest.Compute(call, CanonicalJson.ToCanonicalString(call.Parameters)));
    }

    [Fact]
    public void Compute_EqualsTheDigestOfTheCanonicalForm_WhenLargeAndSmallCallsAlternate()
    {
        // The digest is hashed from a kept builder and a pooled buffer: a small call after a large one digests alone.
        var small = ApprovalRulesTests.Call();
        var large = small with { Parameters = new JsonObject { ["body"] = new string('y', 40_000) + "é😀", ["amount"] = 2.5 } };
        foreach (var call in new[] { large, small, large, small, small })
        {
            var canonicalParameters = CanonicalJson.ToCanonicalString(call.Parameters);
            Assert.Equal(TextDigest.Sha256(CallDigest.CanonicalForm(call)), CallDigest.Compute(call, canonicalParameters));
            Assert.Equal(TextDigest.Sha256(CallDigest.CanonicalForm(call)), CallDigest.Compute(call));
        }
    }
}
