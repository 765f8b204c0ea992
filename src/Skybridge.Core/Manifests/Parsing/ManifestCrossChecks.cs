using Skybridge.Core.Access;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Text;

namespace Skybridge.Core.Manifests.Parsing;

/// <summary>
/// Checks that need the whole manifest: references between sections, duplicate names, governance gaps and the
/// autonomy level against the evidence on record. Items whose own shape was broken are skipped (they already
/// have a diagnostic), so one mistake is reported once, not as a cascade.
/// </summary>
internal sealed class ManifestCrossChecks(DiagnosticBag bag, ManifestValidationContext context, WorkflowManifest manifest, MapReader root)
{
    private const string Wildcard = "*";

    public void Run(
        IEnumerable<(string Kind, string Name, YNode Node)> names,
        IEnumerable<(ActionDefinition Action, YNode Item, YNode? Connector)> actions,
        IEnumerable<(PolicyRule Rule, YNode Item, List<YScalar> Principals, List<YScalar> Actions, List<(PolicyCondition Condition, YScalar Field, YNode Value)> When, YNode? Approval)> rules,
        IEnumerable<(string Action, YScalar Key)> approveKeys,
        IEnumerable<YScalar> actsFor,
        YScalar? levelNode)
    {
        CheckActsFor(actsFor);
        CheckNames(names);
        CheckActions(actions);
        CheckRules(rules);
        CheckApprovers(approveKeys);
        CheckAutonomy(levelNode);
    }

    private void CheckActsFor(IEnumerable<YScalar> actsFor)
    {
        var roles = manifest.Agents.Select(a => Subject.Role(a.Role).ToString()).ToList();
        foreach (var entry in actsFor)
        {
            var value = entry.Value;
            var isUser = Subject.TryParse(value, out var s) && s.Kind is SubjectKind.Person or SubjectKind.AnyPerson;
            if (!isUser && !roles.Contains(value))
            {
                bag.Error(DiagnosticCodes.UnknownActsFor, $"acts_for entry '{value}' is neither role:NAME of a declared agent role, user:NAME nor user:* (agent roles: {List(roles)})", entry, EditDistance.FindNearest(value, roles));
            }
        }
    }

    private void CheckNames(IEnumerable<(string Kind, string Name, YNode Node)> names)
    {
        foreach (var group in names.Where(n => n.Name.Length > 0).GroupBy(n => (n.Kind, n.Name)))
        {
            var first = group.First();
            foreach (var duplicate in group.Skip(1))
            {
                bag.Error(DiagnosticCodes.DuplicateName, $"duplicate {first.Kind} '{first.Name}' (first declared on line {first.Node.Line})", duplicate.Node);
            }
        }
    }

    private void CheckActions(IEnumerable<(ActionDefinition Action, YNode Item, YNode? Connector)> actions)
    {
        var connectorNames = manifest.Connectors.Select(c => c.Name).Where(n => n.Length > 0).ToList();
        foreach (var (action, item, connectorNode) in actions)
        {
            var label = action.Name.Length > 0 ? $"action '{action.Name}'" : "action";
            if (connectorNode is null || connectorNode is YScalar { IsNull: true })
            {
                bag.Error(DiagnosticCodes.ActionWithoutConnector, $"{label} has no connector; name the connector that executes it (declared: {List(connectorNames)})", item);
            }
            else if (action.Connector.Length > 0 && !connectorNames.Contains(action.Connector))
            {
                bag.Error(DiagnosticCodes.UnknownConnector, $"{label} uses connector '{action.Connector}', which is not declared (declared: {List(connectorNames)})", connectorNode, EditDistance.FindNearest(action.Connector, connectorNames));
            }

            if (action.Consequence == ActionConsequence.Consequential && action.Name.Length > 0
                && (!manifest.Authorities.Approve.TryGetValue(action.Name, out var approvers) || approvers.Count == 0)
                && root.Has("authorities"))
            {
                bag.Error(DiagnosticCodes.ConsequentialActionWithoutApprover, $"{label} is consequential but nobody may approve it; add it under authorities.approve", item);
            }
        }
    }

    private void CheckRules(IEnumerable<(PolicyRule Rule, YNode Item, List<YScalar> Principals, List<YScalar> Actions, List<(PolicyCondition Condition, YScalar Field, YNode Value)> When, YNode? Approval)> rules)
    {
        var actionNames = manifest.Actions.Select(a => a.Name).Where(n => n.Length > 0).ToList();
        var roleNames = manifest.Agents.Select(a => Subject.Role(a.Role).ToString())
            .Concat(WorkflowRoles.All.Select(r => Subject.Role(r.ToName()).ToString()))
            .ToList();
        var ruleList = rules.ToList();

        foreach (var (rule, _, principals, actions, when, approval) in ruleList)
        {
            var label = rule.Id.Length > 0 ? $"policy rule '{rule.Id}'" : "policy rule";
            foreach (var principal in principals.Where(p => p.Value != Wildcard && !roleNames.Contains(p.Value)))
            {
                bag.Error(DiagnosticCodes.UnknownPrincipalInRule, $"{label} names principal '{principal.Value}', which is neither an agent role nor a workflow role; write role:NAME or '*' (known: {List(roleNames)})", principal, EditDistance.FindNearest(principal.Value, roleNames));
            }

            foreach (var action in actions.Where(a => a.Value != Wildcard && !actionNames.Contains(a.Value)))
            {
                bag.Error(DiagnosticCodes.UnknownActionInRule, $"{label} names action '{action.Value}', which is not declared (declared: {List(actionNames)})", action, EditDistance.FindNearest(action.Value, actionNames));
            }

            var named = rule.Actions.Contains(Wildcard) ? [] : rule.Actions.Select(manifest.FindAction).OfType<ActionDefinition>().ToList();
            foreach (var (condition, field, value) in when)
            {
                if (PolicyFields.IsContextField(condition.Field))
                {
                    // Case attributes have no declared type; the hour of the day is a number.
                    if (condition.Field == PolicyFields.Hour && condition.Values.Any(v => !double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)))
                    {
                        bag.Error(DiagnosticCodes.ConditionTypeMismatch, $"{label}: '{PolicyFields.Hour}' is a number (0 to 24), but the condition compares it with text", value);
                    }

                    continue;
                }

                foreach (var action in named)
                {
                    var parameter = action.FindParameter(condition.Field);
                    if (parameter is null)
                    {
                        bag.Error(DiagnosticCodes.ConditionFieldNotParameter, $"{label} tests '{condition.Field}', which is not a parameter of action '{action.Name}' (parameters: {List(action.Parameters.Select(p => p.Name))})", field, EditDistance.FindNearest(condition.Field, action.Parameters.Select(p => p.Name)));
                    }
                    else if (Mismatch(condition, parameter) is { } problem)
                    {
                        bag.Error(DiagnosticCodes.ConditionTypeMismatch, $"{label}: {problem}", value);
                    }
                }
            }

            if (rule.Effect == PolicyEffect.Forbid && approval is not null)
            {
                bag.Error(DiagnosticCodes.ApprovalOnForbidRule, $"{label} forbids, so 'approval' has no meaning; remove it or make the rule permit", approval);
            }
        }

