namespace Skybridge.Storage.Tests.Contract;

/// <summary>The calibration half of the contract: sweeps written with their ledger event, read back whole, listed per workflow.</summary>
public abstract partial class StoreContractTests
{
    private static readonly DateTimeOffset C0 = new DateTimeOffset(2026, 12, 4, 9, 0, 0, TimeSpan.Zero).AddTicks(40);

    private static StoredCalibration Calibration(string id, int? version, int minute, bool clears = true, string workflow = "support-desk") => new()
    {
        Id = id,
        WorkflowId = workflow,
        Version = version,
        ManifestHash = new string('c', 64),
        GoldenSetHash = new string('d', 64),
        Settings = "{\"topK\":[3,5],\"abstainBelow\":[0.3,0.4],\"current\":{\"topK\":5,\"abstainBelow\":0.35}}",
        Rows = "[{\"topK\":5,\"abstainBelow\":0.3,\"clears\":true}]",
        Recommendation = clears ? "{\"recommended\":{\"topK\":5,\"abstainBelow\":0.3}}" : "{\"closest\":{\"setting\":{\"topK\":3,\"abstainBelow\":0.4}}}",
        Clears = clears,
        RunAt = C0.AddMinutes(minute),
        RunBy = "maria@cli",
    };

    [Fact]
    public async Task Calibrations_WrittenWithTheirEvent_ReadBackWhole_VersionNullForAManifestFile()
    {
        var published = Calibration("cal-1", 4, 0);
        var file = Calibration("cal-2", null, 1, clears: false);
        var before = await Store.GetLedgerHeadAsync(Ct);

        await RecordAsync(Store, "cal-event-1", new CalibrationRecordedRow(published));
        await RecordAsync(Store, "cal-event-2", new CalibrationRecordedRow(file));

        Assert.Equal(published, await Store.GetCalibrationAsync("cal-1", Ct));
        Assert.Equal(file, await Store.GetCalibrationAsync("cal-2", Ct));
        Assert.Null(await Store.GetCalibrationAsync("cal-3", Ct));
        Assert.Equal(before.Size + 2, (await Store.GetLedgerHeadAsync(Ct)).Size);
    }

    [Fact]
    public async Task Calibrations_ListedPerWorkflow_NewestFirst()
    {
        await RecordAsync(Store, "cal-event-1", new CalibrationRecordedRow(Calibration("cal-old", 1, 0)));
        await RecordAsync(Store, "cal-event-2", new CalibrationRecordedRow(Calibration("cal-new", 2, 5, clears: false)));
        await RecordAsync(Store, "cal-event-3", new CalibrationRecordedRow(Calibration("cal-other", 1, 9, workflow: "returns")));

        var sweeps = await Store.ListCalibrationsAsync("support-desk", Ct);

        Assert.Equal(["cal-new", "cal-old"], sweeps.Select(c => c.Id));
        Assert.Equal(Calibration("cal-new", 2, 5, clears: false), sweeps[0]);
        Assert.Empty(await Store.ListCalibrationsAsync("nobody", Ct));
    }

    [Fact]
    public async Task Calibrations_ASecondSweepWithTheSameId_RollsBackItsEvent()
    {
        await RecordAsync(Store, "cal-event-1", new CalibrationRecordedRow(Calibration("cal-1", 1, 0)));
        var head = await Store.GetLedgerHeadAsync(Ct);

        await Assert.ThrowsAnyAsync<Exception>(() => RecordAsync(Store, "cal-event-2", new CalibrationRecordedRow(Calibration("cal-1", 2, 3))));

        Assert.Equal(head.Size, (await Store.GetLedgerHeadAsync(Ct)).Size);
        Assert.Equal(1, (await Store.GetCalibrationAsync("cal-1", Ct))!.Version);
    }
}
