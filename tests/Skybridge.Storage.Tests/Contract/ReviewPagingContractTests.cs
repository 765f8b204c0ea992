namespace Skybridge.Storage.Tests.Contract;

/// <summary>Keyset pages of the review queue, on both databases.</summary>
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task ReviewPages_WalkedWhileCasesArrive_ReturnEveryItemExactlyOnce_InQueueOrder()
    {
        // Two items share a due time, so the case id must break the tie for the keyset to be exact.
        foreach (var (caseId, hours) in new[] { ("case-p3", 2), ("case-p1", 1), ("case-p2", 2), ("case-p4", 3), ("case-p5", 4) })
        {
            await RecordAsync(Store, caseId, new ReviewEnqueuedRow(Queued(caseId, dueHours: hours)));
        }

        var seen = new List<string>();
        ReviewQueueKey? after = null;
        var arrived = 0;
        while (true)
        {
            var page = await Store.ListReviewItemsPageAsync("support-desk", ReviewStatus.Open, ReviewT0, after, 2, Ct);
            seen.AddRange(page.Select(i => i.CaseId));
            if (page.Count < 2)
            {
                break;
            }

            after = new ReviewQueueKey(page[^1].DueAt, page[^1].CaseId);
            // A case sampled while the reader pages: due later than everything queued, so it comes on a later page.
            arrived++;
            await RecordAsync(Store, $"case-new{arrived}", new ReviewEnqueuedRow(Queued($"case-new{arrived}", dueHours: 10 + arrived)));
        }

        var expected = new List<string> { "case-p1", "case-p2", "case-p3", "case-p4", "case-p5" };
        expected.AddRange(Enumerable.Range(1, arrived).Select(n => $"case-new{n}"));
        Assert.Equal(expected, seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }
}