        foreach (var prohibited in manifest.Actions.Where(a => a.Consequence == ActionConsequence.Prohibited && a.Name.Length > 0))
        {
            var forbidden = ruleList.Any(r => r.Rule.Effect == PolicyEffect.Forbid && (r.Rule.Actions.Contains(prohibited.Name) || r.Rule.Actions.Contains(Wildcard)));
            if (forbidden)
            {
                continue;
            }

            foreach (var (rule, _, _, actions, _, _) in ruleList.Where(r => r.Rule.Effect == PolicyEffect.Permit))
            {
                var reference = actions.FirstOrDefault(a => a.Value == prohibited.Name) ?? actions.FirstOrDefault(a => a.Value == Wildcard);
                if (reference is not null)
                {
                    bag.Warning(DiagnosticCodes.ProhibitedActionPermitted, $"policy rule '{rule.Id}' permits prohibited action '{prohibited.Name}' and no forbid rule covers it; it will never run, so add a forbid rule to say so or drop it from this rule", reference);
                }
            }
        }
    }

    /// <summary>Why a condition cannot match the parameter's type, or null when it can.</summary>
    private static string? Mismatch(PolicyCondition condition, ActionParameter parameter)
    {
        var numeric = parameter.Type is ParameterType.Number or ParameterType.Integer;
        var ordering = condition.Operator is ConditionOperator.Lt or ConditionOperator.Lte or ConditionOperator.Gt or ConditionOperator.Gte;
        if (ordering && !numeric)
        {
            return $"'{condition.Operator.ToString().ToLowerInvariant()}' compares numbers, but '{parameter.Name}' is a {parameter.Type.ToString().ToLowerInvariant()}";
        }

        if (numeric && condition.Values.Any(v => !double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)))
        {
            return $"'{parameter.Name}' is a number, but the condition compares it with text";
        }

        if (parameter.Type == ParameterType.Boolean && condition.Values.Any(v => v is not ("true" or "false")))
        {
            return $"'{parameter.Name}' is a boolean, so compare it with true or false";
        }

        return null;
    }

    private void CheckApprovers(IEnumerable<(string Action, YScalar Key)> approveKeys)
    {
        var actionNames = manifest.Actions.Select(a => a.Name).Where(n => n.Length > 0).ToList();
        foreach (var (action, key) in approveKeys.Where(k => !actionNames.Contains(k.Action)))
        {
            bag.Error(DiagnosticCodes.ApproverForUnknownAction, $"authorities.approve names action '{action}', which is not declared (declared: {List(actionNames)})", key, EditDistance.FindNearest(action, actionNames));
        }
    }

    private void CheckAutonomy(YScalar? levelNode)
    {
        var level = manifest.Autonomy.Level;
        var evidenced = context.EvidencedLevel == AutonomyLevel.Halted ? AutonomyLevel.L0Draft : context.EvidencedLevel;
        if (levelNode is not null && level > evidenced)
        {
            bag.Error(DiagnosticCodes.AutonomyAboveEvidence, $"autonomy level {level.ToManifestName()} is above the evidence on record: the workflow has evidence for at most {evidenced.ToManifestName()}; a promotion gate must be passed first", levelNode);
        }

        if (!root.Has("acceptance_bar") || manifest.AcceptanceBar.Count == 0)
        {
            var at = root.KeyNode("acceptance_bar") ?? (YNode)root.Node;
            var message = "the manifest has no acceptance bar: write the metric thresholds before the build, or no evaluation run can clear it";
            if (level > AutonomyLevel.L0Draft)
            {
                bag.Error(DiagnosticCodes.NoAcceptanceBar, message, at);
            }
            else if (!bag.HasErrorAt(root["acceptance_bar"] ?? root.Node))
            {
                bag.Warning(DiagnosticCodes.NoAcceptanceBar, message, at);
            }
        }

        if (level == AutonomyLevel.L2ApproveConsequential && manifest.Autonomy.ReviewSampleRate == 0 && root["autonomy"] is YMapping)
        {
            bag.Warning(DiagnosticCodes.NoReviewSampling, "L2-approve-consequential with review_sample_rate 0: routine work would flow with nobody reviewing it", (YNode?)levelNode ?? root.Node);
        }
    }

    private static string List(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }
}
