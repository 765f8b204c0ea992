using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Core.Governance.Ladder;
using Skybridge.Core.Governance.Policy;
using Skybridge.Core.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Actions;

/// <summary>
/// One proposal on its way through the steps: what each step learnt, and what the ledger and the store must get.
/// Steps add to <see cref="Trail"/> and <see cref="Rows"/>; the recording step writes them in one transaction.
/// </summary>
public sealed class ActionContext
{
    internal ActionContext(ActionProposal proposal, string actionId, DateTimeOffset now)
    {
        Proposal = proposal;
        ActionId = actionId;
        Now = now;
        NewApprovalId = "apr-" + actionId[4..];
    }

    /// <summary>The id an approval opened for this proposal gets.</summary>
    internal string NewApprovalId { get; init; }

    /// <summary>True when a held action is decided again after a resume: nothing is recorded or run by the steps.</summary>
    internal bool Rechecking { get; init; }

    /// <summary>The action as written already claimed by this node (allowed at once), for the execute step.</summary>
    internal StoredAction? Claimed { get; set; }

    /// <summary>
    /// The detail object the recorded action's detail was last written from (<see cref="DetailText"/> is its JSON): the
    /// steps after policy add the claim and the result to it instead of parsing the text again.
    /// </summary>
    internal JsonObject? Detail { get; set; }

    /// <summary>The JSON <see cref="Detail"/> was written to; an action whose detail is other text was changed since.</summary>
    internal string? DetailText { get; set; }

    /// <summary><see cref="Detail"/> when <paramref name="text"/> is what it was written to, else null.</summary>
    internal JsonObject? DetailOf(string? text) => Detail is not null && text is not null && ReferenceEquals(text, DetailText) ? Detail : null;

    /// <summary>What the agent asked.</summary>
    public ActionProposal Proposal { get; }

    /// <summary>The id the action gets if it is stored.</summary>
    public string ActionId { get; }

    /// <summary>When the proposal arrived (one clock reading for every step).</summary>
    public DateTimeOffset Now { get; }

    /// <summary>The workflow's active version, read once: policy and the record name the same version.</summary>
    public ActiveManifest? Active { get; internal set; }

    /// <summary>The policy of <see cref="Active"/>, compiled once per version.</summary>
    public PolicyEntry? Policy { get; internal set; }

    /// <summary>The action's definition.</summary>
    public ActionDefinition? Definition { get; internal set; }

    /// <summary>The parameters, once they fit the schema.</summary>
    public JsonObject? Parameters { get; internal set; }

    /// <summary>
    /// The canonical JSON of <see cref="Parameters"/>, computed once: the stored action, the proposal's event and the
    /// call digest all take it.
    /// </summary>
    internal string? CanonicalParameters { get; set; }

    /// <summary>The exact call an approval would be bound to.</summary>
    public ActionCall? Call { get; internal set; }

    /// <summary>The digest of <see cref="Call"/>.</summary>
    public string CallDigest { get; internal set; } = "";

    /// <summary>The ledger events the proposal produced so far, in order.</summary>
    public List<LedgerEntry> Trail { get; } = [];

    /// <summary>The rows written with <see cref="Trail"/>.</summary>
    public List<RecordedRow> Rows { get; } = [];

    /// <summary>True once <see cref="Trail"/> and <see cref="Rows"/> are on disk.</summary>
    public bool Recorded { get; internal set; }
}

/// <summary>A step's answer: the action's state, or a refusal that stored nothing.</summary>
public sealed record ActionResult(ActionAnswer? Answer, ActionRefusal? Refusal)
{
    /// <summary>An answer.</summary>
    public static ActionResult Of(ActionAnswer answer) => new(answer, null);

    /// <summary>A refusal.</summary>
    public static ActionResult Refused(string code, string message, JsonArray? problems = null) => new(null, new ActionRefusal(code, message, problems));
}

/// <summary>
/// One step of the action path, a decorator around the next (like <c>DelegatingChatClient</c> around an engine):
/// it decides, or adds what it learnt and hands on. The path is schema -> policy and ladder -> approval -> ledger ->
/// connector; budgets slot in before approval.
/// </summary>
public abstract class ActionStep
{
    /// <summary>The step after this one, or null for the last.</summary>
    public ActionStep? Next { get; set; }

