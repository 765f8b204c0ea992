using System.Globalization;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Governance.Policy;

/// <summary>One rule named in an explanation.</summary>
/// <param name="Id">The rule's id.</param>
/// <param name="Effect">Permit or forbid.</param>
/// <param name="Description">The rule's description from the manifest, or null.</param>
/// <param name="Text">The rule in words: <c>permit role:responder refund when amount &gt; 50, approval required</c>.</param>
public sealed record ExplainedRule(string Id, PolicyEffect Effect, string? Description, string Text);

/// <summary>A decision in words, for the caller, the approver's screen, the ledger and <c>skybridge policy test</c>.</summary>
public sealed record PolicyExplanation
{
    /// <summary>An explanation of nothing (a default decision).</summary>
    public static readonly PolicyExplanation Empty = new() { Summary = "no decision" };

    /// <summary>The outcome explained.</summary>
    public PolicyOutcome Outcome { get; init; }

    /// <summary>Why, as a code.</summary>
    public PolicyReason Reason { get; init; }

    /// <summary>One sentence: what was decided and by which rule (or that no rule permits it).</summary>
    public required string Summary { get; init; }

    /// <summary>The rules that decided.</summary>
    public IReadOnlyList<ExplainedRule> Rules { get; init; } = [];

    /// <summary>Who may approve, when the outcome asks for approval.</summary>
    public IReadOnlyList<Principal> Authority { get; init; } = [];

    /// <summary>How many distinct people must approve.</summary>
    public int Approvers { get; init; }

    /// <summary>For a denial: what would allow the call (the nearest permits, or what the forbid depends on).</summary>
    public IReadOnlyList<string> WouldAllow { get; init; } = [];

    /// <summary>What the matching log-only rules would have decided, or null when none matched.</summary>
    public string? LogOnly { get; init; }
}

/// <summary>Builds explanations; strings and lists, so only off the hot path.</summary>
internal static class PolicyExplainer
{
    public static PolicyExplanation Explain(CompiledPolicy policy, PolicyDecision decision, in PolicyRequest request)
    {
        var action = decision.Action;
        var rules = decision.Deciding.Indices(policy.Rules.Count).Select(i => Describe(policy.Rules[i])).ToList();
        var ids = string.Join(", ", rules.Select(r => r.Id));
        var authority = decision.Authority;
        var summary = decision.Reason switch
        {
            PolicyReason.UnknownAction => $"denied: the manifest declares no action '{request.Action}'",
            PolicyReason.ProhibitedAction => $"denied: '{action}' is a prohibited action; it never runs, whatever the rules say",
            PolicyReason.ForbiddenByRule => $"denied: forbidden by rule {ids}" + Because(policy, decision.Deciding),
            PolicyReason.NoRulePermits => $"denied: no rule permits {request.DescribeCaller()} to call '{action}' here (deny by default)",
            PolicyReason.Permitted => $"allowed by rule {ids}" + (decision.Consequence == ActionConsequence.Consequential ? $" ('{action}' is consequential; rule {ids} waives approval)" : string.Empty),
            PolicyReason.ApprovalRequiredByRule => $"needs the approval of {ApproverPhrase(decision.Approvers, authority)}: rule {decision.ApprovalRuleId} asks for it",
            _ => $"needs the approval of {ApproverPhrase(decision.Approvers, authority)}: '{action}' is consequential and rule {decision.ApprovalRuleId} does not waive approval",
        };

        return new PolicyExplanation
        {
            Outcome = decision.Outcome,
            Reason = decision.Reason,
            Summary = summary,
            Rules = rules,
            Authority = decision.Outcome == PolicyOutcome.RequireApproval ? authority : [],
            Approvers = decision.Approvers,
            WouldAllow = decision.Reason switch
            {
                PolicyReason.NoRulePermits => NearestPermits(policy, decision, request),
                PolicyReason.ForbiddenByRule => ForbidConditions(policy, decision),
                PolicyReason.UnknownAction => [$"declared actions: {string.Join(", ", policy.Actions.Select(a => a.Name))}"],
                _ => [],
            },
            LogOnly = LogOnly(policy, decision),
        };
    }

    private static string Because(CompiledPolicy policy, RuleMask mask)
    {
        var described = mask.Indices(policy.Rules.Count).Select(i => policy.Rules[i].Description).OfType<string>().ToList();
        return described.Count == 0 ? string.Empty : $" ({string.Join(" ", described)})";
    }

    private static string? LogOnly(CompiledPolicy policy, PolicyDecision decision)
    {
        var ids = decision.LogOnlyRuleIds;
        if (ids.Count == 0)
        {
            return null;
        }

        var which = $"log-only rule {string.Join(", ", ids)} matched";
        return decision.LogOnlyWouldChange
            ? $"{which}: enforced, it would have {Verb(decision.LogOnlyOutcome)} this call instead"
            : $"{which}: enforced, it would not change the outcome";
    }

    private static string Verb(PolicyOutcome outcome) => outcome switch
    {
        PolicyOutcome.Deny => "denied",
        PolicyOutcome.Allow => "allowed",
        _ => "asked for approval of",
    };

