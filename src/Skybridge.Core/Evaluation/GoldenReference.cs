namespace Skybridge.Core.Evaluation;

/// <summary>
/// What a live case is compared with for the <c>unlike_golden_set</c> signal: the term sets (<see cref="GoldenSimilarity.Terms"/>)
/// of the golden cases of the evaluation run the active version's activation names, or why there are none. A node never
/// holds the golden set's file; the run keeps the term sets, which is all the similarity needs.
/// </summary>
/// <param name="RunId">The run the golden cases come from, or null when unknown.</param>
/// <param name="Cases">Each golden case's terms.</param>
/// <param name="UnknownReason">Why the signal cannot be computed (<c>no evaluation run</c>...), or null when it can.</param>
public sealed record GoldenReference(string? RunId, IReadOnlyList<IReadOnlySet<string>> Cases, string? UnknownReason)
{
    /// <summary>The signal's name, as sampling reasons spell it.</summary>
    public const string Signal = "unlike_golden_set";

    /// <summary>The golden cases of run <paramref name="runId"/>; unknown when the run has none.</summary>
    public static GoldenReference Of(string runId, IReadOnlyList<IReadOnlySet<string>> cases)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        ArgumentNullException.ThrowIfNull(cases);
        return cases.Count == 0 ? Unknown($"run {runId} has no golden cases") : new GoldenReference(runId, cases, null);
    }

    /// <summary>No golden cases to compare with, and why.</summary>
    public static GoldenReference Unknown(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new GoldenReference(null, [], reason);
    }

    /// <summary>True when the signal can be computed.</summary>
    public bool Known => UnknownReason is null;

    /// <summary>The signal for <paramref name="caseText"/>: false when unknown (nothing raises a case's chance on a guess).</summary>
    public bool IsUnlike(string caseText) => Known && GoldenSimilarity.IsUnlike(caseText, (IReadOnlyCollection<IReadOnlySet<string>>)Cases);

    /// <summary>How an uncomputable signal is listed beside the sampling reasons: <c>unlike_golden_set: unknown (no evaluation run)</c>.</summary>
    public string? UnknownNote => UnknownReason is null ? null : $"{Signal}: unknown ({UnknownReason})";
}
