using System.Text.Json.Nodes;
using Skybridge.Application.Actions;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Actions;

/// <summary>
/// The kill switch and queued actions on a real store: a halt holds what is queued (never drops it, never stops what is
/// already at the system), and a resume decides every held action again against the policy active at that moment.
/// </summary>
public sealed class HaltedActionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Written while the workflow was halted: refunds above 35 EUR now need a lead, above 45 EUR they are refused.
    private const string StricterRules =
        "    - id: refund-mid-reviewed\n      description: Mid-sized refunds are reviewed again.\n      effect: permit\n      principals: [role:responder]\n" +
        "      actions: [refund]\n      when: { amount: { gt: 35 } }\n      approval: required\n" +
        "    - id: refund-over-45-stopped\n      description: Refunds above 45 EUR are stopped.\n      effect: forbid\n      principals: [role:responder]\n" +
        "      actions: [refund]\n      when: { amount: { gt: 45 } }\n";

    [Fact]
    public async Task HoldWorkflow_QueuedActions_AreHeldNotDropped_AndAClaimedOneIsLeftToFinish()
    {
        await using var f = await ActionFixture.StartAsync();
        var a = await QueuedAsync(f, 30, "k1");
        var b = await QueuedAsync(f, 40, "k2");
        var claimed = await QueuedAsync(f, 20, "k3", ActionStatuses.Executing);

        var held = await ActionHolds.HoldWorkflowAsync(f.Store, f.Ledger, "support-desk", "incident 42", DateTimeOffset.UtcNow, Ct);

        Assert.Equal(2, held);
        Assert.Equal(ActionStatuses.Held, (await f.Store.GetActionAsync(a.Id, Ct))!.Status);
        Assert.Equal(ActionStatuses.Held, (await f.Store.GetActionAsync(b.Id, Ct))!.Status);
        Assert.Equal(ActionStatuses.Executing, (await f.Store.GetActionAsync(claimed.Id, Ct))!.Status);
        Assert.Equal(2, (await f.TrailAsync()).Count(e => e.Type == LedgerEventTypes.ActionHeld && e.Body.Contains("incident 42", StringComparison.Ordinal)));

        // A held action is not run by the outbox's executor, even though the switch itself is off in this fixture.
        Assert.Equal(ActionStatuses.Held, (await f.Executor.ExecuteAsync(a.Id, Ct))!.Status);
        Assert.Empty(f.System.CallsByKey);
    }

    [Fact]
    public async Task RecheckHeld_AfterResume_DecidesEachActionAgainstTheCurrentPolicy()
    {
        await using var f = await ActionFixture.StartAsync();
        var stillAllowed = await QueuedAsync(f, 30, "k1");
        var nowReviewed = await QueuedAsync(f, 40, "k2");
        var nowForbidden = await QueuedAsync(f, 50, "k3");
        await ActionHolds.HoldWorkflowAsync(f.Store, f.Ledger, "support-desk", "incident 42", DateTimeOffset.UtcNow, Ct);
        await using (var v2 = await ActionFixture.StartAsync(extraRule: StricterRules))
        {
            f.Active = v2.Active with { Version = 2 };
        }

        var allowed = await RecheckAsync(f, stillAllowed.Id);
        var reviewed = await RecheckAsync(f, nowReviewed.Id);
        var forbidden = await RecheckAsync(f, nowForbidden.Id);

        Assert.Equal(ActionStatuses.Approved, allowed!.Status);
        Assert.Equal(ActionStatuses.Executed, (await f.Executor.ExecuteAsync(allowed.Id, Ct))!.Status);
        Assert.Equal(1, f.System.CallsByKey[allowed.Id]);

        Assert.Equal(ActionStatuses.PendingApproval, reviewed!.Status);
        Assert.Equal(2, reviewed.ManifestVersion);
        Assert.NotEqual(nowReviewed.CallDigest, reviewed.CallDigest);
        var approval = await f.Store.GetApprovalAsync(reviewed.ApprovalId!, Ct);
        Assert.Equal(ApprovalStatuses.Pending, approval!.Status);
        Assert.Equal(reviewed.CallDigest, approval.CallDigest);
        Assert.Contains("refund-mid-reviewed", reviewed.Detail, StringComparison.Ordinal);

        Assert.Equal(ActionStatuses.Denied, forbidden!.Status);
        var why = JsonNode.Parse(forbidden.Detail!)!;
        Assert.Equal(ActionCodes.DeniedByPolicy, (string?)why["code"]);
        Assert.Contains("refund-over-45-stopped", why["rules"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.False(f.System.CallsByKey.ContainsKey(nowReviewed.Id) || f.System.CallsByKey.ContainsKey(nowForbidden.Id));

        var trail = await f.TrailAsync();
        Assert.Equal(["approved", "pending_approval", "denied"], trail.Where(e => e.Type == LedgerEventTypes.ActionRechecked).Select(e => (string?)JsonNode.Parse(e.Body)!["outcome"]));
        Assert.Equal(3, trail.Count(e => e.Type == LedgerEventTypes.PolicyDecided));
        Assert.Equal(3, trail.Count(e => e.Type == LedgerEventTypes.ActionProposed)); // the proposals, not repeated
    }

    [Fact]
    public async Task RecheckHeld_ByTwoNodesAtOnce_IsDecidedOnce()
    {
        await using var f = await ActionFixture.StartAsync();
        var queued = await QueuedAsync(f, 30, "k1");
        await ActionHolds.HoldWorkflowAsync(f.Store, f.Ledger, "support-desk", "incident 42", DateTimeOffset.UtcNow, Ct);
        var held = (await f.Store.GetActionAsync(queued.Id, Ct))!;

        var first = await f.Pipeline.RecheckHeldAsync(held, "responder", [LedgerActor.Agent(held.Requester)], Ct);
        var second = await f.Pipeline.RecheckHeldAsync(held, "responder", [LedgerActor.Agent(held.Requester)], Ct);

        Assert.Equal(ActionStatuses.Approved, first!.Status);
        Assert.Null(second);
        Assert.Single(await f.TrailAsync(), e => e.Type == LedgerEventTypes.ActionRechecked);
    }

    [Fact]
    public async Task RecheckHeld_HaltedAgainMeanwhile_StaysHeld()
    {
        await using var f = await ActionFixture.StartAsync();
        var queued = await QueuedAsync(f, 30, "k1");
        await ActionHolds.HoldWorkflowAsync(f.Store, f.Ledger, "support-desk", "incident 42", DateTimeOffset.UtcNow, Ct);
        f.Halted = true;

        var after = await RecheckAsync(f, queued.Id);

        Assert.Equal(ActionStatuses.Held, after!.Status);
        Assert.Equal(ActionStatuses.Held, (await f.Store.GetActionAsync(queued.Id, Ct))!.Status);
        Assert.DoesNotContain(await f.TrailAsync(), e => e.Type == LedgerEventTypes.ActionRechecked);
    }

    private static async Task<StoredAction?> RecheckAsync(ActionFixture f, string actionId)
    {
        var held = (await f.Store.GetActionAsync(actionId, Ct))!;
        return await f.Pipeline.RecheckHeldAsync(held, "responder", [LedgerActor.Agent(held.Requester)], Ct);
    }

    /// <summary>An action allowed (or approved) and queued for the outbox, as the action path leaves it.</summary>
    private static async Task<StoredAction> QueuedAsync(ActionFixture f, double amount, string key, string status = ActionStatuses.Approved)
    {
        var proposal = ActionFixture.Refund(amount, key);
        var now = DateTimeOffset.UtcNow;
        var stored = new StoredAction
        {
            Id = "act-" + key + "0000000000",
            WorkflowId = proposal.WorkflowId,
            ManifestVersion = 1,
            CaseId = proposal.CaseId,
            Action = proposal.Action,
            Parameters = CanonicalJson.ToCanonicalString(proposal.Parameters),
            CallDigest = TextDigest.Sha256(key),
            Requester = proposal.Requester,
            RequesterKey = proposal.RequesterKey,
            IdempotencyKey = key,
            Status = status,
            Detail = "{}",
            CreatedAt = now,
            UpdatedAt = now,
        };
        await f.Ledger.AppendAsync([new LedgerEntry
        {
            Type = LedgerEventTypes.ActionProposed,
            Actors = proposal.Actors,
            WorkflowId = proposal.WorkflowId,
            CaseId = proposal.CaseId,
            Resource = new LedgerResource("action", stored.Id),
            Outcome = "proposed",
        }], [new ActionRecordedRow(stored)], Ct);
        return stored;
    }
}
