using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Governance.Ladder;

/// <summary>What happens to a proposed action once policy, autonomy level and the kill switch are combined.</summary>
public enum Disposition
{
    /// <summary>The action runs now.</summary>
    Execute,

    /// <summary>The action waits for the approval of a person (or several).</summary>
    AwaitApproval,

    /// <summary><c>L0-draft</c>: nothing executes; the proposal is recorded for the person doing the work.</summary>
    RecordProposal,

    /// <summary>Refused: the policy denies it, or the action is prohibited.</summary>
    Deny,

    /// <summary>The workflow is halted: nothing runs, whatever else holds.</summary>
    Halted,
}

/// <summary>Why the ladder chose a <see cref="Disposition"/>.</summary>
public enum LadderReason
{
    /// <summary>The kill switch is pulled.</summary>
    Halted,

    /// <summary>The policy denies the call.</summary>
    PolicyDenied,

    /// <summary>The action's consequence class is prohibited.</summary>
    Prohibited,

    /// <summary>At <c>L0-draft</c> the system only drafts.</summary>
    DraftOnly,

    /// <summary>At <c>L1-approve-all</c> every action waits for a person.</summary>
    ApproveAll,

    /// <summary>The policy asks for approval (a rule, or a consequential action no rule waives).</summary>
    PolicyRequiresApproval,

    /// <summary>At <c>L2-approve-consequential</c> the policy allows it without approval.</summary>
    Allowed,
}

/// <summary>
/// The autonomy ladder applied to one policy decision:
/// <list type="table">
/// <listheader><term>state</term><description>outcome</description></listheader>
/// <item><term>halted</term><description><see cref="Disposition.Halted"/>, whatever the policy says</description></item>
/// <item><term>policy deny or prohibited action</term><description><see cref="Disposition.Deny"/> at every level</description></item>
/// <item><term>L0-draft</term><description><see cref="Disposition.RecordProposal"/></description></item>
/// <item><term>L1-approve-all</term><description><see cref="Disposition.AwaitApproval"/> (at least one person)</description></item>
/// <item><term>L2-approve-consequential</term><description>the policy's outcome: allow runs, require approval waits</description></item>
/// </list>
/// </summary>
/// <param name="Disposition">What happens.</param>
/// <param name="Reason">Why.</param>
/// <param name="Approvers">Distinct people who must approve when waiting (at least 1), otherwise 0.</param>
public readonly record struct EffectiveOutcome(Disposition Disposition, LadderReason Reason, int Approvers)
{
    /// <summary>Combines a policy decision with the workflow's state. Pure; allocates nothing.</summary>
    /// <param name="decision">The policy's decision for the call.</param>
    /// <param name="level">The workflow's autonomy level (<see cref="AutonomyLevel.Halted"/> counts as halted).</param>
    /// <param name="halted">True while the kill switch is pulled.</param>
    /// <param name="consequence">The action's consequence class.</param>
    public static EffectiveOutcome Of(in PolicyDecision decision, AutonomyLevel level, bool halted, ActionConsequence consequence)
    {
        if (halted || level == AutonomyLevel.Halted)
        {
            return new(Disposition.Halted, LadderReason.Halted, 0);
        }

        if (consequence == ActionConsequence.Prohibited)
        {
            return new(Disposition.Deny, LadderReason.Prohibited, 0);
        }

        if (decision.Outcome == PolicyOutcome.Deny)
        {
            return new(Disposition.Deny, LadderReason.PolicyDenied, 0);
        }

        return level switch
        {
            AutonomyLevel.L0Draft => new(Disposition.RecordProposal, LadderReason.DraftOnly, 0),
            AutonomyLevel.L1ApproveAll => new(Disposition.AwaitApproval, decision.Outcome == PolicyOutcome.RequireApproval ? LadderReason.PolicyRequiresApproval : LadderReason.ApproveAll, Math.Max(1, decision.Approvers)),
            _ => decision.Outcome == PolicyOutcome.RequireApproval
                ? new(Disposition.AwaitApproval, LadderReason.PolicyRequiresApproval, Math.Max(1, decision.Approvers))
                : new(Disposition.Execute, LadderReason.Allowed, 0),
        };
    }
}
