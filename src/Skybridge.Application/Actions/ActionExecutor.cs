using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skybridge.Application.Connectors;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Application.Tokens;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Actions;

/// <summary>
/// Runs allowed and approved actions through their connectors, exactly once. An action is claimed before its system is
/// called (<c>approved</c> -> <c>executing</c>, a compare-and-set only one node wins), and its result is written with
/// its <c>action.executed</c> event. An action whose node died after the claim is sent again with the same
/// Idempotency-Key (the action's id), so a system of record that honours the key does it once; a halted workflow's
/// queued actions are held, never dropped.
/// </summary>
/// <remarks>
/// The claim is durable before the system is called, so nothing runs that the ledger does not show. The result may be
/// written after the caller is answered (<see cref="RunClaimedAsync(StoredAction, CancellationToken, bool)"/> with <c>answerFirst</c>): it is queued on the
/// ledger before the answer leaves, in order, so anything the caller does next is recorded after it; reads on this node
/// wait for it (<see cref="GetAsync"/>, <see cref="ILedger.FlushAsync"/>); and if the node dies before it is on disk,
/// the claim goes stale and the outbox sends the call again with the same key, so the system answers it once more
/// without doing it twice, and that answer is recorded.
/// </remarks>
public sealed partial class ActionExecutor
{
    private readonly IActionStore _store;
    private readonly IActiveManifests _manifests;
    private readonly IConnectors _connectors;
    private readonly ILedger _ledger;
    private readonly TimeProvider _time;
    private readonly Func<string, bool> _isHalted;
    private readonly string _nodeId;
    private readonly ILogger _logger;

    /// <summary>Results being written after their caller was answered, by action id.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _recording = new(StringComparer.Ordinal);

    /// <summary>An executor of one node.</summary>
    public ActionExecutor(IActionStore store, IActiveManifests manifests, IConnectors connectors, ILedger ledger, TimeProvider time, Func<string, bool> isHalted, string nodeId,
        ILogger<ActionExecutor>? logger = null)
    {
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _store = store;
        _manifests = manifests;
        _connectors = connectors;
        _ledger = ledger;
        _time = time;
        _isHalted = isHalted;
        _nodeId = nodeId;
    }

    /// <summary>An action's detail once <paramref name="nodeId"/> has claimed it: the explanation, and who claimed it when.</summary>
    internal static string ClaimDetail(string? detail, string nodeId, DateTimeOffset at) =>
        ClaimDetail(detail is not null && JsonNode.Parse(detail) is JsonObject before ? before : [], nodeId, at);

    /// <summary>
    /// <see cref="ClaimDetail(string?, string, DateTimeOffset)"/> of the detail <paramref name="detail"/> is the parsed
    /// form of, added to it in place: the proposal path holds the object it serialised the detail from, so nothing is
    /// parsed again (the text is the same, as parsing it and laying the same members over it gives the same object).
    /// </summary>
    internal static string ClaimDetail(JsonObject detail, string nodeId, DateTimeOffset at)
    {
        detail["claimed_by"] = nodeId;
        detail["claimed"] = LedgerEventFormat.FormatTime(at);
        return detail.ToJsonString();
    }

    /// <summary>
    /// <see cref="ClaimDetail(JsonObject, string, DateTimeOffset)"/> of a detail whose JSON <paramref name="detailText"/>
    /// was just written from it: the two members are added to the object, and written after the text's last member
    /// rather than by serialising the whole object again. The text is the same: <c>ToJsonString</c> writes members in
    /// the order they were added, with no whitespace, and the claim's members are new ones at the end.
    /// </summary>
    internal static string ClaimDetail(JsonObject detail, string detailText, string nodeId, DateTimeOffset at)
    {
        if (detail.Count == 0 || detail.ContainsKey("claimed_by") || detail.ContainsKey("claimed")
            || detailText.Length < 2 || detailText[^1] != '}')
        {
            return ClaimDetail(detail, nodeId, at);
        }

        var claimed = LedgerEventFormat.FormatTime(at);
        detail["claimed_by"] = nodeId;
        detail["claimed"] = claimed;
        // Encoded as ToJsonString encodes a string (System.Text.Json's default encoder); the time is digits and -:.TZ.
        var node = JsonEncodedText.Encode(nodeId).ToString();
        return string.Concat(detailText.AsSpan(0, detailText.Length - 1), ",\"claimed_by\":\"", node, "\",\"claimed\":\"" + claimed + "\"}");
    }

