using Skybridge.Storage.Tests.Support;

namespace Skybridge.Storage.Tests.Contract;

/// <summary>The console's reads: a workflow's cases a page at a time, actions of several cases, a workflow's recent ledger events.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset CaseT0 = new DateTimeOffset(2026, 11, 5, 8, 0, 0, TimeSpan.Zero).AddTicks(4567890);

    private static StoredCase ListedCase(string id, int minute, bool abstained = false, string workflow = "support-desk") =>
        new(id, workflow, "dana", "Text of " + id, "{\"answer\":null}", abstained, CaseT0.AddMinutes(minute));

    [Fact]
    public async Task Cases_ListedNewestFirst_PagedByKeyset_WithTiesBrokenById_AndFiltered()
    {
        // c-b and c-c share a moment: the page boundary falls between them and neither is lost nor shown twice.
        await Store.SaveCaseAsync(ListedCase("c-a", 0), Ct);
        await Store.SaveCaseAsync(ListedCase("c-b", 1, abstained: true), Ct);
        await Store.SaveCaseAsync(ListedCase("c-c", 1), Ct);
        await Store.SaveCaseAsync(ListedCase("c-d", 2), Ct);
        await Store.SaveCaseAsync(ListedCase("c-other", 3, workflow: "billing-disputes"), Ct);
        await RecordAsync(Store, "c-a", new ActionRecordedRow(ProposedAction("act-a", key: "k-a", status: ActionStatuses.Executed) with { CaseId = "c-a" }));
        await RecordAsync(Store, "c-c", new ActionRecordedRow(ProposedAction("act-c", key: "k-c", status: ActionStatuses.PendingApproval) with { CaseId = "c-c" }));
        await RecordAsync(Store, "c-d", new ActionRecordedRow(ProposedAction("act-d", key: "k-d", status: ActionStatuses.Denied) with { CaseId = "c-d" }));

        var first = await Store.ListCasesAsync(new CaseQuery { WorkflowId = "support-desk", Limit = 2 }, Ct);
        Assert.Equal(["c-d", "c-c"], first.Select(c => c.Id));
        Assert.Equal(ListedCase("c-d", 2), first[0]);
        var second = await Store.ListCasesAsync(new CaseQuery { WorkflowId = "support-desk", Limit = 2, Before = new CaseCursor(first[^1].CreatedAt, first[^1].Id) }, Ct);
        Assert.Equal(["c-b", "c-a"], second.Select(c => c.Id));
        Assert.True(second[0].Abstained);
        Assert.Empty(await Store.ListCasesAsync(new CaseQuery { WorkflowId = "support-desk", Before = new CaseCursor(second[^1].CreatedAt, second[^1].Id) }, Ct));

        async Task<IEnumerable<string>> Filtered(CaseFilter filter) =>
            (await Store.ListCasesAsync(new CaseQuery { WorkflowId = "support-desk", Filter = filter }, Ct)).Select(c => c.Id);
        Assert.Equal(["c-d", "c-c", "c-a"], await Filtered(CaseFilter.Answered));
        Assert.Equal(["c-b"], await Filtered(CaseFilter.Abstained));
        Assert.Equal(["c-c"], await Filtered(CaseFilter.PendingApproval));
        Assert.Equal(["c-a"], await Filtered(CaseFilter.Executed));
        Assert.Equal(["c-other"], (await Store.ListCasesAsync(new CaseQuery { WorkflowId = "billing-disputes" }, Ct)).Select(c => c.Id));
        Assert.Empty(await Store.ListCasesAsync(new CaseQuery { WorkflowId = "unknown" }, Ct));
    }

    [Fact]
    public async Task Actions_OfSeveralCases_AreReadTogether_OldestFirst()
    {
        await RecordAsync(Store, "c-1", new ActionRecordedRow(ProposedAction("act-2", key: "k-2", minute: 2) with { CaseId = "c-1" }));
        await RecordAsync(Store, "c-1", new ActionRecordedRow(ProposedAction("act-1", key: "k-1", minute: 1) with { CaseId = "c-1" }));
        await RecordAsync(Store, "c-2", new ActionRecordedRow(ProposedAction("act-3", key: "k-3", minute: 3) with { CaseId = "c-2" }));
        await RecordAsync(Store, "c-3", new ActionRecordedRow(ProposedAction("act-4", key: "k-4", minute: 0) with { CaseId = "c-3" }));

        var actions = await Store.ListActionsOfCasesAsync(["c-1", "c-2", "c-unknown"], Ct);
        Assert.Equal(["act-1", "act-2", "act-3"], actions.Select(a => a.Id));
        Assert.Equal(await Store.GetActionAsync("act-1", Ct), actions[0]);
        Assert.Empty(await Store.ListActionsOfCasesAsync([], Ct));
    }

    [Fact]
    public async Task Ledger_WorkflowRecent_ReadsBackwardsFromASequence_OnlyThatWorkflow()
    {
        for (var i = 0; i < 6; i++)
        {
            var workflow = i % 3 == 2 ? "billing-disputes" : i == 4 ? null : "support-desk";
            await LedgerAppends.AppendOneAsync(Store, seq => ("e-" + seq, "token.issued", workflow, null, CaseT0.AddSeconds(seq), $"{{\"seq\":{seq}}}"), Ct);
        }

        // support-desk holds 0, 1 and 3 (2 and 5 are billing-disputes', 4 is nobody's).
        var newest = await Store.ReadLedgerWorkflowRecentAsync("support-desk", long.MaxValue, 2, Ct);
        Assert.Equal([3L, 1L], newest.Select(e => e.Sequence));
        Assert.Equal("{\"seq\":3}", newest[0].Body);
        Assert.Equal(CaseT0.AddSeconds(3), newest[0].At);
        Assert.Equal([0L], (await Store.ReadLedgerWorkflowRecentAsync("support-desk", 1, 10, Ct)).Select(e => e.Sequence));
        Assert.Equal([5L, 2L], (await Store.ReadLedgerWorkflowRecentAsync("billing-disputes", long.MaxValue, 10, Ct)).Select(e => e.Sequence));
        Assert.Empty(await Store.ReadLedgerWorkflowRecentAsync("unknown", long.MaxValue, 10, Ct));
    }
}
