using System.Text.Json.Nodes;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Tests.Governance;

public sealed class ApprovalRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly Approver Lead = new("lee", ["support-leads"]);
    private static readonly Approver OtherLead = new("kim", ["support-leads"]);
    private static readonly Approver Outsider = new("sam", ["support-qa"]);

    internal static ActionCall Call() => new()
    {
        WorkflowId = "support-desk",
        Action = "refund",
        Parameters = new JsonObject { ["order_id"] = "SO-000001", ["amount"] = 80, ["currency"] = "EUR" },
        CaseId = "case-1",
        AgentClientId = "support-desk/responder-1",
        AgentKeyThumbprint = "jkt-1",
        PolicyHash = "abc123",
        ManifestVersion = 3,
    };

    private static Approval Open(int approvers = 1, params string[] requesters) =>
        ApprovalRules.Open("ap-1", Call(), [new Principal(PrincipalKind.Group, "support-leads")], approvers, requesters, Now, TimeSpan.FromHours(1));

    private static ApprovalDecision Approve(Approver by, Approval approval, ApprovalVerdict verdict = ApprovalVerdict.Approve) =>
        new() { Verdict = verdict, By = by, CallDigest = approval.CallDigest, Comment = "ok" };

    [Fact]
    public void Decide_Approves_WhenAnEligiblePersonApprovesInTime()
    {
        var approval = Open();

        var result = ApprovalRules.Decide(approval, Approve(Lead, approval), Now.AddMinutes(5), halted: false);

        Assert.True(result.Succeeded);
        Assert.Equal(ApprovalStatus.Approved, result.Approval.Status);
        Assert.Equal(Now.AddMinutes(5), result.Approval.ClosedAt);
        Assert.Equal("lee", Assert.Single(result.Approval.Votes).UserName);
    }

    [Fact]
    public void Decide_Rejects_AndTheCallNeverRuns()
    {
        var approval = Open();

        var result = ApprovalRules.Decide(approval, Approve(Lead, approval, ApprovalVerdict.Reject), Now, halted: false);

        Assert.Equal(ApprovalStatus.Rejected, result.Approval.Status);
    }

    [Fact]
    public void Decide_FailsClosed_WhenExpired()
    {
        var approval = Open();

        var result = ApprovalRules.Decide(approval, Approve(Lead, approval), Now.AddHours(1), halted: false);

        Assert.Equal(ApprovalErrorCodes.Expired, result.Refusal?.Code);
        Assert.Equal(ApprovalStatus.Expired, result.Approval.Status);
        Assert.Equal(ApprovalStatus.Expired, ApprovalRules.ExpireIfDue(approval, Now.AddHours(2)).Status);
        Assert.Equal(ApprovalStatus.Pending, ApprovalRules.ExpireIfDue(approval, Now.AddMinutes(59)).Status);
    }

    [Fact]
    public void Decide_RefusesSelfApproval_EvenByAnEligiblePerson()
    {
        var approval = Open(1, "lee");

        var result = ApprovalRules.Decide(approval, Approve(Lead, approval), Now, halted: false);

        Assert.Equal(ApprovalErrorCodes.SelfApproval, result.Refusal?.Code);
        Assert.Equal(ApprovalStatus.Pending, result.Approval.Status);
    }

    [Fact]
    public void Decide_RefusesPersonOutsideTheAuthority()
    {
        var approval = Open();

        var result = ApprovalRules.Decide(approval, Approve(Outsider, approval), Now, halted: false);

        Assert.Equal(ApprovalErrorCodes.NotEligible, result.Refusal?.Code);
        Assert.Contains("eligible: group:support-leads", result.Refusal!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_RefusesASecondDecision()
    {
        var approval = Open();
        var approved = ApprovalRules.Decide(approval, Approve(Lead, approval), Now, halted: false).Approval;

        var again = ApprovalRules.Decide(approved, Approve(OtherLead, approval, ApprovalVerdict.Reject), Now, halted: false);

        Assert.Equal(ApprovalErrorCodes.AlreadyDecided, again.Refusal?.Code);
        Assert.Equal(ApprovalStatus.Approved, again.Approval.Status);
    }

    [Fact]
    public void Decide_NeedsTwoDistinctPeople_WhenTheRuleAsksForTwo()
    {
        var approval = Open(2);

        var first = ApprovalRules.Decide(approval, Approve(Lead, approval), Now, halted: false).Approval;
        var same = ApprovalRules.Decide(first, Approve(Lead, approval), Now, halted: false);
        var second = ApprovalRules.Decide(first, Approve(OtherLead, approval), Now, halted: false);

        Assert.Equal(ApprovalStatus.Pending, first.Status);
        Assert.Equal(ApprovalErrorCodes.AlreadyVoted, same.Refusal?.Code);
        Assert.Equal(ApprovalStatus.Approved, second.Approval.Status);
        Assert.Equal(["lee", "kim"], second.Approval.Votes.Select(v => v.UserName));
    }

    [Fact]
    public void Decide_IsFrozen_WhileHalted()
    {
        var approval = Open();

        var result = ApprovalRules.Decide(approval, Approve(Lead, approval), Now, halted: true);

        Assert.Equal(ApprovalErrorCodes.Frozen, result.Refusal?.Code);
        Assert.Equal(ApprovalStatus.Pending, result.Approval.Status);
    }

    [Fact]
    public void Decide_RefusesDecisionForAnotherCall()
    {
        var approval = Open();
        var other = Call() with { CaseId = "case-2" };

        var result = ApprovalRules.Decide(approval, Approve(Lead, approval) with { CallDigest = CallDigest.Compute(other) }, Now, halted: false);

        Assert.Equal(ApprovalErrorCodes.DigestMismatch, result.Refusal?.Code);
    }

    [Fact]
    public void Decide_ApproveWithEdits_MakesANewCallWithItsOwnDigest()
    {
        var approval = Open();
        var edited = new JsonObject { ["order_id"] = "SO-000001", ["amount"] = 40, ["currency"] = "EUR" };

        var result = ApprovalRules.Decide(approval, Approve(Lead, approval, ApprovalVerdict.ApproveWithEdits) with { EditedParameters = edited }, Now, halted: false);
        var unchanged = ApprovalRules.Decide(approval, Approve(Lead, approval, ApprovalVerdict.ApproveWithEdits) with { EditedParameters = new JsonObject { ["currency"] = "EUR", ["amount"] = 80.0, ["order_id"] = "SO-000001" } }, Now, halted: false);

        Assert.Equal(ApprovalStatus.ApprovedWithEdits, result.Approval.Status);
        Assert.Equal(40, result.Approval.EditedCall!.Parameters["amount"]!.GetValue<int>());
        Assert.NotEqual(approval.CallDigest, CallDigest.Compute(result.Approval.EditedCall));
        Assert.Equal(ApprovalErrorCodes.InvalidEdits, unchanged.Refusal?.Code);
    }
}
