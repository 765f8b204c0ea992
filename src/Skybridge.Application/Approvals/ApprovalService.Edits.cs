using System.Text.Json.Nodes;
using Skybridge.Application.Actions;
using Skybridge.Application.Manifests;
using Skybridge.Core.Governance.Actions;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Approvals;

/// <summary>What approve-with-edits needs beyond deciding: the action path to propose the edited call, the active
/// versions to check its parameters, and the proposing agent and actor chain of the original call.</summary>
/// <param name="Pipeline">The action path the edited call goes through (schema, policy and ladder, budgets, record, execute).</param>
/// <param name="Manifests">The active versions (the edited parameters are checked against the action's schema first).</param>
/// <param name="AgentRole">An agent's current role by client id, or null (the edited call is proposed with the original agent's role).</param>
/// <param name="LedgerStore">The ledger (the original proposal's actor chain).</param>
public sealed record ApprovalEditing(ActionPipeline Pipeline, IActiveManifests Manifests, Func<string, CancellationToken, Task<string?>> AgentRole, ILedgerStore LedgerStore)
{
    /// <summary>Editing over the store's agents.</summary>
    public static ApprovalEditing Over(ActionPipeline pipeline, IActiveManifests manifests, IAgentStore agents, ILedgerStore ledger) =>
        new(pipeline, manifests, async (id, ct) => (await agents.GetAgentAsync(id, ct).ConfigureAwait(false))?.Role, ledger);
}

/// <summary>
/// Approve-with-edits: the original approval closes as <c>approved_with_edits</c> (its action ends <c>rejected</c>,
/// never executed, pointing to its successor) and the edited call is a NEW proposal through the real action path,
/// decided again by policy, with the editing person added to its actor chain (so they cannot approve it themselves).
/// </summary>
public sealed partial class ApprovalService
{
    /// <summary>The prefix of an edited call's idempotency key: <c>edit:ORIGINAL_ACTION_ID:EDITS_DIGEST</c>.</summary>
    public const string EditKeyPrefix = "edit:";

