namespace Skybridge.Storage.Tests.Contract;

/// <summary>The evaluation half of the contract: runs written with their ledger event, read back whole, listed per workflow.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset E0 = new DateTimeOffset(2026, 12, 3, 14, 0, 0, TimeSpan.Zero).AddTicks(30);

    private static StoredEvaluationRun EvaluationRun(string id, int? version, int minute, string verdict = StoredEvaluationRun.Clears, string workflow = "support-desk") => new()
    {
        Id = id,
        WorkflowId = workflow,
        Version = version,
        ManifestHash = new string('a', 64),
        GoldenSetHash = new string('b', 64),
        Bar = "[{\"metric\":\"answer_accuracy\",\"min\":0.9}]",
        Metrics = "{\"overall\":{\"answer_accuracy\":0.93}}",
        Verdict = verdict,
        Cases = "[{\"id\":\"gs-001\",\"passed\":true}]",
        StartedAt = E0.AddMinutes(minute),
        FinishedAt = E0.AddMinutes(minute).AddSeconds(4),
        RunBy = "maria@cli",
    };

    [Fact]
    public async Task EvaluationRuns_WrittenWithTheirEvent_ReadBackWhole_VersionNullForAManifestFile()
    {
        var published = EvaluationRun("run-1", 3, 0);
        var file = EvaluationRun("run-2", null, 1, StoredEvaluationRun.Fails);
        var before = await Store.GetLedgerHeadAsync(Ct);

        await RecordAsync(Store, "eval-1", new EvaluationRunRecordedRow(published));
        await RecordAsync(Store, "eval-2", new EvaluationRunRecordedRow(file));

        Assert.Equal(published, await Store.GetEvaluationRunAsync("run-1", Ct));
        Assert.Equal(file, await Store.GetEvaluationRunAsync("run-2", Ct));
        Assert.Null(await Store.GetEvaluationRunAsync("run-3", Ct));
        Assert.Equal(before.Size + 2, (await Store.GetLedgerHeadAsync(Ct)).Size);
    }

    [Fact]
    public async Task EvaluationRuns_ListedPerWorkflow_NewestFirst_WithoutCaseResults()
    {
        await RecordAsync(Store, "eval-1", new EvaluationRunRecordedRow(EvaluationRun("run-old", 1, 0)));
        await RecordAsync(Store, "eval-2", new EvaluationRunRecordedRow(EvaluationRun("run-new", 2, 5)));
        await RecordAsync(Store, "eval-3", new EvaluationRunRecordedRow(EvaluationRun("run-other", 1, 9, workflow: "returns")));

        var runs = await Store.ListEvaluationRunsAsync("support-desk", Ct);

        Assert.Equal(["run-new", "run-old"], runs.Select(r => r.Id));
        Assert.All(runs, r => Assert.Null(r.Cases));
        Assert.Equal(EvaluationRun("run-new", 2, 5) with { Cases = null }, runs[0]);
        Assert.Empty(await Store.ListEvaluationRunsAsync("nobody", Ct));
    }

    [Fact]
    public async Task EvaluationRuns_ASecondRunWithTheSameId_RollsBackItsEvent()
    {
        await RecordAsync(Store, "eval-1", new EvaluationRunRecordedRow(EvaluationRun("run-1", 1, 0)));
        var head = await Store.GetLedgerHeadAsync(Ct);

        await Assert.ThrowsAnyAsync<Exception>(() => RecordAsync(Store, "eval-2", new EvaluationRunRecordedRow(EvaluationRun("run-1", 2, 3, StoredEvaluationRun.Fails))));

        Assert.Equal(head.Size, (await Store.GetLedgerHeadAsync(Ct)).Size);
        Assert.Equal(1, (await Store.GetEvaluationRunAsync("run-1", Ct))!.Version);
    }
}
