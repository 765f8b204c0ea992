using System.Text.Json.Nodes;
using Skybridge.Application.Actions;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Actions;

/// <summary>
/// The action path on a real store: what runs at once, what waits for whom, and that an approved call runs exactly once
/// whatever retries, races and crashes happen around it.
/// </summary>
public sealed class ActionPipelineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Approver Lee = new("lee", []);
    private static readonly Approver Kim = new("kim", []);

    [Fact]
    public async Task Propose_SmallRefundAtL2_ExecutesOnce_AndTheTrailTellsItInOrder()
    {
        await using var f = await ActionFixture.StartAsync();
        var result = await f.Pipeline.ProposeAsync(ActionFixture.Refund(30, "k1"), Ct);

        Assert.Null(result.Refusal);
        Assert.Equal(ActionStatuses.Executed, result.Answer!.Status);
        Assert.Equal("ref-" + result.Answer.ActionId, (string?)result.Answer.Detail["reference"]);
        // Why it ran stays beside what it did.
        Assert.Contains("refund-small", result.Answer.Detail["rules"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(1, f.System.CallsByKey[result.Answer.ActionId]);
        Assert.Equal(["action.proposed", "policy.decided", "action.executed"], (await f.TrailAsync()).Select(e => e.Type));
    }

    [Fact]
    public async Task Propose_LargeRefund_WaitsForAnEligiblePerson_ThenExecutesOnce()
    {
        await using var f = await ActionFixture.StartAsync();
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(500, "k1"), Ct)).Answer!;
        Assert.Equal(ActionStatuses.PendingApproval, pending.Status);
        Assert.Contains("refund-large", pending.Detail["rules"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(f.System.CallsByKey);

        var outsider = await f.Approvals.DecideAsync(pending.ApprovalId!, new Approver("mallory", []), ApprovalVerdict.Approve, pending.CallDigest, null, null, Ct);
        Assert.Equal(ApprovalErrorCodes.NotEligible, outsider.Refusal!.Code);
        var wrongCall = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.Approve, new string('0', 64), null, null, Ct);
        Assert.Equal(ApprovalErrorCodes.DigestMismatch, wrongCall.Refusal!.Code);
        Assert.Empty(f.System.CallsByKey);

        var approved = await f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.Approve, pending.CallDigest, "order checked", null, Ct);
        Assert.True(approved.Succeeded, approved.Refusal?.Message);
        Assert.Equal(ActionStatuses.Executed, approved.Action!.Status);
        Assert.Equal(1, f.System.CallsByKey[pending.ActionId]);

        var again = await f.Approvals.DecideAsync(pending.ApprovalId!, Kim, ApprovalVerdict.Approve, pending.CallDigest, null, null, Ct);
        Assert.Equal(ApprovalErrorCodes.AlreadyDecided, again.Refusal!.Code);
        Assert.Equal(1, f.System.CallsByKey[pending.ActionId]);
        Assert.Equal(["action.proposed", "policy.decided", "approval.requested", "approval.decided", "approval.decided", "approval.decided", "action.executed", "approval.decided"],
            (await f.TrailAsync()).Select(e => e.Type));
    }

    [Fact]
    public async Task Decide_TwoApproversAtTheSameMoment_OneWins_AndTheCallRunsOnce()
    {
        await using var f = await ActionFixture.StartAsync();
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(500, "k1"), Ct)).Answer!;

        var decisions = await Task.WhenAll(
            f.Approvals.DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.Approve, pending.CallDigest, null, null, Ct),
            f.Approvals.DecideAsync(pending.ApprovalId!, Kim, ApprovalVerdict.Reject, pending.CallDigest, null, null, Ct));

        Assert.Single(decisions, d => d.Succeeded);
        var winner = decisions.Single(d => d.Succeeded);
        var action = await f.Store.GetActionAsync(pending.ActionId, Ct);
        Assert.Equal(winner.Approval!.Status == ApprovalStatuses.Approved ? ActionStatuses.Executed : ActionStatuses.Rejected, action!.Status);
        Assert.Equal(winner.Approval.Status == ApprovalStatuses.Approved ? 1 : 0, f.System.CallsByKey.GetValueOrDefault(pending.ActionId));
    }

    [Fact]
    public async Task Propose_RetryStormWithOneKey_MakesOneAction_AndOneCall()
    {
        await using var f = await ActionFixture.StartAsync();
        var answers = await Task.WhenAll(Enumerable.Range(0, 25).Select(_ => f.Pipeline.ProposeAsync(ActionFixture.Refund(30, "storm"), Ct)));

        Assert.All(answers, a => Assert.Null(a.Refusal));
        Assert.Single(answers.Select(a => a.Answer!.ActionId).Distinct());
        Assert.Single(f.System.CallsByKey);
        Assert.Single(await f.Store.ListCaseActionsAsync("case-1", Ct));

        var other = await f.Pipeline.ProposeAsync(ActionFixture.Refund(31, "storm"), Ct);
        Assert.Equal(ActionCodes.IdempotencyKeyReused, other.Refusal!.Code);
    }

    [Fact]
    public async Task Approve_ThenTheNodeDiesBeforeExecuting_TheOutboxRunsItOnce()
    {
        await using var f = await ActionFixture.StartAsync();
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(500, "k1"), Ct)).Answer!;
        // What a decision writes (the action moves to the outbox), and then the node is gone before it calls the system.
        Assert.True(await f.Store.TransitionActionAsync(pending.ActionId, ActionStatuses.PendingApproval, ActionStatuses.Approved, null, DateTimeOffset.UtcNow, Ct));
        Assert.Empty(f.System.CallsByKey);

        // Two outbox passes at once (two nodes): one claim wins, one call.
        await Task.WhenAll(f.Executor.ExecuteAsync(pending.ActionId, Ct), f.Executor.ExecuteAsync(pending.ActionId, Ct), f.Executor.ExecuteAsync(pending.ActionId, Ct));
        Assert.Equal(ActionStatuses.Executed, (await f.Store.GetActionAsync(pending.ActionId, Ct))!.Status);
        Assert.Equal(1, f.System.CallsByKey[pending.ActionId]);
        Assert.Single(await f.TrailAsync(), e => e.Type == "action.executed");
    }

    [Fact]
    public async Task Propose_AtL0_RecordsTheProposal_AndRunsNothing()
    {
        await using var f = await ActionFixture.StartAsync("L0-draft");
        var answer = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(30, "k1"), Ct)).Answer!;
        Assert.Equal(ActionStatuses.Recorded, answer.Status);
        Assert.Empty(f.System.CallsByKey);
    }

    [Fact]
    public async Task Propose_WhileHalted_IsDenied_AndRunsNothing()
    {
        await using var f = await ActionFixture.StartAsync();
        f.Halted = true;
        var answer = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(30, "k1"), Ct)).Answer!;
        Assert.Equal(ActionStatuses.Denied, answer.Status);
        Assert.Equal(ActionCodes.Halted, (string?)answer.Detail["code"]);
        Assert.Empty(f.System.CallsByKey);
    }

    [Fact]
    public async Task Propose_ParametersOffTheSchema_AreRefusedWithEveryProblem_AndRecorded()
    {
        await using var f = await ActionFixture.StartAsync();
        var proposal = ActionFixture.Refund(30, "k1") with { Parameters = new JsonObject { ["order_id"] = "nope", ["amount"] = "5000", ["note"] = "skip approval" } };
        var result = await f.Pipeline.ProposeAsync(proposal, Ct);

        Assert.Equal(ActionCodes.InvalidParameters, result.Refusal!.Code);
        Assert.Equal(4, result.Refusal.Problems!.Count); // unknown note, order_id pattern, amount type, currency missing
        Assert.Empty(f.System.CallsByKey);
        var trail = Assert.Single(await f.TrailAsync());
        Assert.Contains("\"outcome\":\"invalid\"", trail.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approval_Expired_FailsClosed_AndTheCallNeverRuns()
    {
        await using var f = await ActionFixture.StartAsync();
        var pending = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(500, "k1"), Ct)).Answer!;
        var approval = (await f.Store.GetApprovalAsync(pending.ApprovalId!, Ct))!;
        Assert.True(approval.ExpiresAt > DateTimeOffset.UtcNow);

        // An approval lives an hour here; deciding after that is refused and rejects the action.
        var late = await LateApprovals(f).DecideAsync(pending.ApprovalId!, Lee, ApprovalVerdict.Approve, pending.CallDigest, null, null, Ct);
        Assert.Equal(ApprovalErrorCodes.Expired, late.Refusal!.Code);
        Assert.Equal(ActionStatuses.Rejected, (await f.Store.GetActionAsync(pending.ActionId, Ct))!.Status);
        Assert.Equal(ApprovalStatuses.Expired, (await f.Store.GetApprovalAsync(pending.ApprovalId!, Ct))!.Status);
        Assert.Empty(f.System.CallsByKey);
    }

    private static Approvals.ApprovalService LateApprovals(ActionFixture f) =>
        new(f.Store, f.Ledger, f.Executor, new Later(TimeSpan.FromHours(2)), _ => false, f.Groups);

    private sealed class Later(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }
}
