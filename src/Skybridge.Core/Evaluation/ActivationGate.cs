namespace Skybridge.Core.Evaluation;

/// <summary>A stored evaluation run as the activation gate sees it: what was run (by hash) and whether it cleared.</summary>
/// <param name="Id"><c>run-...</c>.</param>
/// <param name="ManifestHash">Lower-case hex SHA-256 of the manifest text that was run.</param>
/// <param name="GoldenSetHash">Lower-case hex SHA-256 of the golden set's bytes.</param>
/// <param name="Clears">True when the run cleared every criterion of the bar.</param>
/// <param name="FinishedAt">When it finished (the newest matching run is named in refusals).</param>
public sealed record GateRun(string Id, string ManifestHash, string GoldenSetHash, bool Clears, DateTimeOffset FinishedAt);

/// <summary>Who may override the gate, as established by the caller.</summary>
public enum OverrideAuthority
{
    /// <summary>The person asking is not the workflow's owner (nor in the owner group).</summary>
    None,

    /// <summary>The workflow's owner, or a member of the owner group.</summary>
    Owner,

    /// <summary>
    /// The bundled sample's set-up on a local data folder (<c>skybridge up</c>): whoever runs it can already write the
    /// store directly, so refusing would protect nothing; the override is still recorded, with its reason, as such.
    /// </summary>
    LocalSetup,
}

/// <summary>An owner's request to activate without a clearing run.</summary>
/// <param name="By">The person (or set-up) asking.</param>
/// <param name="Reason">Why, in words; recorded and shown with the version.</param>
/// <param name="Authority">Whether <paramref name="By"/> may override at all.</param>
public sealed record GateOverride(string By, string Reason, OverrideAuthority Authority);

/// <summary>How an activation passed the gate, or why it did not.</summary>
public enum ActivationGateOutcome
{
    /// <summary>A stored run of this exact manifest, on the pinned golden set, clears the bar.</summary>
    ClearedByRun,

    /// <summary>No clearing run, and the owner overrode with a reason.</summary>
    Overridden,

    /// <summary>Not activated.</summary>
    Refused,
}

/// <summary>The gate's decision. <see cref="Code"/> is stable (API <c>code</c>, CLI message) when refused.</summary>
public sealed record ActivationGateDecision
{
    /// <summary>Cleared, overridden or refused.</summary>
    public required ActivationGateOutcome Outcome { get; init; }

    /// <summary>The clearing run when cleared; else the newest run of this exact version, if any (evidence the override is taken against).</summary>
    public string? RunId { get; init; }

    /// <summary>The override, when <see cref="Outcome"/> is <see cref="ActivationGateOutcome.Overridden"/>.</summary>
    public GateOverride? Override { get; init; }

    /// <summary>Stable code when refused: see <see cref="ActivationGate"/>'s constants.</summary>
    public string? Code { get; init; }

    /// <summary>What was decided and why, in words.</summary>
    public required string Detail { get; init; }

    /// <summary>True when the version may be activated.</summary>
    public bool Allowed => Outcome != ActivationGateOutcome.Refused;
}

/// <summary>
/// The regression gate on activation: a manifest version (its prompt, retrieval settings, model, policy, bar and
/// golden-set pin are all in its text) becomes active only when a stored evaluation run of that exact text, on the
/// golden set the text pins, cleared the bar the text states; or when the workflow's owner overrides with a reason,
/// which is then recorded and shown with the version. A manifest that pins no golden set cannot be cleared by a run:
/// without the pin nothing ties the run's golden set to the one the owners agreed. Rollback is not gated (it returns
/// to a version that passed the gate, or was overridden, when it was activated). Pure: the caller supplies the runs
/// and establishes who is asking.
/// </summary>
public static class ActivationGate
{
    /// <summary>No stored run of this exact version on its pinned golden set (or nothing pinned).</summary>
    public const string EvaluationRequired = "evaluation_required";

    /// <summary>Runs of this exact version exist and none clears the bar.</summary>
    public const string EvaluationBelowBar = "evaluation_below_bar";

    /// <summary>An override without a reason (or one too short to say anything).</summary>
    public const string OverrideReasonRequired = "override_reason_required";

