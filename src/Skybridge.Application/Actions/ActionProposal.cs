using System.Text.Json.Nodes;
using Skybridge.Core.Ledger.Events;

namespace Skybridge.Application.Actions;

/// <summary>What an agent asks to do: an action of its workflow's manifest, for a case, once per idempotency key.</summary>
public sealed record ActionProposal
{
    /// <summary>The agent's workflow (from its token, never from the request).</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The case the action is for.</summary>
    public required string CaseId { get; init; }

    /// <summary>The action's name in the manifest.</summary>
    public required string Action { get; init; }

    /// <summary>The parameters as sent (checked against the action's schema before anything else).</summary>
    public required JsonNode? Parameters { get; init; }

    /// <summary>The caller's key for this proposal: a retry with the same key gets the first answer, never a second action.</summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>The proposing agent's client id.</summary>
    public required string Requester { get; init; }

    /// <summary>The role of the proposing agent in the workflow (what policy rules name).</summary>
    public required string RequesterRole { get; init; }

    /// <summary>The thumbprint of the key the agent's token is bound to (part of the call an approval is bound to).</summary>
    public required string RequesterKey { get; init; }

    /// <summary>Who acts, as the ledger names them (a person first in the chain when an agent acts for one).</summary>
    public required IReadOnlyList<LedgerActor> Actors { get; init; }

    /// <summary>
    /// The id the action gets, when it is derived from another (an approval with edits): deciding the same edit again
    /// finds the same action instead of making a second. Null for an agent's proposal (a fresh random id).
    /// </summary>
    public string? ActionId { get; init; }
}

/// <summary>What became of a proposal (or, later, of its approval and execution): the action's current status.</summary>
/// <param name="ActionId">The action's id.</param>
/// <param name="Status">One of <see cref="Storage.ActionStatuses"/>.</param>
/// <param name="Detail">The explanation (denied, pending, recorded) or the system's answer (executed, failed).</param>
/// <param name="ApprovalId">The approval to wait on, while pending.</param>
/// <param name="CallDigest">The digest of the exact call, as approvers see it.</param>
public sealed record ActionAnswer(string ActionId, string Status, JsonObject Detail, string? ApprovalId, string CallDigest);

/// <summary>A proposal that cannot become an action at all (nothing is stored), with a stable code.</summary>
public sealed record ActionRefusal(string Code, string Message, JsonArray? Problems = null);

/// <summary>Stable codes of refusals and denials on the action path.</summary>
public static class ActionCodes
{
    /// <summary>The manifest has no such action.</summary>
    public const string UnknownAction = "unknown_action";

    /// <summary>The parameters do not fit the action's schema (each problem listed).</summary>
    public const string InvalidParameters = "invalid_parameters";

    /// <summary>The idempotency key was used before for another call.</summary>
    public const string IdempotencyKeyReused = "idempotency_key_reused";

    /// <summary>The workflow is halted: nothing new is accepted.</summary>
    public const string Halted = "workflow_halted";

    /// <summary>No such workflow, or nothing of it is active.</summary>
    public const string UnknownWorkflow = "unknown_workflow";

    /// <summary>Policy (or a prohibited action) denied it.</summary>
    public const string DeniedByPolicy = "denied_by_policy";

    /// <summary>Policy let it through, but it would go over one of the manifest's budgets.</summary>
    public const string BudgetExhausted = "budget_exhausted";
}
