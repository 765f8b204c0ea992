using Skybridge.Application.Tests.Support;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Ledger;

/// <summary>Group commit with rows: a caller's events and rows commit together, and one caller's failure stays its own.</summary>
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
}
