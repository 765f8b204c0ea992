using System.Text.Json.Nodes;
using Skybridge.Core.Ledger.Events;
using Skybridge.Application.Tokens;
using Skybridge.Application.Ledger;
using Skybridge.Storage;
using Skybridge.Application.Actions;

namespace Skybridge.Application.Governance;

/// <summary>
/// The kill switch: halting a workflow stops it at once on this node (its tokens stop working, no new ones are issued)
/// and on every other node within a second. Resuming is a decision of its own. Both go into the ledger.
/// </summary>
public sealed class KillSwitch
{
    private readonly IWorkflowStore _store;
    private readonly TimeProvider _time;
    private readonly ILedger _ledger;
    private readonly IdentityState? _state;
    private readonly IActionStore? _actions;

    /// <summary>
    /// The switch over <paramref name="store"/>; <paramref name="state"/> is the node's state (null from the CLI);
    /// <paramref name="actions"/> holds the workflow's queued actions at the halt.
    /// </summary>
    public KillSwitch(IWorkflowStore store, TimeProvider time, ILedger ledger, IdentityState? state = null, IActionStore? actions = null)
    {
        _actions = actions;
        _store = store;
        _time = time;
        _ledger = ledger;
        _state = state;
    }

    /// <summary>Halts a workflow. False when it was already halted (or does not exist).</summary>
    public async Task<bool> HaltAsync(string actor, string workflowId, string reason, CancellationToken cancellationToken)
    {
        var halted = await _store.HaltWorkflowAsync(new WorkflowHalt(workflowId, actor, reason, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        if (halted)
        {
            await RecordAsync(LedgerEventTypes.WorkflowHalted, actor, workflowId, reason, cancellationToken).ConfigureAwait(false);
            if (_actions is not null)
            {
                // Every node's outbox also holds what it finds queued for a halted workflow; doing it here closes the
                // second before the other nodes learn of the halt: a held action cannot be claimed.
                await ActionHolds.HoldWorkflowAsync(_actions, _ledger, workflowId, reason, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }
        }

        return halted;
    }

    /// <summary>
    /// Resumes a halted workflow. False when it was not halted. Its held actions are then decided again against the
    /// current policy by the outbox of whichever node gets there first (<see cref="ActionPipeline.RecheckHeldAsync"/>).
    /// </summary>
    public async Task<bool> ResumeAsync(string actor, string workflowId, string reason, CancellationToken cancellationToken)
    {
        // The halt voided every earlier token; the resume, in the same transaction, voids any a node issued before it
        // learnt of the halt.
        var resumed = await _store.ResumeWorkflowAsync(workflowId, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (resumed)
        {
            await RecordAsync(LedgerEventTypes.WorkflowResumed, actor, workflowId, reason, cancellationToken).ConfigureAwait(false);
        }

        return resumed;
    }

    private async Task RecordAsync(string type, string actor, string workflowId, string reason, CancellationToken cancellationToken)
    {
        // The state first: the halt must bite before anything else happens on this node.
        if (_state is not null)
        {
            await _state.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        await _ledger.AppendAsync(new LedgerEntry
        {
            Type = type,
            Actors = [LedgerActor.Human(actor)],
            WorkflowId = workflowId,
            Resource = new LedgerResource("workflow", workflowId),
            Outcome = "done",
            Content = new JsonObject { ["reason"] = reason },
        }, cancellationToken).ConfigureAwait(false);
    }
}
