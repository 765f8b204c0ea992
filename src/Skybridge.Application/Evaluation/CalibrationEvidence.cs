using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Evaluation;

/// <summary>
/// A calibration sweep as evidence: the stored row (hashes of what was swept, the grid, every setting's metrics and
/// verdict, the recommendation) written in one transaction with its <c>evaluation.calibrated</c> event; and the stored
/// sweep read back for the console and the API. The node holds no golden set files, so what they show is what was stored.
/// </summary>
public static class CalibrationEvidence
{
    /// <summary>A new sweep id: <c>cal-</c> and 16 hex digits.</summary>
    public static string NewId() => "cal-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The row that keeps <paramref name="result"/>, swept over <paramref name="topK"/> x <paramref name="thresholds"/>.</summary>
    public static StoredCalibration ToStored(string id, CalibrationResult result, IReadOnlyList<int> topK, IReadOnlyList<double> thresholds, DateTimeOffset at, string runBy)
    {
        ArgumentNullException.ThrowIfNull(result);
        var json = Calibration.Json(result);
        return new StoredCalibration
        {
            Id = id,
            WorkflowId = result.WorkflowId,
            Version = result.Version,
            ManifestHash = result.ManifestHash,
            GoldenSetHash = result.GoldenSetHash,
            Settings = Settings(result, topK, thresholds).ToJsonString(),
            Rows = json["rows"]!.ToJsonString(),
            Recommendation = new JsonObject { ["recommended"] = json["recommended"]?.DeepClone(), ["closest"] = json["closest"]?.DeepClone() }.ToJsonString(),
            Clears = result.Recommended is not null,
            // The store keeps times to the microsecond: the row returned is the row read back.
            RunAt = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero),
            RunBy = runBy,
        };
    }

    /// <summary>Stores <paramref name="result"/> with its <c>evaluation.calibrated</c> event, in one transaction.</summary>
    public static async Task<StoredCalibration> RecordAsync(ILedger ledger, CalibrationResult result, IReadOnlyList<int> topK, IReadOnlyList<double> thresholds,
        DateTimeOffset at, string runBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(result);
        var stored = ToStored(NewId(), result, topK, thresholds, at, runBy);
        var recommendation = JsonNode.Parse(stored.Recommendation)!.AsObject();
        // Hashes, ids, the grid and the recommendation: no golden case text, no answers (the rows hold only counts either).
        var content = new JsonObject
        {
            ["calibration"] = stored.Id,
            ["manifestHash"] = stored.ManifestHash,
            ["goldenSetHash"] = stored.GoldenSetHash,
            ["version"] = stored.Version,
            ["settings"] = JsonNode.Parse(stored.Settings),
            ["recommended"] = recommendation["recommended"]?.DeepClone(),
            ["closest"] = recommendation["closest"]?.DeepClone(),
        };
        var entry = new LedgerEntry
        {
            Type = LedgerEventTypes.EvaluationCalibrated,
            Actors = [LedgerActor.Human(runBy)],
            WorkflowId = result.WorkflowId,
            WorkflowVersion = result.Version,
            Resource = new LedgerResource("calibration_run", stored.Id),
            Outcome = stored.Clears ? StoredEvaluationRun.Clears : StoredEvaluationRun.Fails,
            Content = content,
        };
        await ledger.AppendAsync([entry], [new CalibrationRecordedRow(stored)], cancellationToken).ConfigureAwait(false);
        return stored;
    }

    private static JsonObject Settings(CalibrationResult result, IReadOnlyList<int> topK, IReadOnlyList<double> thresholds) => new()
    {
        ["topK"] = new JsonArray([.. topK.Select(k => (JsonNode)k)]),
        ["abstainBelow"] = new JsonArray([.. thresholds.Select(t => (JsonNode)t)]),
        ["current"] = new JsonObject { ["topK"] = result.Current.TopK, ["abstainBelow"] = result.Current.AbstainBelow },
    };

    /// <summary>A stored sweep read back: its rows, the manifest's setting, the recommendation or the closest setting.</summary>
    public static CalibrationView View(StoredCalibration stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var settings = JsonSerializer.Deserialize<StoredSettings>(stored.Settings, EvaluationEvidence.Json)!;
        var rows = JsonSerializer.Deserialize<List<CalibrationViewRow>>(stored.Rows, EvaluationEvidence.Json) ?? [];
        var recommendation = JsonSerializer.Deserialize<StoredRecommendation>(stored.Recommendation, EvaluationEvidence.Json)!;
        return new CalibrationView(stored, settings.TopK, settings.AbstainBelow, settings.Current, rows, recommendation.Recommended, recommendation.Closest);
    }

    /// <summary>A stored sweep as JSON for the API: identity, grid, rows and recommendation.</summary>
    public static JsonObject Json(StoredCalibration stored, bool withRows)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var recommendation = JsonNode.Parse(stored.Recommendation)!.AsObject();
        var json = new JsonObject
        {
            ["id"] = stored.Id,
            ["workflow"] = stored.WorkflowId,
            ["version"] = stored.Version,
            ["manifestHash"] = stored.ManifestHash,
            ["goldenSetHash"] = stored.GoldenSetHash,
            ["settings"] = JsonNode.Parse(stored.Settings),
            ["clears"] = stored.Clears,
            ["recommended"] = recommendation["recommended"]?.DeepClone(),
            ["closest"] = recommendation["closest"]?.DeepClone(),
            ["runAt"] = stored.RunAt,
            ["runBy"] = stored.RunBy,
        };
        if (withRows)
        {
            json["rows"] = JsonNode.Parse(stored.Rows);
        }

        return json;
    }

    private sealed record StoredSettings(IReadOnlyList<int> TopK, IReadOnlyList<double> AbstainBelow, CalibrationPoint Current);

    private sealed record StoredRecommendation(CalibrationPoint? Recommended, CalibrationClosest? Closest);
}