    /// <summary>Handles the proposal, or hands it to <see cref="Next"/>.</summary>
    public abstract Task<ActionResult> HandleAsync(ActionContext context, CancellationToken cancellationToken);

    /// <summary>Calls the next step (the last step must not).</summary>
    protected Task<ActionResult> NextAsync(ActionContext context, CancellationToken cancellationToken) =>
        (Next ?? throw new InvalidOperationException($"{GetType().Name} has no next step.")).HandleAsync(context, cancellationToken);
}

/// <summary>A compiled policy with the hash an approval binds to.</summary>
/// <param name="Policy">The compiled policy.</param>
/// <param name="Hash">SHA-256 of the policy section as canonical JSON.</param>
public sealed record PolicyEntry(CompiledPolicy Policy, string Hash);

/// <summary>Compiled policies, one per workflow version (versions are immutable, so an entry never goes stale).</summary>
public sealed class PolicyCache
{
    private readonly ConcurrentDictionary<(string, int), PolicyEntry> _entries = new();

    /// <summary>The compiled policy of <paramref name="active"/>.</summary>
    public PolicyEntry For(ActiveManifest active)
    {
        ArgumentNullException.ThrowIfNull(active);
        return _entries.GetOrAdd((active.WorkflowId, active.Version), _ => new PolicyEntry(
            CompiledPolicy.Compile(active.Manifest),
            TextDigest.Sha256(CanonicalJson.ToCanonicalString(JsonSerializer.SerializeToNode(active.Manifest.Policy)))));
    }
}

/// <summary>
/// The action path: builds the chain of steps and runs a proposal through it. Whatever the steps decided is written
/// in one transaction with its ledger events, so a proposal is recorded whole or not at all.
/// </summary>
public sealed class ActionPipeline
{
    private readonly ActionStep _first;
    private readonly ActionStep? _decide;
    private readonly IActionStore _store;
    private readonly ILedger _ledger;
    private readonly TimeProvider _time;

    /// <summary>A pipeline of <paramref name="steps"/>, in order.</summary>
    public ActionPipeline(IEnumerable<ActionStep> steps, IActionStore store, ILedger ledger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var list = steps.ToList();
        for (var i = 0; i + 1 < list.Count; i++)
        {
            list[i].Next = list[i + 1];
        }

        _first = list[0];
        // Re-checking a held action starts where a proposal is decided: the idempotency step would only replay it.
        _decide = list.OfType<SchemaStep>().FirstOrDefault();
        _store = store;
        _ledger = ledger;
        _time = time;
    }

