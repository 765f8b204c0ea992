using System.Text.Json.Nodes;
using Skybridge.Application.Actions;
using Skybridge.Application.Approvals;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Actions;

/// <summary>
/// Approve-with-edits on a real store: the original call never runs and points to its successor; the edited call is a
/// new proposal that policy decides again, which its editor cannot approve; bad edits change nothing; a retried edit
/// is the same new action.
/// </summary>
public sealed class ApproveWithEditsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Approver Lee = new("lee", []);
    private static readonly Approver Kim = new("kim", []);

    private static JsonObject Refund(double amount) => new() { ["order_id"] = "SO-000001", ["amount"] = amount, ["currency"] = "EUR" };

    [Fact]
    public async Task DecideWithEdits_DownToAnAllowedAmount_ExecutesTheEditOnce_AndTheOriginalNever()
    {
        await using var f = await ActionFixture.StartAsync();
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(300, "k1"), Ct)).Answer!;

        var edited = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, "40 is what the order allows", Refund(40), Ct);

        Assert.True(edited.Succeeded, edited.Refusal?.Message);
        Assert.Equal(ApprovalStatuses.ApprovedWithEdits, edited.Approval!.Status);
        var successor = edited.Action!;
        Assert.NotEqual(pending.ActionId, successor.ActionId);
        Assert.Equal(ActionStatuses.Executed, successor.Status);
        Assert.Equal(1, f.System.CallsByKey[successor.ActionId]);
        Assert.False(f.System.CallsByKey.ContainsKey(pending.ActionId));
        Assert.Contains("\"amount\":40", Assert.Single(f.System.Done), StringComparison.Ordinal);

        // The original ends, not executed, pointing to its successor; the successor knows where it came from.
        var original = (await f.Store.GetActionAsync(pending.ActionId, Ct))!;
        Assert.Equal(ActionStatuses.Rejected, original.Status);
        Assert.Equal(successor.ActionId, (string?)JsonNode.Parse(original.Detail!)!["successor"]);
        var stored = (await f.Store.GetActionAsync(successor.ActionId, Ct))!;
        Assert.Equal(pending.ActionId, (await f.Approvals.EditedFromAsync(stored, Ct))!.Id);
        Assert.Equal(original.Requester, stored.Requester);
        Assert.Equal(original.CaseId, stored.CaseId);

        // The decision's event carries digests of the parameters and the new action's id, never the parameters.
        var decided = (await f.TrailAsync()).Single(e => e.Type == LedgerEventTypes.ApprovalDecided);
        var edits = JsonNode.Parse(decided.Body)!["content"]!["edits"]!;
        Assert.Equal(successor.ActionId, (string?)edits["action_id"]);
        Assert.Equal(64, ((string)edits["parameters_before"]!).Length);
        Assert.NotEqual((string?)edits["parameters_before"], (string?)edits["parameters_after"]);
        Assert.DoesNotContain("SO-000001", decided.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideWithEdits_StillNeedsApproval_TheEditorIsRefused_ASecondPersonApprovesIt()
    {
        await using var f = await ActionFixture.StartAsync();
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(300, "k1"), Ct)).Answer!;

        var edited = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, Refund(200), Ct);
        Assert.True(edited.Succeeded, edited.Refusal?.Message);
        var successor = edited.Action!;
        Assert.Equal(ActionStatuses.PendingApproval, successor.Status);
        Assert.NotEqual(pending.ApprovalId, successor.ApprovalId);
        Assert.Empty(f.System.CallsByKey);

        // Lee asked for the edited call: another eligible person must decide it.
        var self = await f.Approvals.DecideAsync(successor.ApprovalId!, Lee, ApprovalVerdict.Approve, successor.CallDigest, null, null, Ct);
        Assert.Equal(ApprovalErrorCodes.SelfApproval, self.Refusal!.Code);
        Assert.Empty(f.System.CallsByKey);

        var approved = await f.Approvals.DecideAsync(successor.ApprovalId!, Kim, ApprovalVerdict.Approve, successor.CallDigest, null, null, Ct);
        Assert.True(approved.Succeeded, approved.Refusal?.Message);
        Assert.Equal(ActionStatuses.Executed, approved.Action!.Status);
        Assert.Equal(1, f.System.CallsByKey[successor.ActionId]);
        Assert.Contains("\"amount\":200", Assert.Single(f.System.Done), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecideWithEdits_ToADeniedCall_IsDeniedWithTheExplanation()
    {
        // A rule forbidding refunds over 250 EUR: an edit up to 280 is denied, not approved.
        await using var f = await ActionFixture.StartAsync(extraRule: "    - id: refund-cap\n      effect: forbid\n      principals: [role:responder]\n      actions: [refund]\n      when: { amount: { gt: 250 } }\n");
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(100, "k1"), Ct)).Answer!;
        Assert.Equal(ActionStatuses.PendingApproval, pending.Status);

        var edited = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, Refund(280), Ct);

        Assert.True(edited.Succeeded, edited.Refusal?.Message);
        Assert.Equal(ActionStatuses.Denied, edited.Action!.Status);
        Assert.Contains("refund-cap", edited.Action.Detail["rules"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(f.System.CallsByKey);
    }

    [Fact]
    public async Task DecideWithEdits_InvalidParameters_ReportsEveryProblem_AndLeavesTheOriginalPending()
    {
        await using var f = await ActionFixture.StartAsync();
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(300, "k1"), Ct)).Answer!;

        var bad = new JsonObject { ["order_id"] = "SO-000001", ["amount"] = "forty", ["currency"] = "EUR", ["note"] = "x" };
        var edited = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, bad, Ct);

        Assert.Equal(ActionCodes.InvalidParameters, edited.Refusal!.Code);
        Assert.True(edited.Problems!.Count >= 2, edited.Problems.ToJsonString());
        Assert.All(edited.Problems, p => Assert.False(string.IsNullOrEmpty((string?)p!["code"])));
        Assert.Equal(ApprovalStatuses.Pending, (await f.Store.GetApprovalAsync(pending.ApprovalId!, Ct))!.Status);
        Assert.Equal(ActionStatuses.PendingApproval, (await f.Store.GetActionAsync(pending.ActionId, Ct))!.Status);
        Assert.Single(await f.Store.ListCaseActionsAsync("case-1", Ct));

        // Still decidable as it was.
        var approved = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.Approve, pending.CallDigest, null, null, Ct);
        Assert.Equal(ActionStatuses.Executed, approved.Action!.Status);
    }

    [Fact]
    public async Task DecideWithEdits_Retried_IsTheSameNewAction_NeverTwo()
    {
        await using var f = await ActionFixture.StartAsync();
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(300, "k1"), Ct)).Answer!;

        var first = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, Refund(40), Ct);
        var again = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, Refund(40), Ct);
        var racing = await Task.WhenAll(
            f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, Refund(40), Ct),
            f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, Refund(40), Ct));

        Assert.True(again.Succeeded, again.Refusal?.Message);
        Assert.Equal(first.Action!.ActionId, again.Action!.ActionId);
        Assert.All(racing, r => Assert.Equal(first.Action.ActionId, r.Action!.ActionId));
        Assert.Equal(2, (await f.Store.ListCaseActionsAsync("case-1", Ct)).Count);
        Assert.Equal(1, f.System.CallsByKey[first.Action.ActionId]);

        // Another edit, or another person, after the decision: decided once.
        var other = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, Refund(45), Ct);
        Assert.Equal(ApprovalErrorCodes.AlreadyDecided, other.Refusal!.Code);
        var kim = await f.Approvals.DecideAsync(pending.ApprovalId!, Kim, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, Refund(40), Ct);
        Assert.Equal(ApprovalErrorCodes.AlreadyDecided, kim.Refusal!.Code);
        Assert.Equal(2, (await f.Store.ListCaseActionsAsync("case-1", Ct)).Count);
    }

    [Fact]
    public async Task DecideWithEdits_AfterExpiry_IsRefused_AndNothingIsProposed()
    {
        await using var f = await ActionFixture.StartAsync();
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(300, "k1"), Ct)).Answer!;

        var late = new ApprovalService(f.Store, f.Ledger, f.Executor, new Later(TimeSpan.FromHours(2)), _ => false, f.Groups, f.Editing);
        var edited = await late.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, Refund(40), Ct);

        Assert.Equal(ApprovalErrorCodes.Expired, edited.Refusal!.Code);
        Assert.Equal(ApprovalStatuses.Expired, (await f.Store.GetApprovalAsync(pending.ApprovalId!, Ct))!.Status);
        Assert.Single(await f.Store.ListCaseActionsAsync("case-1", Ct));
        Assert.Empty(f.System.CallsByKey);
    }

    [Fact]
    public async Task DecideWithEdits_WhileHalted_IsRefusedAsFrozen_AndTheOriginalStaysPending()
    {
        await using var f = await ActionFixture.StartAsync();
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(300, "k1"), Ct)).Answer!;
        f.Halted = true;

        var edited = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.ApproveWithEdits, pending.CallDigest, null, Refund(40), Ct);

        Assert.Equal(ApprovalErrorCodes.Frozen, edited.Refusal!.Code);
        Assert.Equal(ApprovalStatuses.Pending, (await f.Store.GetApprovalAsync(pending.ApprovalId!, Ct))!.Status);
        Assert.Single(await f.Store.ListCaseActionsAsync("case-1", Ct));
        Assert.Empty(f.System.CallsByKey);
    }

    [Fact]
    public async Task EditedFrom_AnAgentKeyThatLooksDerived_IsNotAnEdit()
    {
        await using var f = await ActionFixture.StartAsync();
        var first = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(300, "k1"), Ct)).Answer!;
        var forged = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(20, ApprovalService.EditKeyPrefix + first.ActionId + ":x"), Ct)).Answer!;

        Assert.Null(await f.Approvals.EditedFromAsync((await f.Store.GetActionAsync(forged.ActionId, Ct))!, Ct));
    }

    private sealed class Later(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + ahead;
    }
}
