using System.Text.Json.Nodes;
using Skybridge.Application.Actions;
using Skybridge.Application.Ledger;
using Skybridge.Application.Tests.Support;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Actions;

/// <summary>
/// An allowed call's detail (policy's explanation, the claim, the system's answer) is built on one object along the
/// path rather than parsed again at each step: what the caller is answered must be what the store keeps and later
/// readers get.
/// </summary>
public sealed class ActionDetailTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Propose_AllowedAndExecuted_AnswersWithTheDetailTheStoreKeeps(bool answerFirst)
    {
        await using var f = await ActionFixture.StartAsync();
        var manifests = new FixedActiveManifest(f.Active);
        var executor = new ActionExecutor(f.Store, manifests, f.System, f.Ledger, TimeProvider.System, _ => false, "node-a");
        var pipeline = new ActionPipeline(
            [
                new IdempotencyStep(),
                new SchemaStep(manifests, new PolicyCache()),
                new PolicyStep(_ => false, TimeSpan.FromHours(1)),
                new BudgetStep(f.Store),
                new RecordStep(f.Ledger, "node-a"),
                new ExecuteStep(executor, answerFirst),
            ], f.Store, f.Ledger, TimeProvider.System);

        var answer = (await pipeline.ProposeAsync(ActionFixture.Refund(30, "k1"), Ct)).Answer!;
        await f.Ledger.FlushAsync(Ct);
        var stored = (await f.Store.GetActionAsync(answer.ActionId, Ct))!;

        Assert.Equal(ActionStatuses.Executed, answer.Status);
        Assert.Equal(stored.Detail, answer.Detail.ToJsonString());
        // Each step's members, in the order the steps wrote them, and the system's answer as it sent it.
        var names = answer.Detail.Select(m => m.Key).ToList();
        Assert.True(names.IndexOf("decision") < names.IndexOf("claimed_by"));
        Assert.True(names.IndexOf("claimed_by") < names.IndexOf("outcome"));
        Assert.Equal("node-a", (string?)answer.Detail["claimed_by"]);
        Assert.Equal("ref-" + answer.ActionId, (string?)answer.Detail["reference"]);
        Assert.Equal("""{"ok":true}""", answer.Detail["result"]!.ToJsonString());
        Assert.Equal(stored.Detail, ActionAnswers.Of(stored).Detail.ToJsonString());
    }
}