    /// <summary>
    /// The action whose approval was approved with edits into <paramref name="action"/>, or null when it is not an
    /// edited call. Both links must agree (the successor's derived key names the original, and the original names the
    /// successor), so an agent choosing a key that looks derived cannot pass its call off as an edit.
    /// </summary>
    public async Task<StoredAction?> EditedFromAsync(StoredAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (!action.IdempotencyKey.StartsWith(EditKeyPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = action.IdempotencyKey[EditKeyPrefix.Length..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return null;
        }

        var original = await _store.GetActionAsync(rest[..colon], cancellationToken).ConfigureAwait(false);
        return original is not null && original.Detail is { } detail && JsonNode.Parse(detail) is JsonObject d
            && (string?)d["successor"] == action.Id && original.CaseId == action.CaseId
            ? original
            : null;
    }

    private async Task<ApprovalDecisionResult> DecideWithEditsAsync(StoredApproval stored, StoredAction action, Approver by, string callDigest, string? comment,
        JsonObject? edited, CancellationToken cancellationToken)
    {
        if (_editing is null)
        {
            throw new InvalidOperationException("Approve-with-edits needs the action path (ApprovalEditing); this ApprovalService was built without it.");
        }

        var before = TextDigest.Sha256(action.Parameters);
        var after = edited is null ? "" : TextDigest.Sha256(CanonicalJson.ToCanonicalString(edited));
        // Deterministic from the original action and the edits: deciding the same edit again (a retried request, a
        // second click) is the same new action, never two.
        var successorId = "act-" + TextDigest.Sha256(action.Id + "\n" + after)[..16];
        var key = EditKeyPrefix + action.Id + ":" + after;

        if (stored.Status == ApprovalStatuses.ApprovedWithEdits && IsSameEdit(stored, by, successorId))
        {
            // The same person's same edit, decided already: finish it (the proposal may not have been written if the
            // node stopped between closing the original and proposing the edit) and answer as the first time.
            return await ProposeEditAsync(stored, action, by, edited!, successorId, key, cancellationToken).ConfigureAwait(false);
        }

        var now = _time.GetUtcNow();
        var result = ApprovalRules.Decide(ToCore(stored, action), new ApprovalDecision
        {
            Verdict = ApprovalVerdict.ApproveWithEdits,
            By = by,
            CallDigest = callDigest ?? "",
            Comment = comment,
            EditedParameters = edited,
        }, now, _isHalted(stored.WorkflowId));
        if (!result.Succeeded)
        {
            return await RefusedAsync(stored, action, by, result.Refusal!, cancellationToken).ConfigureAwait(false);
        }

        // The edited parameters must fit the action's schema as the active version defines it, before anything changes.
        var active = await _editing.Manifests.GetAsync(stored.WorkflowId, cancellationToken).ConfigureAwait(false);
        var definition = active?.Manifest.FindAction(action.Action);
        if (definition is null)
        {
            return await RefusedAsync(stored, action, by, new ApprovalRefusal(ActionCodes.UnknownAction,
                $"{stored.WorkflowId} has no active action '{action.Action}' any more; the edited call cannot be proposed"), cancellationToken).ConfigureAwait(false);
        }

        var problems = ActionSchema.Validate(definition, edited);
        if (problems.Count > 0)
        {
            var refused = await RefusedAsync(stored, action, by, new ApprovalRefusal(ActionCodes.InvalidParameters,
                $"The edited parameters of '{action.Action}' do not fit its schema: {problems.Count} problem(s); approval {stored.Id} stays pending."), cancellationToken).ConfigureAwait(false);
            return refused with
            {
                Problems = new JsonArray([.. problems.Select(p => (JsonNode)new JsonObject { ["code"] = p.Code, ["parameter"] = p.Parameter, ["message"] = p.Message })]),
            };
        }

        var decided = result.Approval;
        var votes = JsonNode.Parse(VotesJson(decided.Votes))!.AsArray();
        votes[^1]!["successor"] = successorId;
        var next = stored with
        {
            Status = ApprovalStatuses.ApprovedWithEdits,
            Votes = votes.ToJsonString(),
            ClosedAt = decided.ClosedAt,
            Revision = stored.Revision + 1,
        };
        var detail = action.Detail is not null && JsonNode.Parse(action.Detail) is JsonObject d ? d : [];
        detail["code"] = ApprovalStatuses.ApprovedWithEdits;
        detail["successor"] = successorId;
        try
        {
            // Only digests of the parameters go into the ledger: a reply's body or a customer's words stay out of it.
            await CloseAsync(stored, next, ActionStatuses.Rejected, LedgerActor.Human(by.UserName), next.Status, comment, cancellationToken,
                detail.ToJsonString(), new JsonObject { ["action_id"] = successorId, ["parameters_before"] = before, ["parameters_after"] = after }).ConfigureAwait(false);
        }
        catch (StoreConflictException)
        {
            var current = await _store.GetApprovalAsync(stored.Id, cancellationToken).ConfigureAwait(false);
            if (current is not null && current.Status == ApprovalStatuses.ApprovedWithEdits && IsSameEdit(current, by, successorId))
            {
                return await ProposeEditAsync(current, action, by, edited!, successorId, key, cancellationToken).ConfigureAwait(false);
            }

            var refusal = new ApprovalRefusal(ApprovalErrorCodes.AlreadyDecided, $"approval {stored.Id} was decided by someone else a moment ago; reload it");
            await RecordRefusalAsync(stored, by, refusal, cancellationToken).ConfigureAwait(false);
            return new(current, ActionAnswers.Of((await _store.GetActionAsync(action.Id, cancellationToken).ConfigureAwait(false))!), refusal);
        }

        return await ProposeEditAsync(await _store.GetApprovalAsync(stored.Id, cancellationToken).ConfigureAwait(false) ?? next, action, by, edited!, successorId, key, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The edited call through the action path: same agent, key and case, the editor added to the actor chain.</summary>
    private async Task<ApprovalDecisionResult> ProposeEditAsync(StoredApproval closed, StoredAction original, Approver by, JsonObject edited, string successorId, string key,
        CancellationToken cancellationToken)
    {
        var editing = _editing!;
        var role = await editing.AgentRole(original.Requester, cancellationToken).ConfigureAwait(false);
        var actors = (await ActorsAsync(editing.LedgerStore, original, cancellationToken).ConfigureAwait(false)).ToList();
        var editor = LedgerActor.Human(by.UserName);
        if (!actors.Contains(editor))
        {
            actors.Add(editor);
        }

        var result = await editing.Pipeline.ProposeAsync(new ActionProposal
        {
            WorkflowId = original.WorkflowId,
            CaseId = original.CaseId,
            Action = original.Action,
            Parameters = edited.DeepClone(),
            IdempotencyKey = key,
            Requester = original.Requester,
            RequesterRole = role ?? "",
            RequesterKey = original.RequesterKey,
            Actors = actors,
            ActionId = successorId,
        }, cancellationToken).ConfigureAwait(false);
        // A successor allowed at once was answered before its result was on disk: the person deciding is answered
        // once it is, so the pages they see next show it.
        await _ledger.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.Refusal is { } refused)
        {
            // Only when the workflow changed between the check and the proposal: the original stays closed.
            return new(closed, null, new ApprovalRefusal(refused.Code, refused.Message)) { Problems = refused.Problems };
        }

        return new(closed, result.Answer, null);
    }

    private async Task<ApprovalDecisionResult> RefusedAsync(StoredApproval stored, StoredAction action, Approver by, ApprovalRefusal refusal, CancellationToken cancellationToken)
    {
        if (refusal.Code == ApprovalErrorCodes.Expired && stored.Status == ApprovalStatuses.Pending)
        {
            await ExpireDueAsync(cancellationToken).ConfigureAwait(false);
        }

        await RecordRefusalAsync(stored, by, refusal, cancellationToken).ConfigureAwait(false);
        return new(await _store.GetApprovalAsync(stored.Id, cancellationToken).ConfigureAwait(false),
            ActionAnswers.Of((await _store.GetActionAsync(action.Id, cancellationToken).ConfigureAwait(false)) ?? action), refusal);
    }

    /// <summary>True when the approval's closing vote is <paramref name="by"/>'s edit into <paramref name="successorId"/>.</summary>
    private static bool IsSameEdit(StoredApproval approval, Approver by, string successorId) =>
        JsonNode.Parse(approval.Votes) is JsonArray { Count: > 0 } votes && votes[^1] is JsonObject last
        && (string?)last["user"] == by.UserName && (string?)last["successor"] == successorId;

    /// <summary>The actor chain of the action's proposal, from its <c>action.proposed</c> event.</summary>
    private static async Task<IReadOnlyList<LedgerActor>> ActorsAsync(ILedgerStore ledger, StoredAction action, CancellationToken cancellationToken)
    {
        foreach (var e in await ledger.ReadLedgerCaseAsync(action.CaseId, cancellationToken).ConfigureAwait(false))
        {
            if (e.Type == LedgerEventTypes.ActionProposed && JsonNode.Parse(e.Body) is JsonObject body
                && body["resource"]?["id"]?.GetValue<string>() == action.Id && body["actors"] is JsonArray actors)
            {
                return [.. actors.OfType<JsonObject>().Select(a => new LedgerActor(a["kind"]!.GetValue<string>(), a["id"]!.GetValue<string>()))];
            }
        }

        return [LedgerActor.Agent(action.Requester)];
    }
}

/// <summary>Adds the edit's digests to an <c>approval.decided</c> event, only when there is an edit.</summary>
internal static class ApprovalEventEdits
{
    public static LedgerEntry WithEdits(this LedgerEntry entry, JsonObject? edits)
    {
        if (edits is not null)
        {
            entry.Content!["edits"] = edits;
        }

        return entry;
    }
}