    /// <summary>An override by someone who is not the workflow's owner.</summary>
    public const string OverrideNotOwner = "override_not_owner";

    /// <summary>The shortest reason taken: "because" is not one.</summary>
    public const int MinReasonLength = 10;

    /// <summary>The longest reason kept (it is shown wherever the version is shown).</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>Decides whether the version whose manifest text hashes to <paramref name="manifestHash"/> may become active.</summary>
    /// <param name="manifestHash">Lower-case hex SHA-256 of the version's manifest text.</param>
    /// <param name="goldenSetPin">The golden set SHA-256 the version pins, or null.</param>
    /// <param name="owner">The owner as the manifest writes it (<c>user:maria.lopez</c>), for the words.</param>
    /// <param name="runs">The workflow's stored runs (any order; those of other versions are ignored).</param>
    /// <param name="request">The owner's override, or null.</param>
    public static ActivationGateDecision Decide(string manifestHash, string? goldenSetPin, string owner, IReadOnlyList<GateRun> runs, GateOverride? request)
    {
        ArgumentNullException.ThrowIfNull(manifestHash);
        ArgumentNullException.ThrowIfNull(runs);
        GateRun? newest = null;
        GateRun? clearing = null;
        var otherGoldenSet = 0;
        foreach (var run in runs)
        {
            if (!string.Equals(run.ManifestHash, manifestHash, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (goldenSetPin is null || !string.Equals(run.GoldenSetHash, goldenSetPin, StringComparison.OrdinalIgnoreCase))
            {
                otherGoldenSet++;
                continue;
            }

            if (newest is null || run.FinishedAt > newest.FinishedAt)
            {
                newest = run;
            }

            if (run.Clears && (clearing is null || run.FinishedAt > clearing.FinishedAt))
            {
                clearing = run;
            }
        }

        if (clearing is not null)
        {
            return new ActivationGateDecision
            {
                Outcome = ActivationGateOutcome.ClearedByRun,
                RunId = clearing.Id,
                Detail = $"Evaluation run {clearing.Id} of this exact version cleared the acceptance bar.",
            };
        }

        var missing = goldenSetPin is null
            ? "The version pins no golden set (golden_set: { path, sha256 }), so no evaluation run can show that it clears the agreed bar."
            : newest is null
                ? otherGoldenSet > 0
                    ? $"No evaluation run of this exact version on its pinned golden set is stored ({otherGoldenSet} ran another golden set)."
                    : "No evaluation run of this exact version is stored: run `skybridge eval run` on it first."
                : $"Evaluation run {newest.Id} of this exact version is below the acceptance bar, and no run of it clears.";
        var code = goldenSetPin is not null && newest is not null ? EvaluationBelowBar : EvaluationRequired;
        if (request is null)
        {
            return new ActivationGateDecision
            {
                Outcome = ActivationGateOutcome.Refused, Code = code, RunId = newest?.Id,
                Detail = $"{missing} The owner ({owner}) may activate it anyway with a reason, which is recorded and shown with the version.",
            };
        }

        var reason = request.Reason?.Trim() ?? "";
        if (reason.Length < MinReasonLength || reason.Length > MaxReasonLength)
        {
            return new ActivationGateDecision
            {
                Outcome = ActivationGateOutcome.Refused, Code = OverrideReasonRequired, RunId = newest?.Id,
                Detail = $"An override needs a reason of {MinReasonLength} to {MaxReasonLength} characters saying why the version may run without a clearing evaluation. {missing}",
            };
        }

        if (request.Authority == OverrideAuthority.None)
        {
            return new ActivationGateDecision
            {
                Outcome = ActivationGateOutcome.Refused, Code = OverrideNotOwner, RunId = newest?.Id,
                Detail = $"Only the workflow's owner ({owner}) may activate a version without a clearing evaluation; {request.By} is not. {missing}",
            };
        }

        return new ActivationGateDecision
        {
            Outcome = ActivationGateOutcome.Overridden,
            RunId = newest?.Id,
            Override = request with { Reason = reason },
            Detail = $"Activated without a clearing evaluation, by {(request.Authority == OverrideAuthority.LocalSetup ? "local set-up" : "the owner")} {request.By}: {reason}",
        };
    }
}
