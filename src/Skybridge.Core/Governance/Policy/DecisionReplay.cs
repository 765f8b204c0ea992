using Skybridge.Core.Governance.Ladder;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Governance.Policy;

/// <summary>
/// A decision as the ledger recorded it (<c>action.proposed</c> with its <c>policy.decided</c>): enough to ask a
/// candidate policy the same question again.
/// </summary>
public sealed record RecordedDecision
{
    /// <summary>The action's id.</summary>
    public required string ActionId { get; init; }

    /// <summary>The action's name.</summary>
    public required string Action { get; init; }

    /// <summary>When it was decided: the request's time of day is taken from it, as the pipeline took it from its clock.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>The proposing agent's role, or null when neither the ledger nor the agent store knows it.</summary>
    public string? AgentRole { get; init; }

    /// <summary>Who acted, outermost first.</summary>
    public IReadOnlyList<string> ActorChain { get; init; } = [];

    /// <summary>The case acted on.</summary>
    public string? CaseId { get; init; }

    /// <summary>The parameter values the ledger recorded (those policy can test; never free text).</summary>
    public IReadOnlyList<PolicyArgument> Values { get; init; } = [];

    /// <summary>
    /// Parameters the call may have carried although the ledger has no value for them (free text is not recorded).
    /// A candidate rule testing one of them cannot be decided from the record.
    /// </summary>
    public IReadOnlyCollection<string> UnrecordedParameters { get; init; } = [];

    /// <summary>The recorded policy outcome.</summary>
    public required PolicyOutcome Outcome { get; init; }

    /// <summary>The recorded disposition (policy and ladder), or null when the record does not say.</summary>
    public Disposition? Disposition { get; init; }

    /// <summary>The rules that decided then.</summary>
    public IReadOnlyList<string> Rules { get; init; } = [];
}

/// <summary>What a recorded decision becomes under a candidate policy.</summary>
public enum ReplayVerdict
{
    /// <summary>The same outcome and disposition.</summary>
    Unchanged,

    /// <summary>The outcome or the disposition would change.</summary>
    Flipped,

    /// <summary>The candidate tests something the ledger did not record; the new outcome assumes it absent.</summary>
    Uncertain,
}

/// <summary>One recorded decision decided again.</summary>
/// <param name="Recorded">What was decided then.</param>
/// <param name="Outcome">The candidate's outcome.</param>
/// <param name="Disposition">The candidate's disposition under its own autonomy level (never halted: a halt is not policy).</param>
/// <param name="Rules">The candidate rules that decided.</param>
/// <param name="Verdict">Unchanged, flipped or uncertain.</param>
/// <param name="Uncertainty">Why it is uncertain (<c>parameter body not recorded</c>), or null.</param>
public sealed record ReplayedDecision(RecordedDecision Recorded, PolicyOutcome Outcome, Disposition Disposition, IReadOnlyList<string> Rules, ReplayVerdict Verdict, string? Uncertainty);

/// <summary>
/// Decides a recorded call again under a candidate policy: the impact of a policy change, known before it is active.
/// Pure; the caller reads the ledger.
/// </summary>
public static class DecisionReplay
{
    /// <summary>Re-decides <paramref name="recorded"/> under <paramref name="candidate"/>.</summary>
    /// <remarks>
    /// A recorded <c>halted</c> disposition says nothing about policy, so only the policy outcome is compared for it.
    /// A value the record lacks is absent, as the decision point treats it (a condition on it does not hold); when a
    /// candidate rule that could otherwise match tests such a value, the decision is uncertain, not flipped.
    /// </remarks>
    public static ReplayedDecision Redecide(RecordedDecision recorded, CompiledPolicy candidate)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        ArgumentNullException.ThrowIfNull(candidate);
        var request = new PolicyRequest
        {
            AgentRole = recorded.AgentRole,
            ActorChain = recorded.ActorChain.ToArray(),
            Action = recorded.Action,
            Resource = recorded.CaseId,
            Parameters = recorded.Values.ToArray(),
            TimeOfDay = recorded.At.UtcDateTime.TimeOfDay,
        };
        var decision = candidate.Decide(request);
        var disposition = decision.Consequence is { } consequence
            ? EffectiveOutcome.Of(decision, candidate.Manifest.Autonomy.Level, halted: false, consequence).Disposition
            : Ladder.Disposition.Deny;

        var changed = decision.Outcome != recorded.Outcome
            || (recorded.Disposition is { } then && then != Ladder.Disposition.Halted && then != disposition);
        var uncertainty = recorded.AgentRole is null ? "agent role not recorded" : Unrecorded(recorded, candidate, request);
        var verdict = uncertainty is not null ? ReplayVerdict.Uncertain : changed ? ReplayVerdict.Flipped : ReplayVerdict.Unchanged;
        return new ReplayedDecision(recorded, decision.Outcome, disposition, decision.RuleIds, verdict, uncertainty);
    }

    /// <summary>The first unrecorded parameter an enforced candidate rule tests while nothing else rules it out.</summary>
    private static string? Unrecorded(RecordedDecision recorded, CompiledPolicy candidate, in PolicyRequest request)
    {
        if (recorded.UnrecordedParameters.Count == 0)
        {
            return null;
        }

        for (var i = 0; i < candidate.Rules.Count; i++)
        {
            var rule = candidate.Rules[i];
            if (rule.Mode == PolicyRuleMode.LogOnly || !(rule.Actions.Contains("*") || rule.Actions.Contains(recorded.Action))
                || !candidate.MatchesPrincipal(i, request))
            {
                continue;
            }

            var holds = candidate.ConditionResults(i, request);
            string? unknown = null;
            var ruledOut = false;
            for (var c = 0; c < rule.When.Count; c++)
            {
                var field = rule.When[c].Field;
                if (!PolicyFields.IsContextField(field) && recorded.UnrecordedParameters.Contains(field) && !recorded.Values.Any(v => v.Name == field))
                {
                    unknown ??= field;
                }
                else if (!holds[c])
                {
                    ruledOut = true;
                    break;
                }
            }

            if (unknown is not null && !ruledOut)
            {
                return $"parameter {unknown} not recorded";
            }
        }

        return null;
    }
}
