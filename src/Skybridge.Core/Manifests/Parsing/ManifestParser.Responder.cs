using System.Text.Json.Nodes;
using Skybridge.Core.Diagnostics;
using Skybridge.Core.Governance.Actions;
using Skybridge.Core.Text;

namespace Skybridge.Core.Manifests.Parsing;

/// <summary>The <c>responder</c> section: which action the workflow proposes itself after a draft, and how it is filled.</summary>
internal sealed partial class ManifestParser
{
    private static readonly string[] ResponderKeys = ["role", "on_answer", "on_abstain"];
    private static readonly string[] ResponderStepKeys = ["action", "parameters"];

    // Positions for the checks against agents and actions, which run once both are known.
    private YScalar? responderRoleNode;
    private readonly List<(ResponderStep Step, string Key, YScalar Action, YMapping? ParametersNode, Dictionary<string, (YScalar Name, YScalar Value)> Parameters)> responderNodes = [];

    private ResponderSettings? ParseResponder(MapReader root)
    {
        var map = read.Mapping(root, "responder", required: false, "responder", ResponderKeys);
        if (map is null)
        {
            return null;
        }

        responderRoleNode = read.Scalar(map, "role", required: false);
        var onAnswer = ParseResponderStep(map, "on_answer");
        var onAbstain = ParseResponderStep(map, "on_abstain");
        if (!map.Has("on_answer") && !map.Has("on_abstain"))
        {
            bag.Error(DiagnosticCodes.MissingKey, "responder sets neither 'on_answer' nor 'on_abstain'; name the action to propose for at least one (or remove the section)", map.Node);
        }

        return new ResponderSettings { Role = responderRoleNode?.Value ?? "responder", OnAnswer = onAnswer, OnAbstain = onAbstain };
    }

    private ResponderStep? ParseResponderStep(MapReader responder, string key)
    {
        var map = read.Mapping(responder, key, required: false, $"responder {key}", ResponderStepKeys);
        if (map is null)
        {
            return null;
        }

        var action = read.Scalar(map, "action", required: true);
        var parameters = new List<ResponderParameter>();
        var positions = new Dictionary<string, (YScalar, YScalar)>(StringComparer.Ordinal);
        var parametersMap = read.Mapping(map, "parameters", required: false, $"responder {key} parameters", null);
        foreach (var (name, value) in parametersMap?.Entries ?? [])
        {
            if (value is not YScalar scalar || scalar.IsNull)
            {
                bag.Error(DiagnosticCodes.WrongType, $"parameter '{name.Value}' in responder {key} must be a value or a template such as \"{{case.ticket_id}}\", not {value.Describe()}", value);
                continue;
            }

            parameters.Add(new ResponderParameter(name.Value, scalar.Value));
            positions[name.Value] = (name, scalar);
        }

        if (action is null)
        {
            return null;
        }

        var step = new ResponderStep { Action = action.Value, Parameters = parameters };
        responderNodes.Add((step, key, action, parametersMap?.Node, positions));
        return step;
    }

    /// <summary>
    /// The responder against the agents and actions: the role is an agent role, each action is declared, each
    /// placeholder is known for its step, and the parameters fit the action's schema where that can be known before a
    /// case arrives (names, required parameters, literal values; a placeholder only in a text parameter).
    /// </summary>
    private void CheckResponder(WorkflowManifest manifest)
    {
        if (responderRoleNode is { } roleNode && !manifest.Agents.Any(a => a.Role == roleNode.Value))
        {
            var roles = manifest.Agents.Select(a => a.Role).Where(r => r.Length > 0).ToList();
            bag.Error(DiagnosticCodes.ResponderRoleNotAgent, $"responder role '{roleNode.Value}' is not a declared agent role (declared: {(roles.Count == 0 ? "none" : string.Join(", ", roles))}); policy rules name the role the responder proposes in",
                roleNode, EditDistance.FindNearest(roleNode.Value, roles));
        }

        var actionNames = manifest.Actions.Select(a => a.Name).Where(n => n.Length > 0).ToList();
        foreach (var (step, key, actionNode, parametersNode, positions) in responderNodes)
        {
            var action = manifest.FindAction(step.Action);
            if (action is null)
            {
                bag.Error(DiagnosticCodes.ResponderUnknownAction, $"responder {key} proposes action '{step.Action}', which is not declared (declared: {(actionNames.Count == 0 ? "none" : string.Join(", ", actionNames))})",
                    actionNode, EditDistance.FindNearest(step.Action, actionNames));
                continue;
            }

            var onAbstain = key == "on_abstain";
            var literals = new JsonObject();
            foreach (var parameter in step.Parameters)
            {
                var (nameNode, valueNode) = positions[parameter.Name];
                var declared = action.FindParameter(parameter.Name);
                var placeholders = ResponderTemplates.Placeholders(parameter.Template).ToList();
                foreach (var placeholder in placeholders)
                {
                    if (ResponderTemplates.Problem(placeholder, onAbstain) is { } why)
                    {
                        bag.Error(DiagnosticCodes.UnknownResponderPlaceholder, $"placeholder '{{{placeholder}}}' in responder {key} parameter '{parameter.Name}' {why}; use {{case.ATTRIBUTE}}, {{{ResponderTemplates.DraftAnswer}}} (on_answer) or {{{ResponderTemplates.DraftReason}}} (on_abstain)",
                            valueNode);
                    }
                }

                if (declared is null)
                {
                    var known = action.Parameters.Count == 0 ? "none" : string.Join(", ", action.Parameters.Select(p => p.Name));
                    bag.Error(DiagnosticCodes.ResponderParametersMismatch, $"responder {key} fills parameter '{parameter.Name}', which action '{action.Name}' does not have (it has: {known})",
                        nameNode, EditDistance.FindNearest(parameter.Name, action.Parameters.Select(p => p.Name).ToList()));
                }
                else if (placeholders.Count > 0 && declared.Type != ParameterType.String)
                {
                    bag.Error(DiagnosticCodes.ResponderParametersMismatch, $"responder {key} fills {declared.Type.ToString().ToLowerInvariant()} parameter '{parameter.Name}' of action '{action.Name}' from a placeholder, which gives text; write a literal value",
                        valueNode);
                }
                else if (placeholders.Count == 0)
                {
                    literals[parameter.Name] = ResponderTemplates.Literal(declared, parameter.Template);
                }
            }

            // Literal values are checked now, with the action path's own schema check; placeholders wait for the case.
            foreach (var problem in ActionSchema.Validate(action, literals))
            {
                if (problem.Code == ActionSchemaCodes.Missing && step.Parameters.Any(p => p.Name == problem.Parameter))
                {
                    continue; // filled from a placeholder
                }

                YNode where = problem.Parameter is { } name && positions.TryGetValue(name, out var at) ? at.Value : (YNode?)parametersNode ?? actionNode;
                var message = problem.Code == ActionSchemaCodes.Missing
                    ? $"responder {key} does not fill required parameter '{problem.Parameter}' of action '{action.Name}'"
                    : $"responder {key} parameter '{problem.Parameter}' does not fit action '{action.Name}': {problem.Message.TrimEnd('.')}";
                bag.Error(DiagnosticCodes.ResponderParametersMismatch, message, where);
            }
        }
    }
}