/// <summary>A setting as stored.</summary>
public sealed record CalibrationPoint(int TopK, double AbstainBelow);

/// <summary>The closest setting when none clears, and what it fails.</summary>
public sealed record CalibrationClosest(CalibrationPoint Setting, IReadOnlyList<CalibrationFailure> Failing);

/// <summary>A criterion a setting fails.</summary>
public sealed record CalibrationFailure(string Metric, string? Tag, string Threshold, double? Value, string Status, string? Reason);

/// <summary>A metric of a row: value, successes and trials, and its Wilson interval.</summary>
public sealed record CalibrationMetric(double? Value, int? Successes, int? Trials, double? Lower, double? Upper);

/// <summary>One stored row of a sweep.</summary>
public sealed record CalibrationViewRow(int TopK, double AbstainBelow, bool Current, int Cases, int Answered, double AnsweredShare,
    IReadOnlyDictionary<string, CalibrationMetric> Metrics, bool Clears, IReadOnlyList<CalibrationFailure> Failing)
{
    /// <summary>A metric, or an empty one when the row does not have it.</summary>
    public CalibrationMetric Metric(string name) => Metrics.TryGetValue(name, out var m) ? m : new CalibrationMetric(null, null, null, null, null);
}

/// <summary>A stored sweep read back.</summary>
public sealed record CalibrationView(StoredCalibration Stored, IReadOnlyList<int> TopK, IReadOnlyList<double> AbstainBelow, CalibrationPoint Current,
    IReadOnlyList<CalibrationViewRow> Rows, CalibrationPoint? Recommended, CalibrationClosest? Closest)
{
    /// <summary>True when <paramref name="row"/> is the recommended setting.</summary>
    public bool IsRecommended(CalibrationViewRow row) => Recommended is { } r && r.TopK == row.TopK && Math.Abs(r.AbstainBelow - row.AbstainBelow) < 1e-9;

    /// <summary>True when <paramref name="row"/> is the closest setting.</summary>
    public bool IsClosest(CalibrationViewRow row) => Closest is { } c && c.Setting.TopK == row.TopK && Math.Abs(c.Setting.AbstainBelow - row.AbstainBelow) < 1e-9;
}
