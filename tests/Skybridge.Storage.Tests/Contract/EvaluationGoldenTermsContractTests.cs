namespace Skybridge.Storage.Tests.Contract;

/// <summary>The golden cases' terms kept with a run (migration 0020): what a node compares live cases with.</summary>
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task EvaluationRuns_GoldenTerms_ReadBackWithTheRun_NotInListings_NullWhenNoneKept()
    {
        const string terms = "[[\"password\",\"portal\",\"reset\"],[\"charge\",\"double\",\"refund\"]]";
        await RecordAsync(Store, "eval-terms-1", new EvaluationRunRecordedRow(EvaluationRun("run-terms", 1, 0) with { GoldenTerms = terms }));
        await RecordAsync(Store, "eval-terms-2", new EvaluationRunRecordedRow(EvaluationRun("run-bare", 1, 1)));

        Assert.Equal(terms, (await Store.GetEvaluationRunAsync("run-terms", Ct))!.GoldenTerms);
        Assert.Null((await Store.GetEvaluationRunAsync("run-bare", Ct))!.GoldenTerms);
        Assert.All(await Store.ListEvaluationRunsAsync("support-desk", Ct), r => Assert.Null(r.GoldenTerms));
    }
}
