using System.Text.Json;
using Skybridge.Application.Ledger;
using Skybridge.Storage;

namespace Skybridge.Application.Cases;

/// <summary>A case as a list shows it: the case and its actions, oldest first.</summary>
public sealed record CaseListRow(StoredCase Case, IReadOnlyList<StoredAction> Actions);

/// <summary>One page of a case list, and where the next one starts (null on the last page).</summary>
public sealed record CaseListPage(IReadOnlyList<CaseListRow> Rows, CaseCursor? Next);

/// <summary>A proposed action with the approval it waited for, if any.</summary>
public sealed record CaseActionView(StoredAction Action, StoredApproval? Approval);

/// <summary>A case with every action proposed for it.</summary>
public sealed record CaseDetail(StoredCase Case, IReadOnlyList<CaseActionView> Actions);

/// <summary>Whether an event of a case's trail is proven to be in the ledger the checkpoint signs.</summary>
public enum TrailProof
{
    /// <summary>Its inclusion proof against the signed checkpoint verified.</summary>
    Verified,

    /// <summary>Recorded after the newest signed checkpoint: nothing to check it against yet.</summary>
    NotYetCheckpointed,

    /// <summary>Its stored bytes are not what the signed checkpoint commits to: the ledger row was changed.</summary>
    Failed,
}

/// <summary>One event of a case's trail, as a person reads it.</summary>
public sealed record TrailEventView(long Sequence, string Type, string Time, IReadOnlyList<string> Actors, string? Outcome, string Summary, TrailProof Proof);

/// <summary>
/// A case's trail and the signed checkpoint its proofs were checked against (null before the first, or when the newest
/// one's signature does not verify: <paramref name="CheckpointUnverified"/>).
/// </summary>
public sealed record CaseTrailView(long? CheckpointSize, IReadOnlyList<string> CheckpointSignedBy, IReadOnlyList<TrailEventView> Events, bool CheckpointUnverified = false)
{
    public bool AnyFailed => Events.Any(e => e.Proof == TrailProof.Failed);
}

/// <summary>
/// What the console shows of cases: a workflow's cases a page at a time, one case with its actions and approvals, and
/// its ledger trail with each event's inclusion proof checked by <see cref="LedgerReplay"/> (the same check as the API's
/// trail). Reads only; access is the caller's check.
/// </summary>
public sealed class CaseViews
{
    /// <summary>The most cases one page holds.</summary>
    public const int MaxPageSize = 100;

    private readonly ICaseStore _cases;
    private readonly IActionStore _actions;
    private readonly LedgerReplay _replay;
    private readonly ILedger? _writer;

    /// <param name="cases">The cases.</param>
    /// <param name="actions">Their actions and approvals.</param>
    /// <param name="replay">The trail check.</param>
    /// <param name="writer">This node's append path, flushed before reading: an action's result written after its caller was answered shows.</param>
    public CaseViews(ICaseStore cases, IActionStore actions, LedgerReplay replay, ILedger? writer = null)
    {
        _cases = cases;
        _actions = actions;
        _replay = replay;
        _writer = writer;
    }

    private Task FlushAsync(CancellationToken cancellationToken) => _writer?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>A page of <paramref name="workflowId"/>'s cases, newest first, each with its actions.</summary>
    public async Task<CaseListPage> ListAsync(string workflowId, CaseFilter filter, CaseCursor? before, int pageSize, CancellationToken cancellationToken)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        // One more than shown tells whether a next page exists without counting the workflow's cases.
        var cases = await _cases.ListCasesAsync(new CaseQuery { WorkflowId = workflowId, Filter = filter, Before = before, Limit = pageSize + 1 }, cancellationToken)
            .ConfigureAwait(false);
        var shown = cases.Take(pageSize).ToList();
        var actions = (await _actions.ListActionsOfCasesAsync([.. shown.Select(c => c.Id)], cancellationToken).ConfigureAwait(false))
            .ToLookup(a => a.CaseId, StringComparer.Ordinal);
        var rows = shown.Select(c => new CaseListRow(c, [.. actions[c.Id]])).ToList();
        var next = cases.Count > pageSize ? new CaseCursor(shown[^1].CreatedAt, shown[^1].Id) : null;
        return new CaseListPage(rows, next);
    }

    /// <summary>One case with its actions and their approvals, or null.</summary>
    public async Task<CaseDetail?> GetAsync(string caseId, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        var stored = await _cases.GetCaseAsync(caseId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        var actions = await _actions.ListCaseActionsAsync(caseId, cancellationToken).ConfigureAwait(false);
        var views = new List<CaseActionView>(actions.Count);
        foreach (var action in actions)
        {
            var approval = action.ApprovalId is null ? null : await _actions.GetApprovalAsync(action.ApprovalId, cancellationToken).ConfigureAwait(false);
            views.Add(new CaseActionView(action, approval));
        }

        return new CaseDetail(stored, views);
    }

    /// <summary>The case's ledger trail, each event re-hashed from its stored bytes and proven against the newest signed checkpoint.</summary>
    public async Task<CaseTrailView> TrailAsync(string caseId, CancellationToken cancellationToken)
    {
        var replay = await _replay.ReplayAsync(caseId, cancellationToken).ConfigureAwait(false);
        var events = replay.Steps.Select(s => new TrailEventView(
            s.Sequence, s.Type, s.Time, s.Actors,
            s.Event.TryGetProperty("outcome", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null,
            s.Summary,
            // A newest checkpoint that no ledger key signed proves nothing: every event fails, none is "not yet" checked.
            replay.NewestCheckpointUnverified ? TrailProof.Failed
            : !s.ProofChecked ? TrailProof.NotYetCheckpointed
            : s.ProofVerified ? TrailProof.Verified
            : TrailProof.Failed)).ToList();
        return new CaseTrailView(replay.CheckpointSize, replay.CheckpointSignedBy, events, replay.NewestCheckpointUnverified);
    }
}
