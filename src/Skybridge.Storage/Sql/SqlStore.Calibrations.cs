using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>Calibration sweeps; see <see cref="ICalibrationStore"/>.</summary>
internal abstract partial class SqlStore
{
    private const string CalibrationColumns =
        "SELECT id AS Id, workflow_id AS WorkflowId, version AS Version, manifest_hash AS ManifestHash, golden_set_hash AS GoldenSetHash, " +
        "settings AS Settings, rows_json AS RowsJson, recommendation AS Recommendation, clears AS Clears, run_at_us AS RunAtUs, run_by AS RunBy FROM calibration_runs";

    public async Task<StoredCalibration?> GetCalibrationAsync(string calibrationId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<CalibrationRow>(new CommandDefinition(
            CalibrationColumns + " WHERE id = @calibrationId", new { calibrationId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToStored();
    }

    public async Task<IReadOnlyList<StoredCalibration>> ListCalibrationsAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<CalibrationRow>(new CommandDefinition(
            CalibrationColumns + " WHERE workflow_id = @workflowId ORDER BY run_at_us DESC, id DESC",
            new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToStored()).ToList();
    }

    private static Task InsertCalibrationAsync(DbConnection connection, DbTransaction tx, StoredCalibration c, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO calibration_runs (id, workflow_id, version, manifest_hash, golden_set_hash, settings, rows_json, recommendation, clears, run_at_us, run_by) " +
            "VALUES (@Id, @WorkflowId, @Version, @ManifestHash, @GoldenSetHash, @Settings, @Rows, @Recommendation, @Clears, @RunAtUs, @RunBy)",
            new
            {
                c.Id, c.WorkflowId, c.Version, c.ManifestHash, c.GoldenSetHash, c.Settings, c.Rows, c.Recommendation,
                Clears = c.Clears ? 1 : 0, RunAtUs = ToMicros(c.RunAt), c.RunBy,
            }, tx, cancellationToken: cancellationToken));

    private sealed class CalibrationRow
    {
        public string Id { get; set; } = "";
        public string WorkflowId { get; set; } = "";
        public long? Version { get; set; }
        public string ManifestHash { get; set; } = "";
        public string GoldenSetHash { get; set; } = "";
        public string Settings { get; set; } = "";
        public string RowsJson { get; set; } = "";
        public string Recommendation { get; set; } = "";
        public long Clears { get; set; }
        public long RunAtUs { get; set; }
        public string RunBy { get; set; } = "";

        public StoredCalibration ToStored() => new()
        {
            Id = Id, WorkflowId = WorkflowId, Version = Version is { } v ? (int)v : null, ManifestHash = ManifestHash, GoldenSetHash = GoldenSetHash,
            Settings = Settings, Rows = RowsJson, Recommendation = Recommendation, Clears = Clears != 0, RunAt = FromMicros(RunAtUs), RunBy = RunBy,
        };
    }
}
