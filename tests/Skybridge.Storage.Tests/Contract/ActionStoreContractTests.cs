using Skybridge.Storage.Tests.Support;

namespace Skybridge.Storage.Tests.Contract;

/// <summary>Actions and approvals, written with their ledger events, on both databases.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset ActionT0 = new DateTimeOffset(2026, 11, 3, 14, 5, 0, TimeSpan.Zero).AddTicks(9876540);

    private static StoredAction ProposedAction(string id, string requester = "agent-responder", string key = "key-1", string status = ActionStatuses.Approved, int minute = 0) => new()
    {
        Id = id,
        WorkflowId = "support-desk",
        ManifestVersion = 3,
        CaseId = "case-7",
        Action = "refund",
        Parameters = "{\"amount\":40,\"currency\":\"EUR\"}",
        CallDigest = "sha256:" + id,
        Requester = requester,
        RequesterKey = "thumb-" + requester,
        IdempotencyKey = key,
        Status = status,
        Detail = "{\"decided_by\":[\"refund-small\"]}",
        ApprovalId = null,
        CreatedAt = ActionT0.AddMinutes(minute),
        UpdatedAt = ActionT0.AddMinutes(minute),
    };

    private static StoredApproval RequestedApproval(string id, string actionId, string workflow = "support-desk", string action = "refund", int minute = 0) => new()
    {
        Id = id,
        ActionId = actionId,
        WorkflowId = workflow,
        CaseId = "case-7",
        Action = action,
        CallDigest = "sha256:" + actionId,
        Status = ApprovalStatuses.Pending,
        RequiredApprovers = 2,
        Eligible = "[\"group:support-leads\"]",
        Requesters = "[\"agent:agent-responder\",\"user:dana\"]",
        Revision = 1,
        CreatedAt = ActionT0.AddMinutes(minute),
        ExpiresAt = ActionT0.AddMinutes(minute).AddHours(24),
    };

    /// <summary>One event for <paramref name="caseTag"/> with <paramref name="rows"/>, appended through <paramref name="store"/>.</summary>
    private static Task<LedgerHead> RecordAsync(ISkybridgeStore store, string caseTag, params RecordedRow[] rows) =>
        LedgerAppends.AppendOneAsync(store, seq => ($"{caseTag}-{seq}", "action.proposed", "support-desk", caseTag, ActionT0, $"{{\"seq\":{seq},\"tag\":\"{caseTag}\"}}"), Ct, rows);

    [Fact]
    public async Task Actions_ProposalWithItsApproval_RoundTripsEveryMember()
    {
        var action = ProposedAction("act-1", status: ActionStatuses.PendingApproval) with { ApprovalId = "apr-1" };
        var approval = RequestedApproval("apr-1", "act-1") with { Votes = "[{\"who\":\"user:olu\",\"verdict\":\"approve\"}]" };

        await RecordAsync(Store, "case-7", new ActionRecordedRow(action), new ApprovalRecordedRow(approval));

        Assert.Equal(action, await Store.GetActionAsync("act-1", Ct));
        Assert.Equal(action, await Store.FindActionAsync("agent-responder", "key-1", Ct));
        Assert.Equal([action], await Store.ListCaseActionsAsync("case-7", Ct));
        Assert.Equal(approval, await Store.GetApprovalAsync("apr-1", Ct));
        Assert.Single(await Store.ReadLedgerCaseAsync("case-7", Ct));

        Assert.Null(await Store.GetActionAsync("act-unknown", Ct));
        Assert.Null(await Store.FindActionAsync("agent-responder", "key-unknown", Ct));
        Assert.Null(await Store.FindActionAsync("agent-other", "key-1", Ct));
        Assert.Empty(await Store.ListCaseActionsAsync("case-unknown", Ct));
        Assert.Null(await Store.GetApprovalAsync("apr-unknown", Ct));
    }

    [Fact]
    public async Task Actions_SameIdempotencyKeyFromTheSameRequester_ConflictsAndWritesNothingOfTheRetry()
    {
        var first = ProposedAction("act-1");
        await RecordAsync(Store, "case-7", new ActionRecordedRow(first));
        var before = await Store.GetLedgerHeadAsync(Ct);

        // The approval row comes first, so it is written before the action's insert collides: it must be rolled back too.
        var retry = ProposedAction("act-2") with { Parameters = "{\"amount\":5000}" };
        var conflict = await Assert.ThrowsAsync<StoreConflictException>(() =>
            RecordAsync(Store, "case-retry", new ApprovalRecordedRow(RequestedApproval("apr-2", "act-2")), new ActionRecordedRow(retry)));

        Assert.Contains("idempotency key", conflict.Message, StringComparison.Ordinal);
        Assert.Equal(before, await Store.GetLedgerHeadAsync(Ct), LedgerHeadComparer.Instance);
        Assert.Empty(await Store.ReadLedgerCaseAsync("case-retry", Ct));
        Assert.Null(await Store.GetActionAsync("act-2", Ct));
        Assert.Null(await Store.GetApprovalAsync("apr-2", Ct));
        // The retry finds the first answer.
        Assert.Equal(first, await Store.FindActionAsync("agent-responder", "key-1", Ct));
    }

    [Fact]
    public async Task Actions_SameIdempotencyKeyFromAnotherRequester_IsAnotherAction()
    {
        await RecordAsync(Store, "case-7", new ActionRecordedRow(ProposedAction("act-1", requester: "agent-a")));
        await RecordAsync(Store, "case-7", new ActionRecordedRow(ProposedAction("act-2", requester: "agent-b", minute: 1)));

        Assert.Equal("act-1", (await Store.FindActionAsync("agent-a", "key-1", Ct))?.Id);
        Assert.Equal("act-2", (await Store.FindActionAsync("agent-b", "key-1", Ct))?.Id);
        Assert.Equal(["act-1", "act-2"], (await Store.ListCaseActionsAsync("case-7", Ct)).Select(a => a.Id));
    }

    [Fact]
    public async Task TransitionAction_TwoNodesClaimingTheSameActionsAtOnce_EachActionHasExactlyOneWinner()
    {
        const int Count = 10;
        for (var i = 0; i < Count; i++)
        {
            await RecordAsync(Store, "case-7", new ActionRecordedRow(ProposedAction($"act-{i}", key: $"key-{i}", minute: i)));
        }

        await using var second = OpenSecondInstance();
        var claimedAt = ActionT0.AddHours(1);
        var claims = await Task.WhenAll(Enumerable.Range(0, Count).SelectMany(i => new[] { Store, second }.Select(node =>
            node.TransitionActionAsync($"act-{i}", ActionStatuses.Approved, ActionStatuses.Executing, null, claimedAt, Ct))));

        for (var i = 0; i < Count; i++)
        {
            Assert.Equal(1, claims.Skip(2 * i).Take(2).Count(won => won));
            var claimed = await Store.GetActionAsync($"act-{i}", Ct);
            Assert.Equal((ActionStatuses.Executing, claimedAt), (claimed!.Status, claimed.UpdatedAt));
            // A claim without a detail keeps the policy's explanation.
            Assert.Equal("{\"decided_by\":[\"refund-small\"]}", claimed.Detail);
        }

        Assert.Empty(await Store.ListActionsByStatusAsync(ActionStatuses.Approved, 100, Ct));
    }

    [Fact]
    public async Task TransitionAction_FromAStatusItIsNoLongerIn_ChangesNothing()
    {
        await RecordAsync(Store, "case-7", new ActionRecordedRow(ProposedAction("act-1", status: ActionStatuses.Executing)));

        Assert.False(await Store.TransitionActionAsync("act-1", ActionStatuses.Approved, ActionStatuses.Executing, null, ActionT0.AddHours(1), Ct));
        Assert.False(await Store.TransitionActionAsync("act-unknown", ActionStatuses.Approved, ActionStatuses.Executing, null, ActionT0.AddHours(1), Ct));
        Assert.True(await Store.TransitionActionAsync("act-1", ActionStatuses.Executing, ActionStatuses.Executed, "{\"ticket\":\"T-12\"}", ActionT0.AddHours(2), Ct));

        var done = await Store.GetActionAsync("act-1", Ct);
        Assert.Equal((ActionStatuses.Executed, "{\"ticket\":\"T-12\"}", ActionT0.AddHours(2)), (done!.Status, done.Detail, done.UpdatedAt));
    }

    [Fact]
    public async Task ActionTransitionRow_FromTheRightStatus_MovesTheActionWithItsEvent_AndFromAWrongOne_ConflictsAndRecordsNothing()
    {
        await RecordAsync(Store, "case-7", new ActionRecordedRow(ProposedAction("act-1", status: ActionStatuses.PendingApproval)));

        await RecordAsync(Store, "case-decided", new ActionTransitionRow("act-1", ActionStatuses.PendingApproval, ActionStatuses.Approved, null, ActionT0.AddMinutes(5)));
        Assert.Equal(ActionStatuses.Approved, (await Store.GetActionAsync("act-1", Ct))!.Status);
        Assert.Single(await Store.ReadLedgerCaseAsync("case-decided", Ct));

        var before = await Store.GetLedgerHeadAsync(Ct);
        var conflict = await Assert.ThrowsAsync<StoreConflictException>(() =>
            RecordAsync(Store, "case-late", new ActionTransitionRow("act-1", ActionStatuses.PendingApproval, ActionStatuses.Rejected, "{\"why\":\"expired\"}", ActionT0.AddMinutes(6))));
        Assert.Contains("act-1", conflict.Message, StringComparison.Ordinal);

        var after = await Store.GetActionAsync("act-1", Ct);
        Assert.Equal((ActionStatuses.Approved, ActionT0.AddMinutes(5)), (after!.Status, after.UpdatedAt));
        Assert.Equal(before, await Store.GetLedgerHeadAsync(Ct), LedgerHeadComparer.Instance);
        Assert.Empty(await Store.ReadLedgerCaseAsync("case-late", Ct));
        await Assert.ThrowsAsync<StoreConflictException>(() =>
            RecordAsync(Store, "case-late", new ActionTransitionRow("act-unknown", ActionStatuses.Approved, ActionStatuses.Executing, null, ActionT0)));
    }

    [Fact]
    public async Task ApprovalUpdateRow_WithTheRevisionItRead_IsWritten_AndWithAStaleOne_ConflictsAndRecordsNothing()
    {
        await RecordAsync(Store, "case-7", new ActionRecordedRow(ProposedAction("act-1", status: ActionStatuses.PendingApproval)), new ApprovalRecordedRow(RequestedApproval("apr-1", "act-1")));
        var read = (await Store.GetApprovalAsync("apr-1", Ct))!;

        var firstVote = read with { Votes = "[{\"who\":\"user:olu\",\"verdict\":\"approve\"}]", Revision = read.Revision + 1 };
        await RecordAsync(Store, "case-vote", new ApprovalUpdateRow(firstVote, read.Revision));
        Assert.Equal(firstVote, await Store.GetApprovalAsync("apr-1", Ct));
        Assert.Equal(2, firstVote.Revision);

        // A second decider still holding revision 1 closes it: refused, and neither its row nor its event is written.
        var before = await Store.GetLedgerHeadAsync(Ct);
        var stale = read with { Status = ApprovalStatuses.Rejected, Votes = "[{\"who\":\"user:ines\",\"verdict\":\"reject\"}]", Revision = read.Revision + 1, ClosedAt = ActionT0.AddMinutes(3) };
        var conflict = await Assert.ThrowsAsync<StoreConflictException>(() =>
            RecordAsync(Store, "case-stale", new ActionTransitionRow("act-1", ActionStatuses.PendingApproval, ActionStatuses.Rejected, null, ActionT0.AddMinutes(3)), new ApprovalUpdateRow(stale, read.Revision)));
        Assert.Contains("revision 1", conflict.Message, StringComparison.Ordinal);

        Assert.Equal(firstVote, await Store.GetApprovalAsync("apr-1", Ct));
        Assert.Equal(ActionStatuses.PendingApproval, (await Store.GetActionAsync("act-1", Ct))!.Status);
        Assert.Equal(before, await Store.GetLedgerHeadAsync(Ct), LedgerHeadComparer.Instance);
        Assert.Empty(await Store.ReadLedgerCaseAsync("case-stale", Ct));

        // Deciding again over the current revision closes it.
        var closed = firstVote with { Status = ApprovalStatuses.Approved, Revision = 3, ClosedAt = ActionT0.AddMinutes(4) };
        await RecordAsync(Store, "case-vote", new ApprovalUpdateRow(closed, 2));
        Assert.Equal(closed, await Store.GetApprovalAsync("apr-1", Ct));
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "case-vote", new ApprovalUpdateRow(closed with { Id = "apr-unknown" }, 2)));
    }

    [Fact]
    public async Task ApprovalUpdateRow_TwoDecidersOnTwoNodesAtOnce_ExactlyOneIsRecorded()
    {
        await RecordAsync(Store, "case-7", new ApprovalRecordedRow(RequestedApproval("apr-1", "act-1")));
        await using var second = OpenSecondInstance();
        var approve = RequestedApproval("apr-1", "act-1") with { Status = ApprovalStatuses.Approved, Votes = "[\"olu\"]", Revision = 2, ClosedAt = ActionT0.AddMinutes(1) };
        var reject = RequestedApproval("apr-1", "act-1") with { Status = ApprovalStatuses.Rejected, Votes = "[\"ines\"]", Revision = 2, ClosedAt = ActionT0.AddMinutes(1) };

        var outcomes = await Task.WhenAll(
            Outcome(RecordAsync(Store, "case-decide", new ApprovalUpdateRow(approve, 1))),
            Outcome(RecordAsync(second, "case-decide", new ApprovalUpdateRow(reject, 1))));

        Assert.Equal(1, outcomes.Count(won => won));
        Assert.Single(await Store.ReadLedgerCaseAsync("case-decide", Ct));
        var stored = await Store.GetApprovalAsync("apr-1", Ct);
        Assert.Equal(outcomes[0] ? approve : reject, stored);

        static async Task<bool> Outcome(Task append)
        {
            try
            {
                await append;
                return true;
            }
            catch (StoreConflictException)
            {
                return false;
            }
        }
    }

    [Fact]
    public async Task ListApprovals_FiltersByEachGivenMember_OldestFirst()
    {
        await RecordAsync(Store, "case-7",
            new ApprovalRecordedRow(RequestedApproval("apr-old-refund", "act-1", minute: 0)),
            new ApprovalRecordedRow(RequestedApproval("apr-reply", "act-2", action: "reply", minute: 10)),
            new ApprovalRecordedRow(RequestedApproval("apr-billing", "act-3", workflow: "billing", minute: 20)),
            new ApprovalRecordedRow(RequestedApproval("apr-closed", "act-4", minute: 30) with { Status = ApprovalStatuses.Approved, ClosedAt = ActionT0.AddMinutes(31) }),
            new ApprovalRecordedRow(RequestedApproval("apr-new-refund", "act-5", minute: 40)));

        async Task<IEnumerable<string>> Ids(ApprovalQuery query) => (await Store.ListApprovalsAsync(query, Ct)).Select(a => a.Id);

        Assert.Equal(["apr-old-refund", "apr-reply", "apr-billing", "apr-closed", "apr-new-refund"], await Ids(new ApprovalQuery()));
        Assert.Equal(["apr-old-refund", "apr-reply", "apr-closed", "apr-new-refund"], await Ids(new ApprovalQuery { WorkflowId = "support-desk" }));
        Assert.Equal(["apr-old-refund", "apr-reply", "apr-new-refund"], await Ids(new ApprovalQuery { WorkflowId = "support-desk", Status = ApprovalStatuses.Pending }));
        Assert.Equal(["apr-old-refund", "apr-new-refund"], await Ids(new ApprovalQuery { WorkflowId = "support-desk", Status = ApprovalStatuses.Pending, Action = "refund" }));
        // Older than an age: strictly before the moment.
        Assert.Equal(["apr-old-refund", "apr-reply"], await Ids(new ApprovalQuery { Status = ApprovalStatuses.Pending, CreatedBefore = ActionT0.AddMinutes(20) }));
        Assert.Equal(["apr-closed"], await Ids(new ApprovalQuery { Status = ApprovalStatuses.Approved }));
        Assert.Equal(["apr-old-refund", "apr-reply"], await Ids(new ApprovalQuery { Limit = 2 }));
        Assert.Empty(await Ids(new ApprovalQuery { WorkflowId = "unknown" }));
    }

    [Fact]
    public async Task ListActionsByStatus_IsTheOutbox_OldestFirstUpToTheLimit()
    {
        // Recorded newest first, so the order comes from the creation time, not from insertion.
        await RecordAsync(Store, "case-7",
            new ActionRecordedRow(ProposedAction("act-c", key: "c", minute: 30)),
            new ActionRecordedRow(ProposedAction("act-held", key: "h", status: ActionStatuses.Held, minute: 25)),
            new ActionRecordedRow(ProposedAction("act-b", key: "b", minute: 20)),
            new ActionRecordedRow(ProposedAction("act-a", key: "a", minute: 10)),
            new ActionRecordedRow(ProposedAction("act-running", key: "r", status: ActionStatuses.Executing, minute: 5)));

        Assert.Equal(["act-a", "act-b", "act-c"], (await Store.ListActionsByStatusAsync(ActionStatuses.Approved, 10, Ct)).Select(a => a.Id));
        Assert.Equal(["act-a", "act-b"], (await Store.ListActionsByStatusAsync(ActionStatuses.Approved, 2, Ct)).Select(a => a.Id));
        Assert.Equal(["act-running"], (await Store.ListActionsByStatusAsync(ActionStatuses.Executing, 10, Ct)).Select(a => a.Id));
        Assert.Equal(["act-held"], (await Store.ListActionsByStatusAsync(ActionStatuses.Held, 10, Ct)).Select(a => a.Id));
        Assert.Empty(await Store.ListActionsByStatusAsync(ActionStatuses.Failed, 10, Ct));
        Assert.Equal(["act-running", "act-a", "act-b", "act-held", "act-c"], (await Store.ListCaseActionsAsync("case-7", Ct)).Select(a => a.Id));
    }

    [Fact]
    public async Task ListActionsByStatus_UpdatedBefore_GivesOnlyWhatTheOutboxMustTakeOver()
    {
        await RecordAsync(Store, "case-7",
            new ActionRecordedRow(ProposedAction("act-left", key: "l", minute: 10)),
            new ActionRecordedRow(ProposedAction("act-fresh", key: "f", minute: 20)),
            new ActionRecordedRow(ProposedAction("act-stale", key: "s", status: ActionStatuses.Executing, minute: 5)));

        // Last changed strictly before the cut: minute 10 is taken over at a cut of minute 15, minute 20 is not.
        Assert.Equal(["act-left"], (await Store.ListActionsByStatusAsync(ActionStatuses.Approved, ActionT0.AddMinutes(15), 10, Ct)).Select(a => a.Id));
        Assert.Empty(await Store.ListActionsByStatusAsync(ActionStatuses.Approved, ActionT0.AddMinutes(10), 10, Ct));
        Assert.Equal(["act-stale"], (await Store.ListActionsByStatusAsync(ActionStatuses.Executing, ActionT0.AddMinutes(6), 10, Ct)).Select(a => a.Id));
    }

    [Fact]
    public async Task CaseWorkflow_IsTheWorkflowTheCaseWasSubmittedTo_OrNullForNoSuchCase()
    {
        await Store.SaveCaseAsync(new StoredCase("case-w", "support-desk", "agent-1", "Where is my parcel?", "{}", false, ActionT0), Ct);

        Assert.Equal("support-desk", await Store.GetCaseWorkflowAsync("case-w", Ct));
        Assert.Null(await Store.GetCaseWorkflowAsync("case-none", Ct));
    }

    /// <summary>Heads compare by origin, size and frontier bytes (the record's list member compares by reference).</summary>
    private sealed class LedgerHeadComparer : IEqualityComparer<LedgerHead>
    {
        public static readonly LedgerHeadComparer Instance = new();

        public bool Equals(LedgerHead? x, LedgerHead? y) =>
            x is not null && y is not null && x.Origin == y.Origin && x.Size == y.Size
            && x.Frontier.Count == y.Frontier.Count && x.Frontier.Zip(y.Frontier).All(p => p.First.AsSpan().SequenceEqual(p.Second));

        public int GetHashCode(LedgerHead obj) => HashCode.Combine(obj.Origin, obj.Size);
    }
}
