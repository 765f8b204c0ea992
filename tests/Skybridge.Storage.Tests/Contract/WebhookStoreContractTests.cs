using System.Text;
using Skybridge.Core.Ledger;

namespace Skybridge.Storage.Tests.Contract;

/// <summary>The webhook half of the contract: cursors into the ledger, leases between nodes, failures, giving up.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset W0 = new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task WebhookCursor_IsMadeOnce_AndMovesOnlyFromWhereItIs()
    {
        var made = await Store.GetOrCreateWebhookCursorAsync("support-desk", "leads-chat", 5, W0, Ct);
        var again = await Store.GetOrCreateWebhookCursorAsync("support-desk", "leads-chat", 99, W0.AddMinutes(1), Ct);
        Assert.Equal(5, made.NextSequence);
        Assert.Equal(5, again.NextSequence);

        await Store.RecordWebhookFailureAsync("support-desk", "leads-chat", 5, 1, W0.AddSeconds(5), "HTTP 503", W0, Ct);
        var failed = Assert.Single(await Store.ListWebhookCursorsAsync("support-desk", Ct));
        Assert.Equal((1, "HTTP 503", W0.AddSeconds(5)), (failed.Attempts, failed.LastError, failed.NextAttemptAt));

        Assert.False(await Store.AdvanceWebhookAsync("support-desk", "leads-chat", 4, 9, 1, W0.AddSeconds(6), Ct));
        Assert.True(await Store.AdvanceWebhookAsync("support-desk", "leads-chat", 5, 9, 2, W0.AddSeconds(6), Ct));
        var moved = Assert.Single(await Store.ListWebhookCursorsAsync(null, Ct));
        Assert.Equal((9L, 0, (string?)null, (DateTimeOffset?)null, 2L, (DateTimeOffset?)W0.AddSeconds(6)),
            (moved.NextSequence, moved.Attempts, moved.LastError, moved.NextAttemptAt, moved.Delivered, moved.LastDeliveredAt));
    }

    [Fact]
    public async Task WebhookLease_IsOneNodes_UntilItRunsOut()
    {
        await Store.GetOrCreateWebhookCursorAsync("support-desk", "leads-chat", 0, W0, Ct);

        Assert.True(await Store.LeaseWebhookAsync("support-desk", "leads-chat", "node-a", W0, W0.AddSeconds(30), Ct));
        Assert.False(await Store.LeaseWebhookAsync("support-desk", "leads-chat", "node-b", W0.AddSeconds(10), W0.AddSeconds(40), Ct));
        Assert.True(await Store.LeaseWebhookAsync("support-desk", "leads-chat", "node-a", W0.AddSeconds(10), W0.AddSeconds(40), Ct));
        Assert.True(await Store.LeaseWebhookAsync("support-desk", "leads-chat", "node-b", W0.AddSeconds(41), W0.AddSeconds(71), Ct));
        Assert.Equal("node-b", Assert.Single(await Store.ListWebhookCursorsAsync("support-desk", Ct)).LeaseOwner);
    }

    [Fact]
    public async Task WebhookEvents_AreTheWorkflowsOfTheTypes_InTheRange_InOrder()
    {
        await AppendAsync(Store, "a", 3);                          // 0-2: test.event
        await AppendWithRowsAsync("draft-1");                      // 3: draft.created
        await AppendAsync(Store, "b", 2);                          // 4-5: test.event
        await AppendWithRowsAsync("draft-2");                      // 6: draft.created

        var drafts = await Store.ReadWebhookEventsAsync("support-desk", ["draft.created"], 0, 7, 10, Ct);
        Assert.Equal([3L, 6L], drafts.Select(e => e.Sequence));
        Assert.Equal([6L], (await Store.ReadWebhookEventsAsync("support-desk", ["draft.created"], 4, 7, 10, Ct)).Select(e => e.Sequence));
        Assert.Equal([3L], (await Store.ReadWebhookEventsAsync("support-desk", ["draft.created"], 0, 6, 10, Ct)).Select(e => e.Sequence));
        Assert.Equal([0L, 1L], (await Store.ReadWebhookEventsAsync("support-desk", ["test.event", "draft.created"], 0, 7, 2, Ct)).Select(e => e.Sequence));
        Assert.Empty(await Store.ReadWebhookEventsAsync("another-desk", ["draft.created"], 0, 7, 10, Ct));
        Assert.Equal(6L, await Store.FindLastLedgerEventAsync("support-desk", ["draft.created"], Ct));
        Assert.Null(await Store.FindLastLedgerEventAsync("support-desk", ["workflow.activated"], Ct));
    }

    [Fact]
    public async Task WebhookAbandon_MovesPastTheEvent_WithItsLedgerEvent_OrNothingWhenMovedAlready()
    {
        await Store.GetOrCreateWebhookCursorAsync("support-desk", "leads-chat", 0, W0, Ct);
        await AppendWithRowsAsync("gave-up-0", new WebhookAbandonRow("support-desk", "leads-chat", 0, W0));
        var cursor = Assert.Single(await Store.ListWebhookCursorsAsync("support-desk", Ct));
        Assert.Equal((1L, 1L), (cursor.NextSequence, cursor.Abandoned));

        var size = (await Store.GetLedgerHeadAsync(Ct)).Size;
        await Assert.ThrowsAsync<StoreConflictException>(() => AppendWithRowsAsync("gave-up-again", new WebhookAbandonRow("support-desk", "leads-chat", 0, W0)));
        Assert.Equal(size, (await Store.GetLedgerHeadAsync(Ct)).Size);
    }
}