    /// <summary>Runs a proposal through the steps; a retry with the same idempotency key gets the first answer.</summary>
    public async Task<ActionResult> ProposeAsync(ActionProposal proposal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        for (var attempt = 1; ; attempt++)
        {
            var context = new ActionContext(proposal, proposal.ActionId ?? "act-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)), _time.GetUtcNow());
            try
            {
                var result = await _first.HandleAsync(context, cancellationToken).ConfigureAwait(false);
                if (!context.Recorded && context.Trail.Count > 0)
                {
                    await RecordAsync(_ledger, context, cancellationToken).ConfigureAwait(false);
                }

                return result;
            }
            catch (BudgetExhaustedException) when (!context.Recorded && attempt < MaxAttempts)
            {
                // Another node spent what this proposal's budget step had read as left; nothing was recorded. Deciding
                // again reads the spent budget and denies it with the reason.
            }
            catch (StoreConflictException) when (!context.Recorded)
            {
                // Another request with the same idempotency key got there first: its answer is this one's.
                return await IdempotencyStep.ReplayAsync(_store, context, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("A conflicting proposal was not found afterwards.");
            }
        }
    }

    /// <summary>How often a proposal is decided again after losing a budget race, before the error is let through.</summary>
    private const int MaxAttempts = 3;
    /// <summary>
    /// Decides a held action again after its workflow resumed, with the same steps as a new proposal and the CURRENT
    /// active version, policy and ladder: allowed -> <c>approved</c> (the outbox runs it), approval needed -> a new
    /// approval is opened, denied (or no longer valid) -> <c>denied</c> with the explanation. Written with its
    /// <c>policy.decided</c> and <c>action.rechecked</c> events, once: another node re-checking it too gets a conflict.
    /// </summary>
    /// <param name="held">The held action.</param>
    /// <param name="requesterRole">The proposing agent's role now (policy tests the role).</param>
    /// <param name="actors">The actor chain of the original proposal (the people in it may not approve it).</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The action as stored after, or null when another node re-checked it first.</returns>
    public async Task<StoredAction?> RecheckHeldAsync(StoredAction held, string requesterRole, IReadOnlyList<LedgerActor> actors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(held);
        if (_decide is null || held.Status != ActionStatuses.Held)
        {
            return held;
        }

        var proposal = new ActionProposal
        {
            WorkflowId = held.WorkflowId,
            CaseId = held.CaseId,
            Action = held.Action,
            Parameters = JsonNode.Parse(held.Parameters),
            IdempotencyKey = held.IdempotencyKey,
            Requester = held.Requester,
            RequesterRole = requesterRole,
            RequesterKey = held.RequesterKey,
            Actors = actors,
        };
        var context = new ActionContext(proposal, held.Id, _time.GetUtcNow())
        {
            Rechecking = true,
            NewApprovalId = "apr-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)),
        };
        var result = await _decide.HandleAsync(context, cancellationToken).ConfigureAwait(false);

        StoredAction decided;
        if (context.Rows.OfType<ActionRecordedRow>().LastOrDefault() is { } row)
        {
            decided = row.Action with { CreatedAt = held.CreatedAt };
        }
        else
        {
            // Refused before policy (the action or its parameters no longer fit the active version): denied, with why.
            var refusal = result.Refusal!;
            decided = held with
            {
                Status = ActionStatuses.Denied,
                Detail = new JsonObject { ["code"] = refusal.Code, ["summary"] = refusal.Message, ["problems"] = refusal.Problems?.DeepClone() }.ToJsonString(),
                UpdatedAt = context.Now,
            };
        }

        if (decided.Status == ActionStatuses.Denied && decided.Detail is { } why && JsonNode.Parse(why)?["code"]?.GetValue<string>() == ActionCodes.Halted)
        {
            return held; // halted again meanwhile: it stays held, for the next resume
        }

        // The steps' rows, with the action written in place of the held one; the proposal event is not repeated.
        var rows = context.Rows.Where(r => r is not ActionRecordedRow).Append(new ActionRecheckRow(decided, ActionStatuses.Held)).ToList();
        var trail = context.Trail.Where(e => e.Type != LedgerEventTypes.ActionProposed).ToList();
        trail.Add(new LedgerEntry
        {
            Type = LedgerEventTypes.ActionRechecked,
            Actors = [LedgerActor.System("kill-switch")],
            WorkflowId = held.WorkflowId,
            WorkflowVersion = context.Active?.Version,
            CaseId = held.CaseId,
            Resource = new LedgerResource("action", held.Id),
            Outcome = decided.Status,
            InputHashes = new Dictionary<string, string> { ["held_call"] = held.CallDigest },
            Content = new JsonObject
            {
                ["action"] = held.Action,
                ["call_digest"] = decided.CallDigest,
                ["approval_id"] = decided.ApprovalId,
                ["code"] = decided.Status == ActionStatuses.Denied && decided.Detail is { } d ? JsonNode.Parse(d)?["code"]?.DeepClone() : null,
            },
        });
        try
        {
            await _ledger.AppendAsync(trail, rows, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreConflictException)
        {
            return null; // another node re-checked it first
        }

        return await _store.GetActionAsync(held.Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes what the steps decided (events and rows) in one transaction.</summary>
    internal static async Task RecordAsync(ILedger ledger, ActionContext context, CancellationToken cancellationToken)
    {
        await ledger.AppendAsync(context.Trail, context.Rows, cancellationToken).ConfigureAwait(false);
        context.Recorded = true;
    }
}
