namespace Skybridge.Storage.Tests.Contract;

/// <summary>Budget counters on both databases: a spend fits or changes nothing, and two nodes never overspend.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    private static BudgetWindowKey RefundWindow(string subject = "*", DateTimeOffset? start = null) => new("support-desk", "refund-daily", subject, start ?? Day);

    [Fact]
    public async Task SpendBudget_AddsWhileItFits_AndRefusesWhatWouldGoOver_ChangingNothing()
    {
        var first = await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow(), 300, 500), Ct);
        var over = await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow(), 201, 500), Ct);
        var rest = await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow(), 200, 500), Ct);
        var none = await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow(), 1, 500), Ct);
        var tooBigForAnEmptyWindow = await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow(start: Day.AddDays(1)), 501, 500), Ct);

        Assert.Equal(new BudgetSpendResult(true, 300, 500), first);
        Assert.Equal(new BudgetSpendResult(false, 300, 500), over);
        Assert.Equal(200, over.Left);
        Assert.Equal(new BudgetSpendResult(true, 500, 500), rest);
        Assert.Equal((false, 0L), (none.Fits, none.Left));
        Assert.Equal(new BudgetSpendResult(false, 0, 500), tooBigForAnEmptyWindow);
        Assert.Equal(500, await Store.GetBudgetUsedAsync(RefundWindow(), Ct));
        Assert.Equal(0, await Store.GetBudgetUsedAsync(RefundWindow(start: Day.AddDays(1)), Ct));
    }

    [Fact]
    public async Task SpendBudget_KeepsWindowsSubjectsAndWorkflowsApart()
    {
        await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow("agent-a"), 5, 5), Ct);

        Assert.True((await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow("agent-b"), 5, 5), Ct)).Fits);
        Assert.True((await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow("agent-a", Day.AddDays(1)), 5, 5), Ct)).Fits);
        Assert.True((await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow("agent-a") with { WorkflowId = "returns" }, 5, 5), Ct)).Fits);
        Assert.False((await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow("agent-a"), 1, 5), Ct)).Fits);
    }

    [Fact]
    public async Task BudgetSpendRow_ThatDoesNotFit_RollsBackTheWholeProposal()
    {
        await Store.SpendBudgetAsync(new BudgetSpend(RefundWindow(), 480, 500), Ct);
        var head = await Store.GetLedgerHeadAsync(Ct);

        var error = await Assert.ThrowsAsync<BudgetExhaustedException>(() => RecordAsync(Store, "case-budget",
            new ActionRecordedRow(ProposedAction("act-over")),
            new BudgetSpendRow([new BudgetSpend(RefundWindow("agent-responder") with { Budget = "calls" }, 1, 60, "act-over"), new BudgetSpend(RefundWindow(), 30, 500, "act-over")])));

        Assert.Equal("refund-daily", error.Budget);
        Assert.Null(await Store.GetActionAsync("act-over", Ct));
        Assert.Equal(head.Size, (await Store.GetLedgerHeadAsync(Ct)).Size);
        Assert.Equal(480, await Store.GetBudgetUsedAsync(RefundWindow(), Ct));
        // The spend before it in the same row was rolled back too.
        Assert.Equal(0, await Store.GetBudgetUsedAsync(RefundWindow("agent-responder") with { Budget = "calls" }, Ct));
    }

    [Fact]
    public async Task BudgetReleaseRow_GivesBackWhatTheActionSpent_Once()
    {
        await RecordAsync(Store, "case-budget", new ActionRecordedRow(ProposedAction("act-1")), new BudgetSpendRow([new BudgetSpend(RefundWindow(), 300, 500, "act-1")]));
        await RecordAsync(Store, "case-budget", new ActionRecordedRow(ProposedAction("act-2", key: "key-2")), new BudgetSpendRow([new BudgetSpend(RefundWindow(), 100, 500, "act-2")]));

        await RecordAsync(Store, "case-budget", new BudgetReleaseRow("act-1"));
        await RecordAsync(Store, "case-budget", new BudgetReleaseRow("act-1"));

        Assert.Equal(100, await Store.GetBudgetUsedAsync(RefundWindow(), Ct));
    }

    [Fact]
    public async Task SpendBudget_TwoNodesSpendingAtOnce_NeverExceedTheLimit()
    {
        // 20 refunds of 30 on each of two nodes against 500: exactly 16 fit, whichever node they came from.
        await using var second = OpenSecondInstance();
        var results = await Task.WhenAll(Enumerable.Range(0, 20).SelectMany(_ => new[] { Store, second })
            .Select(node => Task.Run(() => node.SpendBudgetAsync(new BudgetSpend(RefundWindow(), 30, 500), Ct))));

        Assert.Equal(16, results.Count(r => r.Fits));
        Assert.Equal(480, await second.GetBudgetUsedAsync(RefundWindow(), Ct));
        Assert.All(results, r => Assert.InRange(r.Used, 0, 500));
    }

    [Fact]
    public async Task BudgetSpendRow_TwoNodesRecordingProposalsAtOnce_NeverExceedTheLimit()
    {
        await using var second = OpenSecondInstance();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            var node = i % 2 == 0 ? Store : second;
            try
            {
                await RecordAsync(node, "case-race", new ActionRecordedRow(ProposedAction($"act-{i}", key: $"key-{i}")), new BudgetSpendRow([new BudgetSpend(RefundWindow(), 30, 500, $"act-{i}")]));
                return true;
            }
            catch (BudgetExhaustedException)
            {
                return false;
            }
        })));

        Assert.Equal(16, outcomes.Count(won => won));
        Assert.Equal(480, await Store.GetBudgetUsedAsync(RefundWindow(), Ct));
        Assert.Equal(16, (await Store.ListCaseActionsAsync("case-7", Ct)).Count);
        Assert.Equal(16, (await Store.ReadLedgerCaseAsync("case-race", Ct)).Count);
    }
}
