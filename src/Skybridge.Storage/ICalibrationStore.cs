namespace Skybridge.Storage;

/// <summary>
/// Calibration sweeps kept as evidence (<c>skybridge eval calibrate</c> with a store): which manifest and golden set (by
/// hash) were swept, over which settings, every setting's metrics and verdict, and the recommendation. A sweep is written
/// only with its <c>evaluation.calibrated</c> ledger event (<see cref="CalibrationRecordedRow"/>). Sweeps are never
/// changed or deleted.
/// </summary>
public interface ICalibrationStore
{
    /// <summary>The sweep with id <paramref name="calibrationId"/>, or null.</summary>
    Task<StoredCalibration?> GetCalibrationAsync(string calibrationId, CancellationToken cancellationToken = default);

    /// <summary>The workflow's sweeps, newest first.</summary>
    Task<IReadOnlyList<StoredCalibration>> ListCalibrationsAsync(string workflowId, CancellationToken cancellationToken = default);
}

/// <summary>One calibration sweep as stored.</summary>
public sealed record StoredCalibration
{
    /// <summary><c>cal-...</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The workflow the manifest is for.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The published version swept, or null for a manifest file.</summary>
    public int? Version { get; init; }

    /// <summary>Lower-case hex SHA-256 of the manifest's text.</summary>
    public required string ManifestHash { get; init; }

    /// <summary>Lower-case hex SHA-256 of the golden set file's bytes.</summary>
    public required string GoldenSetHash { get; init; }

    /// <summary>The grid swept and the manifest's own setting, as JSON.</summary>
    public required string Settings { get; init; }

    /// <summary>Every setting's row (answered share, metrics with successes, trials and intervals, verdict), as JSON.</summary>
    public required string Rows { get; init; }

    /// <summary>The recommended setting, or the closest one with the criteria it fails, as JSON.</summary>
    public required string Recommendation { get; init; }

    /// <summary>True when some setting clears the bar (there is a recommendation).</summary>
    public required bool Clears { get; init; }

    /// <summary>When the sweep finished.</summary>
    public required DateTimeOffset RunAt { get; init; }

    /// <summary>Who ran it.</summary>
    public required string RunBy { get; init; }
}

/// <summary>Stores a calibration sweep with its <c>evaluation.calibrated</c> event, in one transaction.</summary>
public sealed record CalibrationRecordedRow(StoredCalibration Calibration) : RecordedRow;
