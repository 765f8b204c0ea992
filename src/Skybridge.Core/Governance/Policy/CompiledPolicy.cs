using System.Globalization;
using Skybridge.Core.Manifests;

namespace Skybridge.Core.Governance.Policy;

/// <summary>
/// A manifest's policy, compiled once per manifest version for deciding many requests: rules grouped by action in
/// manifest order, roles and actions numbered, condition operands parsed. <see cref="Decide"/> allocates nothing.
/// </summary>
/// <remarks>
/// How rules combine: deny by default; a matching forbid overrides every permit; among matching permits the most
/// cautious wins (any that asks for approval makes the call wait, for the most approvers any of them asks for); a
/// permit that says nothing about approval asks for it on consequential actions only, <c>approval: none</c> waives
/// it; prohibited actions are always denied; a condition on a value the request does not carry does not hold;
/// <c>log_only</c> rules decide nothing but the decision reports what they would have decided.
/// </remarks>
public sealed class CompiledPolicy
{
    private const string Wildcard = "*";

    private readonly Dictionary<string, int> actionIndex;
    private readonly Dictionary<string, int> roleIndex;
    private readonly CompiledRule[] compiledRules;
    private readonly CompiledRule[][] rulesByAction;
    private readonly IReadOnlyList<Principal>[] authorities;
    private readonly string[][] singleRuleIds;
    private readonly bool hasLogOnly;

    private CompiledPolicy(WorkflowManifest manifest)
    {
        Manifest = manifest;
        Actions = manifest.Actions;
        Rules = manifest.Policy.Rules;
        actionIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Actions.Count; i++)
        {
            actionIndex.TryAdd(Actions[i].Name, i);
        }

        roleIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var compiled = new CompiledRule[Rules.Count];
        for (var r = 0; r < Rules.Count; r++)
        {
            compiled[r] = CompileRule(r, Rules[r]);
        }

        compiledRules = compiled;

        rulesByAction = new CompiledRule[Actions.Count][];
        authorities = new IReadOnlyList<Principal>[Actions.Count];
        for (var a = 0; a < Actions.Count; a++)
        {
            var name = Actions[a].Name;
            rulesByAction[a] = [.. compiled.Where(c => c.AllActions || Rules[c.Index].Actions.Contains(name))];
            authorities[a] = manifest.Authorities.Approve.TryGetValue(name, out var approvers) ? approvers : [];
        }

