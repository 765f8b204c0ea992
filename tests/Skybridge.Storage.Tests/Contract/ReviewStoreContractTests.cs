namespace Skybridge.Storage.Tests.Contract;

/// <summary>The live review queue and its reviews, written with their ledger events, on both databases.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset ReviewT0 = new DateTimeOffset(2026, 11, 4, 8, 0, 0, TimeSpan.Zero).AddTicks(1234560);

    private static StoredReviewItem Queued(string caseId, int required = 1, int dueHours = 24, string workflow = "support-desk") =>
        new(caseId, workflow, ReviewT0, ReviewT0.AddHours(dueHours), 0.4, 4, "consequential_action", required);

    private static StoredReview Review(string caseId, string reviewer, int slot, string correctness = "correct") =>
        new(caseId, reviewer, slot, correctness, "ok", "none_needed", "fine", ReviewT0.AddHours(1));

    [Fact]
    public async Task Reviews_EnqueueTwice_QueuesOnce_AndTheSecondWritesNothing()
    {
        await RecordAsync(Store, "case-r1", new ReviewEnqueuedRow(Queued("case-r1")));
        var size = (await Store.GetLedgerHeadAsync(Ct)).Size;

        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "case-r1", new ReviewEnqueuedRow(Queued("case-r1", required: 2))));

        Assert.Equal(Queued("case-r1"), await Store.GetReviewItemAsync("case-r1", Ct));
        Assert.Single(await Store.ListReviewItemsAsync("support-desk", ReviewStatus.Open, ReviewT0, 10, Ct));
        Assert.Equal(size, (await Store.GetLedgerHeadAsync(Ct)).Size);
        Assert.Null(await Store.GetReviewItemAsync("case-unknown", Ct));
    }

    [Fact]
    public async Task Reviews_OnePerReviewer_AndNoMoreThanTheCaseNeeds()
    {
        await RecordAsync(Store, "case-r2", new ReviewEnqueuedRow(Queued("case-r2", required: 2)));
        await RecordAsync(Store, "case-r2", new ReviewRecordedRow(Review("case-r2", "olu", 1)));

        // The same person again, in the next slot: refused, and the count did not move.
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "case-r2", new ReviewRecordedRow(Review("case-r2", "olu", 2))));
        Assert.Equal(1, (await Store.GetReviewItemAsync("case-r2", Ct))!.Reviews);
        // Someone else in the taken slot: refused.
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "case-r2", new ReviewRecordedRow(Review("case-r2", "dana", 1))));

        await RecordAsync(Store, "case-r2", new ReviewRecordedRow(Review("case-r2", "dana", 2, "partly")));
        // A third review of a case that needs two: refused.
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "case-r2", new ReviewRecordedRow(Review("case-r2", "kim", 3))));

        Assert.Equal([Review("case-r2", "olu", 1), Review("case-r2", "dana", 2, "partly")], await Store.ListCaseReviewsAsync("case-r2", Ct));
        Assert.Equal(2, (await Store.ListWorkflowReviewsAsync("support-desk", Ct)).Count);
        Assert.Single(await Store.ListReviewItemsAsync("support-desk", ReviewStatus.Done, ReviewT0, 10, Ct));
        Assert.Empty(await Store.ListReviewItemsAsync("support-desk", ReviewStatus.Open, ReviewT0, 10, Ct));
    }

    [Fact]
    public async Task Reviews_ForACaseNotQueued_AreRefused()
    {
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "case-none", new ReviewRecordedRow(Review("case-none", "olu", 1))));
        Assert.Empty(await Store.ListCaseReviewsAsync("case-none", Ct));
    }

    [Fact]
    public async Task Reviews_Overdue_AreListedCountedAndFlaggedOnce()
    {
        await RecordAsync(Store, "case-a", new ReviewEnqueuedRow(Queued("case-a", dueHours: 1)));
        await RecordAsync(Store, "case-b", new ReviewEnqueuedRow(Queued("case-b", dueHours: 48)));
        await RecordAsync(Store, "case-c", new ReviewEnqueuedRow(Queued("case-c", dueHours: 1)));
        await RecordAsync(Store, "case-c", new ReviewRecordedRow(Review("case-c", "olu", 1)));
        await RecordAsync(Store, "case-z", new ReviewEnqueuedRow(Queued("case-z", dueHours: 1, workflow: "other")));
        var now = ReviewT0.AddHours(2);

        Assert.Equal(["case-a"], (await Store.ListReviewItemsAsync("support-desk", ReviewStatus.Overdue, now, 10, Ct)).Select(i => i.CaseId));
        Assert.Equal(["case-a", "case-b"], (await Store.ListReviewItemsAsync("support-desk", ReviewStatus.Open, now, 10, Ct)).Select(i => i.CaseId));
        Assert.Equal(1, await Store.CountOverdueReviewsAsync("support-desk", now, Ct));
        Assert.Equal(["case-a", "case-z"], (await Store.ListUnflaggedOverdueAsync(now, 10, Ct)).Select(i => i.CaseId).Order());

        await RecordAsync(Store, "case-a", new ReviewOverdueFlaggedRow("case-a", now));
        await Assert.ThrowsAsync<StoreConflictException>(() => RecordAsync(Store, "case-a", new ReviewOverdueFlaggedRow("case-a", now)));
        Assert.Equal(["case-z"], (await Store.ListUnflaggedOverdueAsync(now, 10, Ct)).Select(i => i.CaseId));
        Assert.Equal(now, (await Store.GetReviewItemAsync("case-a", Ct))!.OverdueFlaggedAt);
    }

    [Fact]
    public async Task Reviews_Salt_FirstOfferWins()
    {
        var first = await Store.GetOrCreateReviewSaltAsync("support-desk", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], Ct);
        var second = await Store.GetOrCreateReviewSaltAsync("support-desk", new byte[16], Ct);
        Assert.Equal(first, second);
        Assert.Equal(1, first[0]);
        Assert.Equal(new byte[16], await Store.GetOrCreateReviewSaltAsync("other", new byte[16], Ct));
    }
}