    /// <summary>How many times an approved call is sent before a passing refusal counts as its failure.</summary>
    public const int MaxDeliveryAttempts = 5;

    /// <summary>
    /// A failure worth another try later: the call is known not to have run (nothing sent, connection refused, or a 4xx),
    /// and the reason is one that passes: the system was unreachable or unavailable, or it refused this node's token
    /// (401: e.g. it could not fetch Skybridge's keys yet), asked to wait (408, 425, 429) or was unavailable (503). A
    /// refusal of the call itself (400, 403, 404, 409, 422) is final, and so is a connector without a credential (an
    /// audience this node does not mint for is configuration, not a moment).
    /// </summary>
    internal static bool Redeliverable(ConnectorResult result) =>
        result.KnownNotExecuted
        && (result.ErrorCode is ConnectorErrors.Unavailable or ConnectorErrors.CircuitOpen
            || result.StatusCode is 401 or 408 or 425 or 429 or 503);

    /// <summary>Sends of this action that ended in a passing refusal so far (kept in its detail).</summary>
    private static int DeliveryAttempts(string? detail) =>
        detail is not null && JsonNode.Parse(detail) is JsonObject o && o["delivery_attempts"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0;

    /// <summary>The stored detail (the policy explanation) with <paramref name="more"/> laid over it, as JSON.</summary>
    private static string Merge(string? detail, JsonObject more)
    {
        var merged = detail is not null && JsonNode.Parse(detail) is JsonObject before ? before : [];
        foreach (var (key, value) in more)
        {
            merged[key] = value?.DeepClone();
        }

        return merged.ToJsonString();
    }

    /// <summary>The action as it stands, once a result of it this node is still writing is written.</summary>
    public async Task<StoredAction?> GetAsync(string actionId, CancellationToken cancellationToken)
    {
        await WhenResultWrittenAsync(actionId, cancellationToken).ConfigureAwait(false);
        return await _store.GetActionAsync(actionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits while this node is writing a result of the action whose caller was answered first; true when there was
    /// one (what was read before may be stale).
    /// </summary>
    public async Task<bool> WhenResultWrittenAsync(string actionId, CancellationToken cancellationToken)
    {
        if (!_recording.TryGetValue(actionId, out var writing))
        {
            return false;
        }

        try
        {
            await writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Not written: the action stays claimed, and the outbox sends it again (logged where it failed).
        }

        return true;
    }

    /// <summary>Executes an <c>approved</c> action if this node wins its claim; returns the action as it stands after.</summary>
    public async Task<StoredAction?> ExecuteAsync(string actionId, CancellationToken cancellationToken)
    {
        var action = await _store.GetActionAsync(actionId, cancellationToken).ConfigureAwait(false);
        if (action is null || action.Status != ActionStatuses.Approved)
        {
            return action;
        }

        if (_isHalted(action.WorkflowId))
        {
            await ActionHolds.HoldAsync(_ledger, action, "workflow halted", _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            return await _store.GetActionAsync(actionId, cancellationToken).ConfigureAwait(false);
        }

        var claim = ClaimDetail(action.Detail, _nodeId, _time.GetUtcNow());
        if (!await _store.TransitionActionAsync(actionId, ActionStatuses.Approved, ActionStatuses.Executing, claim, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            return await _store.GetActionAsync(actionId, cancellationToken).ConfigureAwait(false); // another node runs it
        }

        return await RunClaimedAsync(action, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Calls the system for an action this node holds the claim on, and writes the result with its event.</summary>
    /// <param name="action">The claimed action.</param>
    /// <param name="cancellationToken">Cancels reading the manifest; once the system is called, the result is written whatever the caller does.</param>
    /// <param name="answerFirst">
    /// Return the result once its write is queued on the ledger, without waiting for it to be on disk (the caller's
    /// answer then costs one durable write, the claim's, instead of two). Only a call whose claim is already durable.
    /// </param>
    internal async Task<StoredAction?> RunClaimedAsync(StoredAction action, CancellationToken cancellationToken, bool answerFirst = false) =>
        (await RunClaimedAsync(action, null, cancellationToken, answerFirst).ConfigureAwait(false)).Action;

    /// <summary>
    /// <see cref="RunClaimedAsync(StoredAction, CancellationToken, bool)"/> for a caller that holds the claimed action's
    /// detail as an object already (<paramref name="detail"/>, whose JSON is <c>action.Detail</c>): the result is laid
    /// over it instead of over the text parsed again. Returns the action as it stands after, and the object its detail
    /// was written from (null when it was parsed from the text).
    /// </summary>
    internal async Task<(StoredAction Action, JsonObject? Detail)> RunClaimedAsync(StoredAction action, JsonObject? detail, CancellationToken cancellationToken,
        bool answerFirst)
    {
        var active = await _manifests.GetAsync(action.WorkflowId, cancellationToken).ConfigureAwait(false);
        var definition = active?.Manifest.FindAction(action.Action);
        var connector = definition is null ? null : active!.Manifest.FindConnector(definition.Connector);
        ConnectorResult result;
        if (connector is null)
        {
            result = ConnectorResult.NotSent(ConnectorErrors.Misconfigured, $"The active manifest of {action.WorkflowId} has no connector for '{action.Action}'.");
        }
        else
        {
            // Not cancelled by the caller: once a system is called, its answer is written whatever the caller does.
            result = await _connectors.ExecuteAsync(new ConnectorCall
            {
                Connector = connector,
                Action = action.Action,
                Parameters = JsonDocument.Parse(action.Parameters).RootElement.Clone(),
                WorkflowId = action.WorkflowId,
                CaseId = action.CaseId,
                IdempotencyKey = action.Id,
                // Retries only where the manifest says the system may take the same call twice; the key goes along anyway.
                Idempotent = false,
                Audience = ConnectorCall.DefaultAudience(connector),
                Scope = definition!.Scope ?? action.Action,
            }, CancellationToken.None).ConfigureAwait(false);
        }

        var executed = result.Outcome == ConnectorOutcome.Executed;
        // Counted only for a call that may go back to the outbox: an executed one does not read its detail again.
        if (!executed && Redeliverable(result) && DeliveryAttempts(action.Detail) + 1 is var attempts && attempts < MaxDeliveryAttempts)
        {
            // Known not to have run, for a reason that passes (the system cannot check this node's tokens yet, it is
            // restarting or busy): an approved call is not dropped
            // for that. It goes back to the outbox, which sends it again, with the same key, after ActionOutbox.LeftAfter.
            var deferred = Merge(action.Detail, new JsonObject
            {
                ["delivery_attempts"] = attempts,
                ["last_error"] = result.ErrorCode,
                ["last_status_code"] = result.StatusCode,
                ["last_message"] = result.Message,
            });
            // Recorded with the move back: a call a system of record refused is part of the action's history.
            var at = _time.GetUtcNow();
            try
            {
                await _ledger.AppendAsync([new LedgerEntry
                {
                    Type = LedgerEventTypes.ActionDeferred,
                    Actors = [LedgerActor.System("connector:" + (connector?.Name ?? "none"))],
                    WorkflowId = action.WorkflowId,
                    WorkflowVersion = action.ManifestVersion,
                    CaseId = action.CaseId,
                    Resource = new LedgerResource("action", action.Id),
                    Outcome = "deferred",
                    InputHashes = new Dictionary<string, string> { ["call"] = action.CallDigest },
                    Content = new JsonObject
                    {
                        ["action"] = action.Action,
                        ["attempt"] = attempts,
                        ["status_code"] = result.StatusCode,
                        ["error"] = result.ErrorCode,
                        ["node"] = _nodeId,
                    },
                }], [new ActionTransitionRow(action.Id, ActionStatuses.Executing, ActionStatuses.Approved, deferred, at)], CancellationToken.None).ConfigureAwait(false);
                return (action with { Status = ActionStatuses.Approved, Detail = deferred, UpdatedAt = at }, null);
            }
            catch (StoreConflictException)
            {
                // Another node moved it meanwhile: what it wrote stands, as below.
            }
        }

        // The policy explanation stays beside the system's answer: why it ran, and what it did.
        // Laid member by member over the detail (as Merge lays an object's members), without an object of its own to copy.
        var target = detail ?? (action.Detail is not null && JsonNode.Parse(action.Detail) is JsonObject before ? before : []);
        target["outcome"] = executed ? "executed" : "failed";
        target["status_code"] = result.StatusCode;
        target["reference"] = result.Reference;
        target["error"] = result.ErrorCode;
        target["message"] = result.Message;
        target["known_not_executed"] = result.KnownNotExecuted;
        target["attempts"] = result.Attempts;
        target["result"] = result.Body is { } body ? JsonNode.Parse(body.GetRawText()) : null;
        var written = target.ToJsonString();
        var now = _time.GetUtcNow();
        var write = _ledger.AppendAsync([new LedgerEntry
        {
            Type = LedgerEventTypes.ActionExecuted,
            Actors = [LedgerActor.System("connector:" + (connector?.Name ?? "none"))],
            WorkflowId = action.WorkflowId,
            WorkflowVersion = action.ManifestVersion,
            CaseId = action.CaseId,
            Resource = new LedgerResource("action", action.Id),
            Outcome = executed ? "executed" : "failed",
            InputHashes = new Dictionary<string, string> { ["call"] = action.CallDigest },
            Content = new JsonObject
            {
                ["action"] = action.Action,
                ["status_code"] = result.StatusCode,
                ["reference"] = result.Reference,
                ["error"] = result.ErrorCode,
                ["attempts"] = result.Attempts,
                ["node"] = _nodeId,
            },
        }], [new ActionTransitionRow(action.Id, ActionStatuses.Executing, executed ? ActionStatuses.Executed : ActionStatuses.Failed, written, now)],
            CancellationToken.None);
        if (answerFirst)
        {
            // Queued already (appends are taken in order when called): the caller's next step is recorded after it.
            _recording[action.Id] = write;
            _ = ForgetWhenWrittenAsync(action.Id, write);
        }
        else
        {
            await write.ConfigureAwait(false);
        }

        // The transition wrote exactly these fields (a compare-and-set from executing): no read back on the hot path.
        return (action with { Status = executed ? ActionStatuses.Executed : ActionStatuses.Failed, Detail = written, UpdatedAt = now }, detail);
    }

    private async Task ForgetWhenWrittenAsync(string actionId, Task write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The caller has its answer; the action stays claimed, and once the claim is stale the outbox sends the call
            // again with the same key and records what the system answers.
            LogResultNotWritten(_logger, actionId, ex.GetType().Name);
        }
        finally
        {
            _recording.TryRemove(new KeyValuePair<string, Task>(actionId, write));
        }
    }

    [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "The result of action {ActionId} was not written ({Error}); the outbox sends it again with its idempotency key once its claim is stale")]
    private static partial void LogResultNotWritten(ILogger logger, string actionId, string error);
}

/// <summary>
/// The outbox on every node: actions approved but not yet run (an approval decided just before a crash), and claims
/// left by a node that died mid-call, are run; nothing waits for a person to notice.
/// </summary>
internal sealed partial class ActionOutbox : BackgroundService
{
    /// <summary>An approved action not claimed within this long was left by its request (a crash, a lost connection).</summary>
    public static readonly TimeSpan LeftAfter = TimeSpan.FromSeconds(5);

    private readonly IActionStore _store;
    private readonly ActionExecutor _executor;
    private readonly TimeProvider _time;
    private readonly ILogger<ActionOutbox> _logger;
    private readonly ActionPipeline _pipeline;
    private readonly IAgentStore _agents;
    private readonly ILedgerStore _ledgerStore;
    private readonly IdentityState _state;

    /// <summary>A claim older than this without a result belongs to a node that died (<see cref="SkybridgeNodeOptions.ActionClaimTimeout"/>).</summary>
    private readonly TimeSpan _staleClaim;

    private readonly IHostApplicationLifetime _lifetime;

    public ActionOutbox(IActionStore store, ActionExecutor executor, TimeProvider time, ILogger<ActionOutbox> logger,
        ActionPipeline pipeline, IAgentStore agents, ILedgerStore ledgerStore, IdentityState state, SkybridgeNodeOptions options,
        IHostApplicationLifetime lifetime)
    {
        _lifetime = lifetime;
        _staleClaim = options.ActionClaimTimeout;
        _store = store;
        _executor = executor;
        _time = time;
        _logger = logger;
        _pipeline = pipeline;
        _agents = agents;
        _ledgerStore = ledgerStore;
        _state = state;
    }

    /// <summary>One pass: held actions of resumed workflows, queued actions, then stale claims.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        // Held actions whose workflow runs again are decided again against the current policy, first, so that the ones
        // still allowed run in this same pass.
        foreach (var held in await _store.ListActionsByStatusAsync(ActionStatuses.Held, 100, cancellationToken).ConfigureAwait(false))
        {
            if (_state.Halt(held.WorkflowId) is null)
            {
                var agent = await _agents.GetAgentAsync(held.Requester, cancellationToken).ConfigureAwait(false);
                var after = await _pipeline.RecheckHeldAsync(held, agent?.Role ?? "", await ActorsAsync(held, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                if (after is not null)
                {
                    LogRechecked(_logger, held.Id, after.Status);
                }
            }
        }

        // A freshly approved action is being run by the request that approved it; the outbox takes what was left.
        var leftBefore = _time.GetUtcNow() - LeftAfter;
        foreach (var action in await _store.ListActionsByStatusAsync(ActionStatuses.Approved, leftBefore, 100, cancellationToken).ConfigureAwait(false))
        {
            await _executor.ExecuteAsync(action.Id, cancellationToken).ConfigureAwait(false);
        }

        var staleBefore = _time.GetUtcNow() - _staleClaim;
        foreach (var action in await _store.ListActionsByStatusAsync(ActionStatuses.Executing, staleBefore, 100, cancellationToken).ConfigureAwait(false))
        {
            LogResending(_logger, action.Id);
            await _executor.RunClaimedAsync(action, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        try
        {
            // Hosted services start before the node listens, and a node that does not listen yet has no issuer to mint
            // connector tokens with: a claim left by the previous process, sent at once, failed for want of a token
            // (the exactly-once benchmark lost actions so). The first pass waits until the node serves.
            using (var started = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.ApplicationStarted, stoppingToken))
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, started.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // Started: the node listens now.
                }
            }

            do
            {
                try
                {
                    await DrainAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is StoreUnavailableException or System.Data.Common.DbException or StoreConflictException)
                {
                    LogDrainFailed(_logger, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // The node is stopping; what is left stays in the outbox for the next start.
        }
    }

    /// <summary>The actor chain of the action's proposal, from its <c>action.proposed</c> event (its people may not approve it).</summary>
    private async Task<IReadOnlyList<LedgerActor>> ActorsAsync(StoredAction action, CancellationToken cancellationToken)
    {
        foreach (var e in await _ledgerStore.ReadLedgerCaseAsync(action.CaseId, cancellationToken).ConfigureAwait(false))
        {
            if (e.Type == LedgerEventTypes.ActionProposed && JsonNode.Parse(e.Body) is JsonObject body
                && body["resource"]?["id"]?.GetValue<string>() == action.Id && body["actors"] is JsonArray actors)
            {
                return [.. actors.OfType<JsonObject>().Select(a => new LedgerActor(a["kind"]!.GetValue<string>(), a["id"]!.GetValue<string>()))];
            }
        }

        return [LedgerActor.Agent(action.Requester)];
    }

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Held action {ActionId} decided again after a resume: {Status}")]
    private static partial void LogRechecked(ILogger logger, string actionId, string status);

    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Action {ActionId} was claimed by a node that did not finish it; sending it again with its idempotency key")]
    private static partial void LogResending(ILogger logger, string actionId);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Action outbox pass failed; retrying: {Reason}")]
    private static partial void LogDrainFailed(ILogger logger, string reason);
}
