using Skybridge.Application.Actions;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Ledger.Verification;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Actions;

/// <summary>
/// A call allowed at once is answered when its result is queued on the ledger, not when it is on disk: the claim before
/// the call is the one durable write the caller waits for. What must still hold: the result is written, in order, before
/// anything the caller does next; a reader on the node sees it; and a result that never reaches the disk is not lost,
/// because the claim goes stale and the outbox asks the system again under the same key.
/// </summary>
public sealed class AnswerFirstTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Propose_AnswerFirst_AnswersWhileTheResultIsStillBeingWritten_AndReadersWaitForIt()
    {
        await using var f = await ActionFixture.StartAsync();
        var gated = new GatedLedgerStore(f.Store);
        await using var ledger = new LedgerWriter(gated, TimeProvider.System, "node-a");
        var (pipeline, executor) = Build(f, ledger);
        // The system is called once the claim is on disk; the next write the ledger makes (the result) is held.
        f.System.Answer = _ =>
        {
            gated.HoldNext();
            return null!;
        };

        var answer = (await pipeline.ProposeAsync(ActionFixture.Refund(30, "k1"), Ct)).Answer!;

        Assert.Equal(ActionStatuses.Executed, answer.Status);
        Assert.Equal(1, f.System.CallsByKey[answer.ActionId]);
        // Not on disk yet: the store still shows the claim.
        Assert.Equal(ActionStatuses.Executing, (await f.Store.GetActionAsync(answer.ActionId, Ct))!.Status);
        var read = executor.GetAsync(answer.ActionId, Ct);
        var flushed = ledger.FlushAsync(Ct);
        await Task.Delay(50, Ct);
        Assert.False(read.IsCompleted, "a read on the node waits for the result being written");
        Assert.False(flushed.IsCompleted, "a flush waits for the result being written");

        gated.Release();
        Assert.Equal(ActionStatuses.Executed, (await read)!.Status);
        await flushed;
        Assert.Single(await f.TrailAsync(), e => e.Type == LedgerEventTypes.ActionExecuted);
    }

    [Fact]
    public async Task Propose_AnswerFirst_TheResultIsRecordedBeforeTheCallersNextProposal()
    {
        await using var f = await ActionFixture.StartAsync();
        var (pipeline, _) = Build(f, f.Ledger);

        var first = (await pipeline.ProposeAsync(ActionFixture.Refund(30, "k1"), Ct)).Answer!;
        var second = (await pipeline.ProposeAsync(ActionFixture.Refund(31, "k2"), Ct)).Answer!;
        await f.Ledger.FlushAsync(Ct);

        var trail = await f.TrailAsync();
        var firstResult = Assert.Single(trail, e => e.Type == LedgerEventTypes.ActionExecuted && e.Body.Contains(first.ActionId, StringComparison.Ordinal));
        var secondProposed = Assert.Single(trail, e => e.Type == LedgerEventTypes.ActionProposed && e.Body.Contains(second.ActionId, StringComparison.Ordinal));
        Assert.True(firstResult.Sequence < secondProposed.Sequence, "the first call's result precedes the next call in the ledger");
    }

    [Fact]
    public async Task Propose_AnswerFirst_TheResultIsNeverWritten_TheOutboxAsksAgainUnderTheSameKey_AndRecordsIt()
    {
        await using var f = await ActionFixture.StartAsync();
        var gated = new GatedLedgerStore(f.Store);
        await using var ledger = new LedgerWriter(gated, TimeProvider.System, "node-a");
        var (pipeline, executor) = Build(f, ledger);
        f.System.Answer = _ =>
        {
            gated.FailNext();
            return null!;
        };

        var answer = (await pipeline.ProposeAsync(ActionFixture.Refund(30, "k1"), Ct)).Answer!;
        Assert.Equal(ActionStatuses.Executed, answer.Status);
        await ledger.FlushAsync(Ct);
        // The result's write failed: the action is still claimed, and nothing says it ran but the claim.
        var claimed = (await executor.GetAsync(answer.ActionId, Ct))!;
        Assert.Equal(ActionStatuses.Executing, claimed.Status);
        Assert.DoesNotContain(await f.TrailAsync(), e => e.Type == LedgerEventTypes.ActionExecuted);

        // The outbox's stale-claim pass: the same call under the same key; the system does it once and answers again.
        f.System.Answer = null;
        var resent = await executor.RunClaimedAsync(claimed, Ct);
        Assert.Equal(ActionStatuses.Executed, resent!.Status);
        Assert.Equal(2, f.System.CallsByKey[answer.ActionId]);
        Assert.Single(f.System.Done);
        Assert.Equal(ActionStatuses.Executed, (await f.Store.GetActionAsync(answer.ActionId, Ct))!.Status);
        Assert.Single(await f.TrailAsync(), e => e.Type == LedgerEventTypes.ActionExecuted);
    }

    /// <summary>The node's action path over <paramref name="ledger"/>, answering first.</summary>
    private static (ActionPipeline Pipeline, ActionExecutor Executor) Build(ActionFixture f, ILedger ledger)
    {
        var manifests = new FixedActiveManifest(f.Active);
        var executor = new ActionExecutor(f.Store, manifests, f.System, ledger, TimeProvider.System, _ => false, "node-a");
        var pipeline = new ActionPipeline(
            [
                new IdempotencyStep(),
                new SchemaStep(manifests, new PolicyCache()),
                new PolicyStep(_ => false, TimeSpan.FromHours(1)),
                new BudgetStep(f.Store),
                new RecordStep(ledger, "node-a"),
                new ExecuteStep(executor, answerFirst: true),
            ], f.Store, ledger, TimeProvider.System);
        return (pipeline, executor);
    }
}
