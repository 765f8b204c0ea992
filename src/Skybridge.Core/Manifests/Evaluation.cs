namespace Skybridge.Core.Manifests;

/// <summary>Autonomy settings.</summary>
public sealed record AutonomySettings
{
    /// <summary>The level; never <see cref="AutonomyLevel.Halted"/> in a manifest.</summary>
    public required AutonomyLevel Level { get; init; }

    /// <summary>Share of live outputs sent to reviewers, 0..1.</summary>
    public double ReviewSampleRate { get; init; }
}

/// <summary>
/// One threshold of the acceptance bar: a metric, overall or over the cases with one tag, that must clear
/// <see cref="Min"/> and/or <see cref="Max"/> at <see cref="Confidence"/> on at least <see cref="MinCases"/> cases
/// (docs/evaluation.md).
/// </summary>
public sealed record AcceptanceCriterion
{
    /// <summary>Default <see cref="Confidence"/>.</summary>
    public const double DefaultConfidence = 0.95;

    /// <summary>Default <see cref="MinCases"/>: below about 30 cases a Wilson interval is too wide to clear a useful bar.</summary>
    public const int DefaultMinCases = 30;

    /// <summary>The metric names the evaluation knows (<see cref="Evaluation.Metrics"/>).</summary>
    public static IReadOnlyList<string> KnownMetrics => Evaluation.Metrics.Names;

    /// <summary>One of <see cref="KnownMetrics"/>.</summary>
    public required string Metric { get; init; }

    /// <summary>Lowest acceptable value, or null.</summary>
    public double? Min { get; init; }

    /// <summary>Highest acceptable value, or null.</summary>
    public double? Max { get; init; }

    /// <summary>The golden-set tag whose cases the criterion is measured on, or null for every case.</summary>
    public string? Tag { get; init; }

    /// <summary>Confidence of the Wilson interval whose lower (for min) or upper (for max) end must clear.</summary>
    public double Confidence { get; init; } = DefaultConfidence;

    /// <summary>Fewer cases than this and the criterion cannot clear ("not enough cases").</summary>
    public int MinCases { get; init; } = DefaultMinCases;
}

/// <summary>A condition the pilot relied on, checked on a schedule; a broken one escalates.</summary>
public sealed record Assumption
{
    /// <summary>Assumption id.</summary>
    public required string Id { get; init; }

    /// <summary>What is assumed and why it matters, or null.</summary>
    public string? Description { get; init; }

    /// <summary>The measured metric (free-form; the check that produces it is registered at the edge).</summary>
    public required string Metric { get; init; }

    /// <summary>Lowest acceptable value, or null.</summary>
    public double? Min { get; init; }

    /// <summary>Highest acceptable value, or null.</summary>
    public double? Max { get; init; }

    /// <summary>How often to check.</summary>
    public required TimeSpan CheckEvery { get; init; }

    /// <summary>Who is told when it breaks.</summary>
    public IReadOnlyList<Principal> EscalateTo { get; init; } = [];
}

/// <summary>Workflow events a dependency can be notified of.</summary>
public enum WorkflowEvent
{
    /// <summary>A new version was published.</summary>
    Publish,

    /// <summary>A version was activated.</summary>
    Activate,

    /// <summary>An earlier version was re-activated.</summary>
    Rollback,

    /// <summary>The workflow was halted.</summary>
    Halt,

    /// <summary>A halted workflow was resumed.</summary>
    Resume,

    /// <summary>The workflow moved up the ladder.</summary>
    Promote,
}

/// <summary>A team or process that depends on this workflow's output.</summary>
public sealed record Dependency
{
    /// <summary>Dependency name.</summary>
    public required string Name { get; init; }

    /// <summary>What depends on us, or null.</summary>
    public string? Description { get; init; }

    /// <summary>Who to tell.</summary>
    public required Principal Contact { get; init; }

    /// <summary>Events they are told about.</summary>
    public IReadOnlyList<WorkflowEvent> NotifyOn { get; init; } = [];
}
