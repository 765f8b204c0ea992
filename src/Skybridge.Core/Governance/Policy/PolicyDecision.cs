using System.Runtime.CompilerServices;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Governance.Policy;

/// <summary>What the policy says about one request.</summary>
public enum PolicyOutcome
{
    /// <summary>Not allowed; nothing runs.</summary>
    Deny,

    /// <summary>Allowed without a person's approval (the autonomy level may still ask for one).</summary>
    Allow,

    /// <summary>Allowed once the action's approve authority has approved it.</summary>
    RequireApproval,
}

/// <summary>Why the policy decided as it did; explanations and the ledger use it.</summary>
public enum PolicyReason
{
    /// <summary>At least one permit matched and none asked for approval.</summary>
    Permitted,

    /// <summary>A matching permit asks for approval (<c>approval: required</c> or <c>approvers</c>).</summary>
    ApprovalRequiredByRule,

    /// <summary>A matching permit says nothing about approval and the action is consequential.</summary>
    ApprovalRequiredConsequential,

    /// <summary>A forbid rule matched: forbid overrides permit.</summary>
    ForbiddenByRule,

    /// <summary>No permit matched: deny by default.</summary>
    NoRulePermits,

    /// <summary>The action is <c>prohibited</c>: it never runs, whatever the rules say.</summary>
    ProhibitedAction,

    /// <summary>The manifest declares no action of that name.</summary>
    UnknownAction,
}

/// <summary>A set of rules by their position in the manifest; inline for up to 256 rules, so it costs no allocation.</summary>
internal struct RuleMask
{
    public const int InlineCapacity = 256;

    private Bits bits;
    private ulong[]? overflow;

    public readonly bool IsEmpty
    {
        get
        {
            for (var i = 0; i < 4; i++)
            {
                if (bits[i] != 0)
                {
                    return false;
                }
            }

            return overflow is null || Array.TrueForAll(overflow, w => w == 0);
        }
    }

    public void Add(int index)
    {
        if (index < InlineCapacity)
        {
            bits[index >> 6] |= 1UL << (index & 63);
            return;
        }

        // Only policies of more than 256 rules get here; they pay one small array per decision.
        var word = (index - InlineCapacity) >> 6;
        if (overflow is null || overflow.Length <= word)
        {
            Array.Resize(ref overflow, word + 1);
        }

        overflow[word] |= 1UL << (index & 63);
    }

    public readonly bool Contains(int index) => index < InlineCapacity
        ? (bits[index >> 6] & (1UL << (index & 63))) != 0
        : overflow is { } o && ((index - InlineCapacity) >> 6) < o.Length && (o[(index - InlineCapacity) >> 6] & (1UL << (index & 63))) != 0;

    public readonly int Count
    {
        get
        {
            var count = 0;
            for (var i = 0; i < 4; i++)
            {
                count += System.Numerics.BitOperations.PopCount(bits[i]);
            }

            if (overflow is not null)
            {
                foreach (var w in overflow)
                {
                    count += System.Numerics.BitOperations.PopCount(w);
                }
            }

            return count;
        }
    }

    public readonly IEnumerable<int> Indices(int ruleCount)
    {
        var self = this;
        return Enumerable.Range(0, ruleCount).Where(self.Contains);
    }

    [InlineArray(4)]
    private struct Bits
    {
        private ulong element;
    }
}

/// <summary>
/// The policy's answer to one <see cref="PolicyRequest"/>. A struct holding only numbers and references the compiled
/// policy already owns, so making it allocates nothing; names, rule lists and explanations are looked up when asked.
/// </summary>
public readonly struct PolicyDecision
{
    private readonly CompiledPolicy? policy;
    private readonly int action;
    private readonly int approvalRule;
    private readonly RuleMask deciding;
    private readonly RuleMask logOnly;

    internal PolicyDecision(
        CompiledPolicy policy, int action, PolicyOutcome outcome, PolicyReason reason, int approvers, int approvalRule,
        RuleMask deciding, RuleMask logOnly, PolicyOutcome logOnlyOutcome, PolicyReason logOnlyReason)
    {
        this.policy = policy;
        this.action = action;
        Outcome = outcome;
        Reason = reason;
        Approvers = approvers;
        this.approvalRule = approvalRule;
        this.deciding = deciding;
        this.logOnly = logOnly;
        LogOnlyOutcome = logOnlyOutcome;
        LogOnlyReason = logOnlyReason;
    }

    /// <summary>Allow, require approval, or deny.</summary>
    public PolicyOutcome Outcome { get; }

    /// <summary>Why.</summary>
    public PolicyReason Reason { get; }

    /// <summary>How many distinct people must approve (0 unless <see cref="Outcome"/> is <see cref="PolicyOutcome.RequireApproval"/>).</summary>
    public int Approvers { get; }

    /// <summary>True when the outcome is <see cref="PolicyOutcome.Allow"/>.</summary>
    public bool IsAllowed => Outcome == PolicyOutcome.Allow;

    /// <summary>True when the outcome is <see cref="PolicyOutcome.Deny"/>.</summary>
    public bool IsDenied => Outcome == PolicyOutcome.Deny;

    /// <summary>The action's name as the manifest declares it, or null for an unknown action.</summary>
    public string? Action => action >= 0 ? policy!.Actions[action].Name : null;

    /// <summary>The action's consequence class, or null for an unknown action.</summary>
    public ActionConsequence? Consequence => action >= 0 ? policy!.Actions[action].Consequence : null;

    /// <summary>Who may approve the action (the manifest's <c>authorities.approve</c> for it); empty when nobody may.</summary>
    public IReadOnlyList<Principal> Authority => action >= 0 ? policy!.Authority(action) : [];

    /// <summary>
    /// The ids of the rules that decided: every matching forbid for a forbidden call, every matching permit for an
    /// allowed one (or one waiting for approval), none when no rule permits. Shared arrays when one rule decided.
    /// </summary>
    public IReadOnlyList<string> RuleIds => policy is null ? [] : policy.RuleIds(deciding);

    /// <summary>The id of the permit whose approval requirement the outcome carries, or null.</summary>
    public string? ApprovalRuleId => approvalRule >= 0 ? policy!.Rules[approvalRule].Id : null;

    /// <summary>
    /// What the decision would have been with the <c>log_only</c> rules enforced. Equal to <see cref="Outcome"/>
    /// when no log-only rule matched or when they would not have changed it.
    /// </summary>
    public PolicyOutcome LogOnlyOutcome { get; }

    /// <summary>The reason behind <see cref="LogOnlyOutcome"/>.</summary>
    public PolicyReason LogOnlyReason { get; }

    /// <summary>The ids of the <c>log_only</c> rules that matched (they decided nothing).</summary>
    public IReadOnlyList<string> LogOnlyRuleIds => policy is null ? [] : policy.RuleIds(logOnly);

    /// <summary>True when enforcing the matching log-only rules would have changed the outcome: the ledger records it.</summary>
    public bool LogOnlyWouldChange => LogOnlyOutcome != Outcome;

    internal RuleMask Deciding => deciding;

    internal RuleMask LogOnlyMatches => logOnly;

    internal int ActionIndex => action;

    /// <summary>
    /// Explains the decision in words: the rules that decided, and for a denial what would allow the call. Builds
    /// strings: call it off the hot path (for the response, the ledger entry, the approver's screen).
    /// </summary>
    public PolicyExplanation Explain(in PolicyRequest request) =>
        policy is null ? PolicyExplanation.Empty : PolicyExplainer.Explain(policy, this, request);
}
