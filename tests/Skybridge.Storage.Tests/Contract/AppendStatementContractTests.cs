using Skybridge.Core.Ledger;

namespace Skybridge.Storage.Tests.Contract;

/// <summary>
/// Appends one after another on one store: the SQLite store keeps the statements every append runs prepared on a
/// connection of its own, so each append must bind its own values, and a failed append must leave the next one working.
/// </summary>
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task Appends_OneAfterAnother_EachStoresItsOwnValues_NullsIncluded()
    {
        // The same statements with other values, and a null where the append before had text (and the other way
        // round): a kept command that bound the earlier append's values would store them here.
        var first = ProposedAction("act-1", key: "k-1") with { Detail = null, ApprovalId = null };
        var second = ProposedAction("act-2", requester: "agent-b", key: "k-2", status: ActionStatuses.PendingApproval, minute: 1) with
        {
            Parameters = "{\"amount\":75,\"currency\":\"EUR\"}", Detail = "{\"decided_by\":[\"refund-large\"]}", ApprovalId = "apr-2",
        };
        var third = ProposedAction("act-3", key: "k-3", minute: 2) with { Detail = null };

        await RecordAsync(Store, "case-a", new ActionRecordedRow(first));
        await RecordAsync(Store, "case-b", new ActionRecordedRow(second));
        await RecordAsync(Store, "case-c", new ActionRecordedRow(third));
        await RecordAsync(Store, "case-d", new ActionTransitionRow("act-2", ActionStatuses.PendingApproval, ActionStatuses.Approved, null, ActionT0.AddMinutes(5)));

        Assert.Equal(first, await Store.GetActionAsync("act-1", Ct));
        Assert.Equal(second with { Status = ActionStatuses.Approved, UpdatedAt = ActionT0.AddMinutes(5) }, await Store.GetActionAsync("act-2", Ct));
        Assert.Equal(third, await Store.GetActionAsync("act-3", Ct));
        var head = await Store.GetLedgerHeadAsync(Ct);
        Assert.Equal(4, head.Size);
        var events = await Store.ReadLedgerEventsAsync(0, 10, Ct);
        Assert.Equal(["case-a", "case-b", "case-c", "case-d"], events.Select(e => e.CaseId));
    }

    [Fact]
    public async Task Appends_AfterAConflictAndAfterACancelledAppend_TheNextAppendCommits()
    {
        await RecordAsync(Store, "case-a", new ActionRecordedRow(ProposedAction("act-1")));
        // A lost compare-and-set (the same key again) and an append given up halfway through (cancelled while its rows
        // were prepared): neither writes anything, and neither leaves the store unable to append.
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "case-b", new ActionRecordedRow(ProposedAction("act-2"))));
        using var cancelled = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.AppendLedgerAsync(_ =>
        {
            cancelled.Cancel();
            cancelled.Token.ThrowIfCancellationRequested();
            throw new InvalidOperationException("not reached");
        }, cancelled.Token));

        await RecordAsync(Store, "case-c", new ActionRecordedRow(ProposedAction("act-3", key: "key-3", minute: 3)));

        Assert.Null(await Store.GetActionAsync("act-2", Ct));
        Assert.Equal(ProposedAction("act-3", key: "key-3", minute: 3), await Store.GetActionAsync("act-3", Ct));
        Assert.Equal(["case-a", "case-c"], (await Store.ReadLedgerEventsAsync(0, 10, Ct)).Select(e => e.CaseId));
    }
}