    /// <summary>The permits of the action that miss this call by the fewest parts, and what they would need.</summary>
    private static List<string> NearestPermits(CompiledPolicy policy, PolicyDecision decision, in PolicyRequest request)
    {
        var action = policy.Actions[decision.ActionIndex];
        var candidates = new List<(int Misses, string Text)>();
        for (var i = 0; i < policy.Rules.Count; i++)
        {
            var rule = policy.Rules[i];
            if (rule.Effect != PolicyEffect.Permit || rule.Mode == PolicyRuleMode.LogOnly || !(rule.Actions.Contains("*") || rule.Actions.Contains(action.Name)))
            {
                continue;
            }

            var needs = new List<string>();
            if (!policy.MatchesPrincipal(i, request))
            {
                needs.Add($"for {string.Join(" or ", rule.Principals)} (the call comes from {request.DescribeCaller()})");
            }

            var results = policy.ConditionResults(i, request);
            for (var c = 0; c < results.Length; c++)
            {
                if (!results[c])
                {
                    var condition = rule.When[c];
                    needs.Add($"when {Condition(condition)} ({Actual(condition, request)})");
                }
            }

            var approval = AsksApproval(rule, action)
                ? $"with the approval of {ApproverPhrase(rule.Approvers ?? 1, decision.Authority)}"
                : "without approval";
            candidates.Add((needs.Count, $"rule {rule.Id} permits this {string.Join(" and ", needs)}, {approval}".Replace("this ,", "this,", StringComparison.Ordinal)));
        }

        if (candidates.Count == 0)
        {
            return [$"no rule permits '{action.Name}' at all: add a permit rule naming it"];
        }

        var fewest = candidates.Min(c => c.Misses);
        return [.. candidates.Where(c => c.Misses == fewest).Select(c => c.Text)];
    }

    private static List<string> ForbidConditions(CompiledPolicy policy, PolicyDecision decision)
    {
        var result = new List<string>();
        foreach (var i in decision.Deciding.Indices(policy.Rules.Count))
        {
            var rule = policy.Rules[i];
            result.Add(rule.When.Count == 0
                ? $"rule {rule.Id} forbids '{decision.Action}' for {string.Join(", ", rule.Principals)} whatever the parameters: only a change to the policy allows it"
                : $"rule {rule.Id} forbids it while {string.Join(" and ", rule.When.Select(Condition))}; a call outside that is decided by the permits");
        }

        return result;
    }

    private static bool AsksApproval(PolicyRule rule, ActionDefinition action) =>
        rule.Approval == ApprovalRequirement.Required || rule.Approvers is not null
        || (rule.Approval is null && action.Consequence == ActionConsequence.Consequential);

    public static ExplainedRule Describe(PolicyRule rule)
    {
        var effect = rule.Effect == PolicyEffect.Permit ? "permit" : "forbid";
        var text = $"{effect} {string.Join(", ", rule.Principals)} {string.Join(", ", rule.Actions)}";
        if (rule.When.Count > 0)
        {
            text += " when " + string.Join(" and ", rule.When.Select(Condition));
        }

        if (rule.Approvers is { } n)
        {
            text += $", {n} approver{(n == 1 ? "" : "s")}";
        }
        else if (rule.Approval is { } approval)
        {
            text += approval == ApprovalRequirement.None ? ", no approval" : ", approval required";
        }

        if (rule.Mode == PolicyRuleMode.LogOnly)
        {
            text += " (log only)";
        }

        return new ExplainedRule(rule.Id, rule.Effect, rule.Description, text);
    }

    /// <summary><c>amount &gt; 50</c>, <c>queue in [warranty, payments]</c>.</summary>
    public static string Condition(PolicyCondition condition)
    {
        var op = condition.Operator switch
        {
            ConditionOperator.Eq => "=",
            ConditionOperator.Ne => "!=",
            ConditionOperator.Lt => "<",
            ConditionOperator.Lte => "<=",
            ConditionOperator.Gt => ">",
            ConditionOperator.Gte => ">=",
            _ => "in",
        };
        var value = condition.Operator == ConditionOperator.In ? $"[{string.Join(", ", condition.Values)}]" : condition.Values[0];
        return $"{condition.Field} {op} {value}";
    }

    private static string Actual(PolicyCondition condition, in PolicyRequest request)
    {
        if (condition.Field == PolicyFields.Hour)
        {
            return request.TimeOfDay is { } t ? $"the call is at {t.TotalHours.ToString("0.##", CultureInfo.InvariantCulture)}" : "the call carries no time of day";
        }

        var isCase = PolicyFields.IsContextField(condition.Field);
        var name = isCase ? condition.Field[PolicyFields.CasePrefix.Length..] : condition.Field;
        foreach (var argument in (isCase ? request.CaseAttributes : request.Parameters).Span)
        {
            if (argument.Name == name)
            {
                return $"the call has {condition.Field} = {argument.ValueText}";
            }
        }

        return $"the call has no '{condition.Field}'";
    }

    /// <summary><c>1 of group:support-leads</c>, <c>2 distinct people from group:a, user:b</c>.</summary>
    public static string ApproverPhrase(int count, IReadOnlyList<Principal> authority)
    {
        var who = authority.Count == 0 ? "nobody (no approve authority is declared)" : string.Join(", ", authority);
        return count <= 1 ? $"one of {who}" : $"{count} distinct people from {who}";
    }
}
