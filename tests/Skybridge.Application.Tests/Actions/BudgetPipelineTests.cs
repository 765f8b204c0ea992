using System.Text.Json.Nodes;
using Skybridge.Application.Actions;
using Skybridge.Application.Manifests;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Actions;

/// <summary>
/// The sample's budget (refunds at most 500 EUR a day for the workflow) on the action path over a real store: what
/// fits runs, what would go over is denied with the reason and recorded, a pending approval holds its share.
/// </summary>
public sealed class BudgetPipelineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Approver Lee = new("lee", []);

    // Ahead of the machine's clock: the approval service of the fixture reads real time, and its approvals (opened on
    // this clock) must not have expired when it decides them.
    private static readonly DateTimeOffset Morning = new(2030, 6, 14, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Propose_TwentyRefundsOf30InOneDay_ExactlySixteenRun_TheRestAreDeniedWithTheBudget()
    {
        var clock = new Clock(Morning);
        await using var f = await ActionFixture.StartAsync(time: clock);

        var answers = new List<ActionAnswer>();
        for (var i = 0; i < 20; i++)
        {
            clock.Now = Morning.AddMinutes(30 * i); // all within the same UTC day
            answers.Add((await f.Pipeline.ProposeAsync(ActionFixture.Refund(30, $"r{i}"), Ct)).Answer!);
        }

        Assert.Equal(16, answers.Count(a => a.Status == ActionStatuses.Executed));
        Assert.Equal(16, f.System.Done.Count);
        var denied = answers.Skip(16).ToList();
        Assert.All(denied, a => Assert.Equal((ActionStatuses.Denied, "budget_exhausted"), (a.Status, (string?)a.Detail["code"])));
        var budget = denied[0].Detail["budget"]!;
        Assert.Equal(("refund-daily", 500.0, 20.0, 30.0, "2030-06-15T00:00:00.000000Z"),
            ((string?)budget["name"], (double)budget["limit"]!, (double)budget["left"]!, (double)budget["requested"]!, (string?)budget["resets"]));
        Assert.Contains("Budget 'refund-daily' allows at most 500 of 'amount' per 1d for the workflow; 20 left until 2030-06-15T00:00:00", (string?)denied[0].Detail["summary"], StringComparison.Ordinal);

        var trail = await f.TrailAsync();
        Assert.Equal(4, trail.Count(e => e.Type == LedgerEventTypes.BudgetExhausted));
        Assert.Equal(ActionStatuses.Denied, (await f.Store.GetActionAsync(denied[0].ActionId, Ct))!.Status);
    }

    [Fact]
    public async Task Propose_AfterTheWindowResets_TheBudgetIsFullAgain()
    {
        var clock = new Clock(Morning);
        await using var f = await ActionFixture.StartAsync(time: clock);
        for (var i = 0; i < 10; i++)
        {
            await f.Pipeline.ProposeAsync(ActionFixture.Refund(50, $"d1-{i}"), Ct);
        }

        clock.Now = new DateTimeOffset(2030, 6, 14, 23, 59, 59, TimeSpan.Zero);
        var lastSecond = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(1, "d1-late"), Ct)).Answer!;
        clock.Now = new DateTimeOffset(2030, 6, 15, 0, 0, 0, TimeSpan.Zero);
        var nextDay = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(50, "d2-0"), Ct)).Answer!;

        Assert.Equal(ActionStatuses.Denied, lastSecond.Status);
        Assert.Equal(0.0, (double)lastSecond.Detail["budget"]!["left"]!);
        Assert.Equal(ActionStatuses.Executed, nextDay.Status);
    }

    [Fact]
    public async Task Propose_PendingApprovalHoldsItsShare_UntilItIsRejected()
    {
        await using var f = await ActionFixture.StartAsync(time: new Clock(Morning));

        var large = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(450, "big"), Ct)).Answer!;
        var meanwhile = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(60, "other"), Ct)).Answer!;

        Assert.Equal(ActionStatuses.PendingApproval, large.Status);
        // 450 is reserved while people decide: approving it later must not overspend the day.
        Assert.Equal((ActionStatuses.Denied, "budget_exhausted", null), (meanwhile.Status, (string?)meanwhile.Detail["code"], meanwhile.ApprovalId));
        Assert.Single(await f.Store.ListApprovalsAsync(new ApprovalQuery { WorkflowId = "support-desk" }, Ct));
        var trail = await f.TrailAsync();
        Assert.DoesNotContain(trail, e => e.Type == LedgerEventTypes.ApprovalRequested && e.Body.Contains(meanwhile.ActionId, StringComparison.Ordinal));

        var rejected = await f.Approvals.DecideAsync(large.ApprovalId!, Lee, ApprovalVerdict.Reject, large.CallDigest, "not this order", null, Ct);
        Assert.Null(rejected.Refusal);
        var afterRejection = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(60, "other-again"), Ct)).Answer!;

        Assert.Equal(ActionStatuses.PendingApproval, afterRejection.Status);
        Assert.Empty(f.System.CallsByKey);
    }

    [Fact]
    public async Task Propose_PendingApprovalThatIsApproved_RunsOnItsReservation()
    {
        await using var f = await ActionFixture.StartAsync(time: new Clock(Morning));
        var large = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(480, "big"), Ct)).Answer!;
        var small = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(20, "small"), Ct)).Answer!;
        var over = (await f.Pipeline.ProposeAsync(ActionFixture.Refund(1, "over"), Ct)).Answer!;

        var approved = await f.Approvals.DecideAsync(large.ApprovalId!, Lee, ApprovalVerdict.Approve, large.CallDigest, null, null, Ct);

        Assert.Equal((ActionStatuses.Executed, ActionStatuses.Denied), (small.Status, over.Status));
        Assert.Equal(ActionStatuses.Executed, approved.Action!.Status);
        Assert.Equal(2, f.System.Done.Count);
    }

    [Fact]
    public async Task Propose_TwentyRefundsAtOnce_NeverSpendMoreThanTheBudget()
    {
        await using var f = await ActionFixture.StartAsync(time: new Clock(Morning));

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => f.Pipeline.ProposeAsync(ActionFixture.Refund(30, $"c{i}"), Ct))));

        Assert.Equal(16, answers.Count(a => a.Answer!.Status == ActionStatuses.Executed));
        Assert.Equal(4, answers.Count(a => (string?)a.Answer!.Detail["code"] == "budget_exhausted"));
        Assert.Equal(16, f.System.Done.Count);
    }

    [Fact]
    public async Task Propose_WhenAnotherNodeSpentTheRestAfterTheRead_IsDecidedAgainAndDenied()
    {
        var clock = new Clock(Morning);
        await using var f = await ActionFixture.StartAsync(time: clock);
        // A budget step that reads "nothing used" once, as a node would that read just before another node spent it all.
        var stale = new StaleOnce(f.Store);
        var manifests = new FixedActiveManifest(f.Active);
        var pipeline = new ActionPipeline(
            [
                new IdempotencyStep(),
                new SchemaStep(manifests, new PolicyCache()),
                new PolicyStep(_ => false, TimeSpan.FromHours(1)),
                new BudgetStep(stale),
                new RecordStep(f.Ledger),
                new ExecuteStep(f.Executor),
            ], f.Store, f.Ledger, clock);
        var window = new BudgetWindowKey("support-desk", "refund-daily", "*", new DateTimeOffset(2030, 6, 14, 0, 0, 0, TimeSpan.Zero));
        Assert.True((await f.Store.SpendBudgetAsync(new BudgetSpend(window, 490_000_000, 500_000_000), Ct)).Fits);

        var answer = (await pipeline.ProposeAsync(ActionFixture.Refund(30, "late"), Ct)).Answer!;

        Assert.Equal((ActionStatuses.Denied, "budget_exhausted"), (answer.Status, (string?)answer.Detail["code"]));
        Assert.Equal(10.0, (double)answer.Detail["budget"]!["left"]!);
        Assert.Empty(f.System.CallsByKey);
        Assert.Equal(2, stale.Reads);
        Assert.Single(await f.Store.ListCaseActionsAsync("case-1", Ct));
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class StaleOnce(IBudgetStore inner) : IBudgetStore
    {
        public int Reads { get; private set; }

        public async Task<long> GetBudgetUsedAsync(BudgetWindowKey window, CancellationToken cancellationToken = default) =>
            ++Reads == 1 ? 0 : await inner.GetBudgetUsedAsync(window, cancellationToken);

        public Task<BudgetSpendResult> SpendBudgetAsync(BudgetSpend spend, CancellationToken cancellationToken = default) => inner.SpendBudgetAsync(spend, cancellationToken);
    }

}
