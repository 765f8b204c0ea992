using Skybridge.Application.Ledger;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Ledger;

/// <summary>
/// Group commit with rows: a caller's events and rows commit together, and one caller's failure stays its own; a caller
/// who finds nothing being written writes on its own thread, and callers who come meanwhile share the next transaction.
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
    public async Task Append_WhenNothingIsBeingWritten_IsOnDiskWhenTheCallReturns()
    {
        await using var test = await TestStore.OpenAsync();
        await test.Ledger.AppendAsync([Event("case-1", "retrieval")], [], Ct); // the store's first transaction sets it up

        // SQLite commits on the calling thread: with no transaction under way the append is written before the call
        // returns, with no thread to wake and no hop back to the caller.
        var append = test.Ledger.AppendAsync([Event("case-1", "draft.created")], [], Ct);

        Assert.True(append.IsCompletedSuccessfully, "written on the caller's thread");
        Assert.Equal(2, (await test.Store.ReadLedgerCaseAsync("case-1", Ct)).Count);
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
    public async Task QueueAppend_ReturnsBeforeItsTransaction_WhichIsStillWrittenInOrder()
    {
        await using var test = await TestStore.OpenAsync();
        var gated = new GatedLedgerStore(test.Store);
        await using var ledger = new LedgerWriter(gated, TimeProvider.System, "node-a");
        gated.HoldNext();

        var queued = ledger.QueueAppendAsync([Event("case-1", "action.executed")], []);
        await gated.Holding.WaitAsync(Ct); // taken up by the ledger, not by the caller, who has its answer already
        Assert.False(queued.IsCompleted);
        var next = ledger.AppendAsync([Event("case-1", "action.proposed")], [], Ct);

        gated.Release();
        Assert.Equal(0, (await queued)[0].Sequence);
        Assert.Equal(1, (await next)[0].Sequence);
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
        var second = ledger.QueueAppendAsync([Event("case-2", "retrieval")], []);

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
