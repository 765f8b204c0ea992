namespace Skybridge.Storage;

/// <summary>
/// Evaluation runs kept as evidence: which manifest (by hash) and golden set (by hash) were run, the bar in force, the
/// metrics, the verdict and every case's result. A run is written only with its <c>evaluation.completed</c> ledger
/// event (<see cref="EvaluationRunRecordedRow"/>), so the evidence and its record cannot disagree. Runs are never
/// changed or deleted.
/// </summary>
public interface IEvaluationStore
{
    /// <summary>The run with id <paramref name="runId"/>, its per-case results included, or null.</summary>
    Task<StoredEvaluationRun?> GetEvaluationRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>The workflow's runs, newest first, without their per-case results (<see cref="StoredEvaluationRun.Cases"/> is null).</summary>
    Task<IReadOnlyList<StoredEvaluationRun>> ListEvaluationRunsAsync(string workflowId, CancellationToken cancellationToken = default);
}

/// <summary>One evaluation run as stored.</summary>
public sealed record StoredEvaluationRun
{
    /// <summary>Verdict of a run that cleared every criterion of the bar.</summary>
    public const string Clears = "clears";

    /// <summary>Verdict of a run below the bar.</summary>
    public const string Fails = "fails";

    /// <summary><c>run-...</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The workflow the manifest is for.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The stored manifest version that was run, or null for a manifest file not (yet) published.</summary>
    public int? Version { get; init; }

    /// <summary>Lower-case hex SHA-256 of the manifest's text.</summary>
    public required string ManifestHash { get; init; }

    /// <summary>Lower-case hex SHA-256 of the golden set file's bytes.</summary>
    public required string GoldenSetHash { get; init; }

    /// <summary>The acceptance bar in force, as JSON.</summary>
    public required string Bar { get; init; }

    /// <summary>The metrics (overall and per tag) and the criteria's verdicts, as JSON.</summary>
    public required string Metrics { get; init; }

    /// <summary><see cref="Clears"/> or <see cref="Fails"/>.</summary>
    public required string Verdict { get; init; }

    /// <summary>Every case's result (checks, output, repeats) as JSON; null in listings.</summary>
    public string? Cases { get; init; }

    /// <summary>
    /// Each golden case's terms as JSON (an array of sorted arrays, in golden-set order): what live review compares a
    /// case with on a node that does not hold the golden set's file. Null in listings and for runs stored before
    /// migration 0020.
    /// </summary>
    public string? GoldenTerms { get; init; }

    /// <summary>When the run started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it finished.</summary>
    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>Who ran it.</summary>
    public required string RunBy { get; init; }
}

/// <summary>Stores an evaluation run with its <c>evaluation.completed</c> event, in one transaction.</summary>
public sealed record EvaluationRunRecordedRow(StoredEvaluationRun Run) : RecordedRow;
