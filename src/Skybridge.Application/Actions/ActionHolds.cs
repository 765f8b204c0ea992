using System.Text.Json.Nodes;
using Skybridge.Application.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Actions;

/// <summary>
/// Holding a halted workflow's queued actions: each <c>approved</c> action not yet claimed moves to <c>held</c> with an
/// <c>action.held</c> event, in one transaction, compare-and-set (a node that claimed it first runs it: it is already at
/// the system). Held actions are never dropped; a resume decides them again (<see cref="ActionPipeline.RecheckHeldAsync"/>).
/// </summary>
internal static class ActionHolds
{
    /// <summary>Holds one queued action; false when it was no longer <c>approved</c> (claimed or held elsewhere).</summary>
    public static async Task<bool> HoldAsync(ILedger ledger, StoredAction action, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await ledger.AppendAsync([new LedgerEntry
            {
                Type = LedgerEventTypes.ActionHeld,
                Actors = [LedgerActor.System("kill-switch")],
                WorkflowId = action.WorkflowId,
                WorkflowVersion = action.ManifestVersion,
                CaseId = action.CaseId,
                Resource = new LedgerResource("action", action.Id),
                Outcome = ActionStatuses.Held,
                InputHashes = new Dictionary<string, string> { ["call"] = action.CallDigest },
                Content = new JsonObject { ["action"] = action.Action, ["reason"] = reason },
            }], [new ActionTransitionRow(action.Id, ActionStatuses.Approved, ActionStatuses.Held, null, now)], cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StoreConflictException)
        {
            return false;
        }
    }

    /// <summary>Holds every queued action of <paramref name="workflowId"/>; returns how many were held.</summary>
    public static async Task<int> HoldWorkflowAsync(IActionStore store, ILedger ledger, string workflowId, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var held = 0;
        while (true)
        {
            var queued = (await store.ListActionsByStatusAsync(ActionStatuses.Approved, 1000, cancellationToken).ConfigureAwait(false))
                .Where(a => a.WorkflowId == workflowId).ToList();
            var moved = 0;
            foreach (var action in queued)
            {
                moved += await HoldAsync(ledger, action, reason, now, cancellationToken).ConfigureAwait(false) ? 1 : 0;
            }

            held += moved;
            if (moved == 0)
            {
                return held;
            }
        }
    }
}
