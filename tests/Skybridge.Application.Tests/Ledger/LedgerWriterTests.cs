using Skybridge.Application.Ledger;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Ledger;

/// <summary>
/// Group commit with rows: a caller's events and rows commit together, one caller's failure stays its own, and callers
/// who come while a transaction is under way share the next one, in the order accepted.
/// </summary>
public sealed class LedgerWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LedgerEntry Event(string caseId, string type) => new()
    {
        Type = type,
        Actors = [LedgerActor.Agent("support-desk/responder")],
        WorkflowId = "support-desk",
        CaseId = caseId,
        Outcome = "done",
    };

    private static StoredCase Case(string id) => new(id, "support-desk", "support-desk/responder", "Where is my parcel?", "{}", false, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task Append_WritesEveryEventAndRow_OrNothing_WhenARowFails()
    {
        await using var test = await TestStore.OpenAsync();
        await test.Store.SaveCaseAsync(Case("case-taken"), Ct);

        // Many callers at once, so that they share transactions; every tenth one brings a row that cannot be stored.
        var calls = Enumerable.Range(0, 60).Select(i =>
        {
            var id = i % 10 == 0 ? "case-taken" : $"case-{i}";
            return (Id: id, Task: test.Ledger.AppendAsync([Event(id, "retrieval"), Event(id, "draft.created")], [new CaseRecordedRow(Case(id) with { Text = $"case {i}" })], Ct));
        }).ToList();
        foreach (var (id, task) in calls)
        {
            if (id == "case-taken")
            {
                await Assert.ThrowsAnyAsync<Exception>(() => task);
            }
            else
            {
                var recorded = await task;
                Assert.Equal(["retrieval", "draft.created"], recorded.Select(r => r.Type));
                Assert.Equal(recorded[0].Sequence + 1, recorded[1].Sequence); // a caller's events are never split
            }
        }

        Assert.Empty(await test.Store.ReadLedgerCaseAsync("case-taken", Ct));
        Assert.Equal("Where is my parcel?", (await test.Store.GetCaseAsync("case-taken", Ct))!.Text);
        foreach (var (id, _) in calls.Where(c => c.Id != "case-taken"))
        {
            Assert.Equal(2, (await test.Store.ReadLedgerCaseAsync(id, Ct)).Count);
            Assert.NotNull(await test.Store.GetCaseAsync(id, Ct));
        }

        Assert.Equal(2 * 54, (await test.Store.GetLedgerHeadAsync(Ct)).Size);
    }

    [Fact]
    public async Task Append_WhileATransactionIsUnderWay_WaitsForIt_AndSharesTheNextOne_InTheOrderAccepted()
    {
        await using var test = await TestStore.OpenAsync();
        var gated = new GatedLedgerStore(test.Store);
        await using var ledger = new LedgerWriter(gated, TimeProvider.System, "node-a");
        gated.HoldNext();

        var first = ledger.AppendAsync([Event("case-0", "retrieval")], [], Ct);
        await gated.Holding.WaitAsync(Ct);
        var later = Enumerable.Range(1, 5).Select(i => ledger.AppendAsync([Event($"case-{i}", "retrieval"), Event($"case-{i}", "draft.created")], [], Ct)).ToList();
        await Task.Delay(50, Ct);
        Assert.False(first.IsCompleted, "the first transaction is held");
        Assert.All(later, t => Assert.False(t.IsCompleted, "nothing is written before the transaction under way"));

        gated.Release();
        var numbers = new List<long> { (await first)[0].Sequence };
        foreach (var task in later)
        {
            numbers.AddRange((await task).Select(e => e.Sequence));
        }

        Assert.Equal(Enumerable.Range(0, 11).Select(i => (long)i), numbers);
        Assert.Equal(2, gated.Transactions); // the five that waited were written together
    }

    [Fact]
    public async Task Dispose_WaitsForEveryAcceptedAppend_AndRefusesNewOnes()
    {
        await using var test = await TestStore.OpenAsync();
        var gated = new GatedLedgerStore(test.Store);
        var ledger = new LedgerWriter(gated, TimeProvider.System, "node-a");
        gated.HoldNext();
        var first = ledger.AppendAsync([Event("case-1", "retrieval")], [], Ct);
        await gated.Holding.WaitAsync(Ct);
        var second = ledger.AppendAsync([Event("case-2", "retrieval")], [], Ct);

        var disposed = ledger.DisposeAsync().AsTask();
        await Task.Delay(50, Ct);
        Assert.False(disposed.IsCompleted, "shutting down waits for what was accepted");
        await Assert.ThrowsAsync<InvalidOperationException>(() => ledger.AppendAsync([Event("case-3", "retrieval")], [], Ct));

        gated.Release();
        await disposed;
        Assert.Equal(2, (await test.Store.GetLedgerHeadAsync(Ct)).Size); // both on disk once shut down
        Assert.Equal(0, (await first)[0].Sequence);
        Assert.Equal(1, (await second)[0].Sequence);
    }
}
