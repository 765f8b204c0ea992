using System.Data.Common;
using Dapper;

namespace Skybridge.Storage.Sql;

/// <summary>Evaluation runs; see <see cref="IEvaluationStore"/>.</summary>
internal abstract partial class SqlStore
{
    private const string EvaluationColumns =
        "id AS Id, workflow_id AS WorkflowId, version AS Version, manifest_hash AS ManifestHash, golden_set_hash AS GoldenSetHash, " +
        "bar AS Bar, metrics AS Metrics, verdict AS Verdict, started_at_us AS StartedAtUs, finished_at_us AS FinishedAtUs, run_by AS RunBy";

    public async Task<StoredEvaluationRun?> GetEvaluationRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<EvaluationRow>(new CommandDefinition(
            $"SELECT {EvaluationColumns}, cases AS Cases, golden_terms AS GoldenTerms FROM evaluation_runs WHERE id = @runId",
            new { runId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToStored();
    }

    public async Task<IReadOnlyList<StoredEvaluationRun>> ListEvaluationRunsAsync(string workflowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        // The per-case results are the bulk of a run and a listing does not show them: not read.
        var rows = await connection.QueryAsync<EvaluationRow>(new CommandDefinition(
            $"SELECT {EvaluationColumns} FROM evaluation_runs WHERE workflow_id = @workflowId ORDER BY started_at_us DESC, id DESC",
            new { workflowId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r.ToStored()).ToList();
    }

    private static Task InsertEvaluationRunAsync(DbConnection connection, DbTransaction tx, StoredEvaluationRun run, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO evaluation_runs (id, workflow_id, version, manifest_hash, golden_set_hash, bar, metrics, verdict, cases, started_at_us, finished_at_us, run_by, golden_terms) " +
            "VALUES (@Id, @WorkflowId, @Version, @ManifestHash, @GoldenSetHash, @Bar, @Metrics, @Verdict, @Cases, @StartedAtUs, @FinishedAtUs, @RunBy, @GoldenTerms)",
            new
            {
                run.Id, run.WorkflowId, run.Version, run.ManifestHash, run.GoldenSetHash, run.Bar, run.Metrics, run.Verdict,
                Cases = run.Cases ?? "[]", StartedAtUs = ToMicros(run.StartedAt), FinishedAtUs = ToMicros(run.FinishedAt), run.RunBy, run.GoldenTerms,
            }, tx, cancellationToken: cancellationToken));

    private sealed class EvaluationRow
    {
        public string Id { get; set; } = "";
        public string WorkflowId { get; set; } = "";
        public long? Version { get; set; }
        public string ManifestHash { get; set; } = "";
        public string GoldenSetHash { get; set; } = "";
        public string Bar { get; set; } = "";
        public string Metrics { get; set; } = "";
        public string Verdict { get; set; } = "";
        public string? Cases { get; set; }
        public string? GoldenTerms { get; set; }
        public long StartedAtUs { get; set; }
        public long FinishedAtUs { get; set; }
        public string RunBy { get; set; } = "";

        public StoredEvaluationRun ToStored() => new()
        {
            Id = Id, WorkflowId = WorkflowId, Version = Version is { } v ? (int)v : null, ManifestHash = ManifestHash, GoldenSetHash = GoldenSetHash,
            Bar = Bar, Metrics = Metrics, Verdict = Verdict, Cases = Cases, GoldenTerms = GoldenTerms, StartedAt = FromMicros(StartedAtUs), FinishedAt = FromMicros(FinishedAtUs), RunBy = RunBy,
        };
    }
}