        singleRuleIds = [.. Rules.Select(r => new[] { r.Id })];
        hasLogOnly = Rules.Any(r => r.Mode == PolicyRuleMode.LogOnly);
    }

    /// <summary>The manifest compiled.</summary>
    public WorkflowManifest Manifest { get; }

    /// <summary>The manifest's rules, in manifest order (decisions refer to them by position).</summary>
    public IReadOnlyList<PolicyRule> Rules { get; }

    /// <summary>The manifest's actions.</summary>
    public IReadOnlyList<ActionDefinition> Actions { get; }

    /// <summary>Compiles the policy of a loaded (valid) manifest.</summary>
    public static CompiledPolicy Compile(WorkflowManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new CompiledPolicy(manifest);
    }

    /// <summary>Decides one request. Allocates nothing; see the class remarks for how rules combine.</summary>
    public PolicyDecision Decide(in PolicyRequest request)
    {
        if (request.Action is null || !actionIndex.TryGetValue(request.Action, out var action))
        {
            return new PolicyDecision(this, -1, PolicyOutcome.Deny, PolicyReason.UnknownAction, 0, -1, default, default, PolicyOutcome.Deny, PolicyReason.UnknownAction);
        }

        var consequence = Actions[action].Consequence;
        if (consequence == ActionConsequence.Prohibited)
        {
            return new PolicyDecision(this, action, PolicyOutcome.Deny, PolicyReason.ProhibitedAction, 0, -1, default, default, PolicyOutcome.Deny, PolicyReason.ProhibitedAction);
        }

        var agentRole = -1;
        if (request.AgentRole is not null && !roleIndex.TryGetValue(request.AgentRole, out agentRole))
        {
            agentRole = -1;
        }

        var consequential = consequence == ActionConsequence.Consequential;
        var enforced = new Combiner(-1);
        var shadow = new Combiner(-1);
        var logOnly = default(RuleMask);
        foreach (var rule in rulesByAction[action])
        {
            if (!MatchesPrincipal(rule, request, agentRole) || !ConditionsHold(rule, request))
            {
                continue;
            }

            if (rule.LogOnly)
            {
                logOnly.Add(rule.Index);
                shadow.Add(rule, consequential);
                continue;
            }

            enforced.Add(rule, consequential);
            if (hasLogOnly)
            {
                shadow.Add(rule, consequential);
            }
        }

        var (outcome, reason, approvers, mask) = enforced.Finish();
        if (logOnly.IsEmpty)
        {
            return new PolicyDecision(this, action, outcome, reason, approvers, enforced.ApprovalRule, mask, default, outcome, reason);
        }

        var (shadowOutcome, shadowReason, _, _) = shadow.Finish();
        return new PolicyDecision(this, action, outcome, reason, approvers, enforced.ApprovalRule, mask, logOnly, shadowOutcome, shadowReason);
    }

    internal IReadOnlyList<Principal> Authority(int action) => authorities[action];

    internal IReadOnlyList<string> RuleIds(RuleMask mask)
    {
        var count = mask.Count;
        if (count == 0)
        {
            return [];
        }

        if (count == 1)
        {
            // The usual case (one rule decides): the rule's own one-element list, found without an enumerator.
            for (var i = 0; i < Rules.Count; i++)
            {
                if (mask.Contains(i))
                {
                    return singleRuleIds[i];
                }
            }
        }

        return [.. mask.Indices(Rules.Count).Select(i => Rules[i].Id)];
    }

    /// <summary>True when the rule's principals include the caller (see <see cref="PolicyRequest"/>'s remarks).</summary>
    internal bool MatchesPrincipal(int ruleIndex, in PolicyRequest request)
    {
        var agentRole = -1;
        if (request.AgentRole is not null && !roleIndex.TryGetValue(request.AgentRole, out agentRole))
        {
            agentRole = -1;
        }

        return MatchesPrincipal(CompileRuleCached(ruleIndex), request, agentRole);
    }

    /// <summary>Whether each condition of a rule holds for the request, in manifest order.</summary>
    internal bool[] ConditionResults(int ruleIndex, in PolicyRequest request)
    {
        var rule = CompileRuleCached(ruleIndex);
        var results = new bool[rule.Conditions.Length];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = rule.Conditions[i].Holds(request);
        }

        return results;
    }

    private CompiledRule CompileRuleCached(int ruleIndex) => compiledRules[ruleIndex];

    private bool MatchesPrincipal(CompiledRule rule, in PolicyRequest request, int agentRole)
    {
        if (rule.AnyPrincipal)
        {
            return true;
        }

        if (request.AgentRole is not null)
        {
            return agentRole >= 0 && Array.IndexOf(rule.Roles, agentRole) >= 0;
        }

        foreach (var role in request.PersonRoles.Span)
        {
            if (roleIndex.TryGetValue(role, out var id) && Array.IndexOf(rule.Roles, id) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static bool ConditionsHold(CompiledRule rule, in PolicyRequest request)
    {
        foreach (var condition in rule.Conditions)
        {
            if (!condition.Holds(request))
            {
                return false;
            }
        }

        return true;
    }

    private CompiledRule CompileRule(int index, PolicyRule rule)
    {
        var roles = new List<int>();
        var any = false;
        foreach (var principal in rule.Principals)
        {
            if (principal == Wildcard)
            {
                any = true;
            }
            else if (principal.StartsWith("role:", StringComparison.Ordinal))
            {
                var name = principal["role:".Length..];
                if (!roleIndex.TryGetValue(name, out var id))
                {
                    id = roleIndex.Count;
                    roleIndex[name] = id;
                }

                roles.Add(id);
            }
        }

        return new CompiledRule
        {
            Index = index,
            Forbid = rule.Effect == PolicyEffect.Forbid,
            LogOnly = rule.Mode == PolicyRuleMode.LogOnly,
            AnyPrincipal = any,
            Roles = [.. roles],
            AllActions = rule.Actions.Contains(Wildcard),
            Conditions = [.. rule.When.Select(CompiledCondition.Compile)],
            ExplicitApproval = rule.Approval == ApprovalRequirement.Required || rule.Approvers is not null,
            Waived = rule.Approval == ApprovalRequirement.None,
            ApproverCount = rule.Approvers ?? 1,
        };
    }

    /// <summary>Folds matching rules into one outcome: forbid overrides permit, the most cautious permit wins.</summary>
    private struct Combiner(int approvalRule)
    {
        private RuleMask forbids;
        private RuleMask permits;
        private bool anyForbid;
        private bool anyPermit;
        private int approvers;
        private bool explicitApproval;

        public int ApprovalRule { get; private set; } = approvalRule;

        public void Add(CompiledRule rule, bool consequential)
        {
            if (rule.Forbid)
            {
                anyForbid = true;
                forbids.Add(rule.Index);
                return;
            }

            anyPermit = true;
            permits.Add(rule.Index);
            var asks = rule.ExplicitApproval || (!rule.Waived && consequential);
            if (asks && (ApprovalRule < 0 || rule.ApproverCount > approvers || (rule.ApproverCount == approvers && rule.ExplicitApproval && !explicitApproval)))
            {
                ApprovalRule = rule.Index;
                approvers = rule.ApproverCount;
                explicitApproval = rule.ExplicitApproval;
            }
        }

        public readonly (PolicyOutcome Outcome, PolicyReason Reason, int Approvers, RuleMask Deciding) Finish()
        {
            if (anyForbid)
            {
                return (PolicyOutcome.Deny, PolicyReason.ForbiddenByRule, 0, forbids);
            }

            if (!anyPermit)
            {
                return (PolicyOutcome.Deny, PolicyReason.NoRulePermits, 0, default);
            }

            return ApprovalRule < 0
                ? (PolicyOutcome.Allow, PolicyReason.Permitted, 0, permits)
                : (PolicyOutcome.RequireApproval, explicitApproval ? PolicyReason.ApprovalRequiredByRule : PolicyReason.ApprovalRequiredConsequential, approvers, permits);
        }
    }
}

/// <summary>A rule ready for deciding.</summary>
internal sealed class CompiledRule
{
    public required int Index { get; init; }

    public required bool Forbid { get; init; }

    public required bool LogOnly { get; init; }

    public required bool AnyPrincipal { get; init; }

    public required int[] Roles { get; init; }

    public required bool AllActions { get; init; }

    public required CompiledCondition[] Conditions { get; init; }

    /// <summary><c>approval: required</c> or an <c>approvers</c> count.</summary>
    public required bool ExplicitApproval { get; init; }

    /// <summary><c>approval: none</c>.</summary>
    public required bool Waived { get; init; }

    public required int ApproverCount { get; init; }
}

/// <summary>Where a condition's value comes from.</summary>
internal enum ConditionSource
{
    Parameter,
    CaseAttribute,
    Hour,
}

/// <summary>A condition with its operands parsed once: numbers as doubles (NaN where the text is not a number).</summary>
internal sealed class CompiledCondition
{
    public required ConditionSource Source { get; init; }

    public required string Name { get; init; }

    public required ConditionOperator Operator { get; init; }

    public required double[] Numbers { get; init; }

    public required string[] Texts { get; init; }

    public static CompiledCondition Compile(PolicyCondition condition)
    {
        var source = condition.Field == PolicyFields.Hour ? ConditionSource.Hour
            : PolicyFields.IsContextField(condition.Field) ? ConditionSource.CaseAttribute
            : ConditionSource.Parameter;
        return new CompiledCondition
        {
            Source = source,
            Name = source == ConditionSource.CaseAttribute ? condition.Field[PolicyFields.CasePrefix.Length..] : condition.Field,
            Operator = condition.Operator,
            Numbers = [.. condition.Values.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN)],
            Texts = [.. condition.Values],
        };
    }

    /// <summary>True when the request carries the value and it passes; a missing value never passes.</summary>
    public bool Holds(in PolicyRequest request)
    {
        switch (Source)
        {
            case ConditionSource.Hour:
                return request.TimeOfDay is { } time && HoldsNumber(time.TotalHours);
            case ConditionSource.CaseAttribute:
                return Find(request.CaseAttributes.Span, Name, out var attribute) && Holds(attribute);
            default:
                return Find(request.Parameters.Span, Name, out var parameter) && Holds(parameter);
        }
    }

    private static bool Find(ReadOnlySpan<PolicyArgument> arguments, string name, out PolicyArgument found)
    {
        foreach (ref readonly var argument in arguments)
        {
            if (string.Equals(argument.Name, name, StringComparison.Ordinal))
            {
                found = argument;
                return true;
            }
        }

        found = default;
        return false;
    }

    private bool Holds(in PolicyArgument argument) => argument.Kind switch
    {
        PolicyValueKind.Number => HoldsNumber(argument.Number),
        PolicyValueKind.Boolean => HoldsText(argument.Boolean ? "true" : "false"),
        _ => HoldsText(argument.Text!),
    };

    private bool HoldsNumber(double value)
    {
        var operand = Numbers[0];
        switch (Operator)
        {
            case ConditionOperator.Lt: return value < operand;
            case ConditionOperator.Lte: return value <= operand;
            case ConditionOperator.Gt: return value > operand;
            case ConditionOperator.Gte: return value >= operand;
            case ConditionOperator.Eq: return value == operand;
            case ConditionOperator.Ne: return value != operand; // NaN (a text operand) is unequal to every number.
            default:
                foreach (var n in Numbers)
                {
                    if (n == value)
                    {
                        return true;
                    }
                }

                return false;
        }
    }

    private bool HoldsText(string value)
    {
        switch (Operator)
        {
            case ConditionOperator.Eq: return string.Equals(value, Texts[0], StringComparison.Ordinal);
            case ConditionOperator.Ne: return !string.Equals(value, Texts[0], StringComparison.Ordinal);
            case ConditionOperator.In:
                foreach (var t in Texts)
                {
                    if (string.Equals(value, t, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false; // Ordering compares numbers; text never passes it.
        }
    }
}
