using System.Text.Json.Nodes;
using Skybridge.Application.Actions;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;

namespace Skybridge.Application.Cases;

/// <summary>The agent that submitted a case, as its token names it (null on a case a person submitted).</summary>
/// <param name="ClientId">The agent's client id.</param>
/// <param name="Role">Its role in the workflow.</param>
/// <param name="KeyThumbprint">The thumbprint of the key its token is bound to.</param>
public sealed record CaseAgent(string ClientId, string Role, string KeyThumbprint);

/// <summary>
/// What the responder proposed for a case: the action and its state (<c>recorded</c>, <c>pending_approval</c>,
/// <c>executed</c>, <c>denied</c>... as the action path answered), or <c>not_proposed</c> with a refusal's code.
/// </summary>
/// <param name="Action">The manifest's action.</param>
/// <param name="Answer">The action path's answer, when an action was stored.</param>
/// <param name="Refusal">Why nothing was stored (a missing attribute, parameters the schema refused).</param>
public sealed record CaseProposal(string Action, ActionAnswer? Answer, ActionRefusal? Refusal)
{
    /// <summary>The status of a proposal that stored no action.</summary>
    public const string NotProposed = "not_proposed";

    /// <summary>The action's status, or <see cref="NotProposed"/>.</summary>
    public string Status => Answer?.Status ?? NotProposed;

    /// <summary>The proposal as the case's answer shows it.</summary>
    public JsonObject ToJson() => Answer is { } a
        ? new JsonObject
        {
            ["action"] = Action,
            ["status"] = a.Status,
            ["actionId"] = a.ActionId,
            ["approvalId"] = a.ApprovalId,
            ["callDigest"] = a.CallDigest,
            ["detail"] = a.Detail.DeepClone(),
        }
        : new JsonObject
        {
            ["action"] = Action,
            ["status"] = NotProposed,
            ["code"] = Refusal!.Code,
            ["message"] = Refusal.Message,
            ["problems"] = Refusal.Problems?.DeepClone(),
        };
}

/// <summary>Stable codes of the responder.</summary>
public static class ResponderCodes
{
    /// <summary>A parameter's template needs a case attribute the case was submitted without.</summary>
    public const string MissingAttribute = "responder_missing_attribute";
}

/// <summary>
/// The built-in responder: once a case is drafted, proposes the manifest's <c>responder.on_answer</c> or
/// <c>on_abstain</c> action through the one action path, so policy, the ladder, budgets, approvals and the ledger decide
/// it as any agent's proposal. It proposes only what the manifest names, filled from the case's attributes and its
/// draft: the case's text chooses no action and no parameter beyond the draft's answer.
/// </summary>
/// <remarks>
/// Who proposes: an agent that submitted the case proposes as itself (client id, role, key, actor chain). For a person,
/// the node's responder proposes on their behalf as <see cref="Requester"/> in the manifest's responder role, its call
/// bound to <paramref name="nodeKeyThumbprint"/> (the key the node proves connector calls with), the person in the actor
/// chain, so they may not approve it. The idempotency key is derived from the case id: a case proposes once.
/// </remarks>
public sealed class CaseResponder(ActionPipeline pipeline, ILedger ledger, Func<string> nodeKeyThumbprint)
{
    /// <summary>The requester of proposals the node's responder makes for a person.</summary>
    public const string Requester = "skybridge:responder";

    /// <summary>The idempotency key of a case's responder proposal.</summary>
    public static string IdempotencyKey(string caseId) => "responder:" + caseId;

    /// <summary>Proposes the action for a drafted case, or null when the manifest names none for this outcome.</summary>
    public async Task<CaseProposal?> ProposeAsync(ActiveManifest active, string caseId, Draft draft, IReadOnlyDictionary<string, string> attributes,
        IReadOnlyList<LedgerActor> actors, CaseAgent? agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(active);
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(actors);
        var settings = active.Manifest.Responder;
        var step = draft.Abstained ? settings?.OnAbstain : settings?.OnAnswer;
        if (step is null)
        {
            return null;
        }

        var definition = active.Manifest.FindAction(step.Action);
        if (definition is null)
        {
            return null; // the manifest was validated: cannot happen for an active version
        }

        var parameters = ResponderTemplates.Fill(step, definition, name => name switch
        {
            ResponderTemplates.DraftAnswer => draft.Abstained ? null : draft.Answer,
            ResponderTemplates.DraftReason => draft.Reason,
            _ when name.StartsWith(ResponderTemplates.CasePrefix, StringComparison.Ordinal) => attributes.GetValueOrDefault(name[ResponderTemplates.CasePrefix.Length..]),
            _ => null,
        }, out var missing);
        var proposers = agent is null ? (IReadOnlyList<LedgerActor>)[LedgerActor.Agent(Requester), .. actors] : actors;
        if (missing.Count > 0)
        {
            var refusal = new ActionRefusal(ResponderCodes.MissingAttribute,
                $"The responder proposes '{step.Action}' with {string.Join(", ", missing.Select(m => "{" + m + "}"))}, which the case was submitted without; submit the case with the attribute to have it proposed.",
                new JsonArray([.. missing.Select(m => (JsonNode)m)]));
            await ledger.AppendAsync(new LedgerEntry
            {
                Type = LedgerEventTypes.ResponderSkipped,
                Actors = proposers,
                WorkflowId = active.WorkflowId,
                WorkflowVersion = active.Version,
                CaseId = caseId,
                Outcome = ResponderCodes.MissingAttribute,
                // Names of placeholders only: attribute values and the draft stay out of the ledger.
                Content = new JsonObject { ["action"] = step.Action, ["missing"] = new JsonArray([.. missing.Select(m => (JsonNode)m)]) },
            }, cancellationToken).ConfigureAwait(false);
            return new CaseProposal(step.Action, null, refusal);
        }

        var result = await pipeline.ProposeAsync(new ActionProposal
        {
            WorkflowId = active.WorkflowId,
            CaseId = caseId,
            Action = step.Action,
            Parameters = parameters,
            IdempotencyKey = IdempotencyKey(caseId),
            Requester = agent?.ClientId ?? Requester,
            RequesterRole = agent?.Role ?? settings!.Role,
            RequesterKey = agent?.KeyThumbprint ?? nodeKeyThumbprint(),
            Actors = proposers,
        }, cancellationToken).ConfigureAwait(false);
        return new CaseProposal(step.Action, result.Answer, result.Refusal);
    }
}
