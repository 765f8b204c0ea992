using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Notifications;

/// <summary>
/// Delivers the workflow's ledger events to the webhooks its active manifest declares, in ledger order, at least once.
/// The ledger is the queue: an event is delivered only once it is committed (so an approval exists, with its waiter,
/// before anyone hears of it), and a crash, a restart or a dead receiver loses nothing: the cursor stays where it was.
/// A failed attempt is tried again with growing pauses (5 s up to 8 h, about 16 hours in all); then the event is given
/// up, recorded as <c>webhook.abandoned</c>, and the next one goes. One node sends a webhook at a time (a lease).
/// </summary>
public sealed partial class WebhookDispatcher : BackgroundService
{
    /// <summary>Pauses after the 1st, 2nd, ... failed attempt; after the last one the event is given up.</summary>
    public static readonly IReadOnlyList<TimeSpan> Backoff =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4), TimeSpan.FromHours(8),
    ];

    /// <summary>How long a node's lease to send lasts without renewal (a dead node's webhooks move on after it).</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private const int BatchSize = 100;

    // A webhook starts where its workflow's active version was activated: events after that are its to receive.
    private static readonly string[] ActivationTypes = [LedgerEventTypes.WorkflowActivated, LedgerEventTypes.WorkflowRolledBack];

    private readonly IWorkflowStore _workflows;
    private readonly IWebhookStore _store;
    private readonly ILedgerStore _ledgerStore;
    private readonly IActiveManifests _manifests;
    private readonly WebhookSecrets _secrets;
    private readonly IWebhookSender _sender;
    private readonly ILedger _ledger;
    private readonly TimeProvider _time;
    private readonly string _nodeId;
    private readonly string? _publicUrl;
    private readonly ILogger<WebhookDispatcher> _logger;

    /// <summary>The dispatcher of one node.</summary>
    public WebhookDispatcher(IWorkflowStore workflows, IWebhookStore store, ILedgerStore ledgerStore, IActiveManifests manifests, WebhookSecrets secrets,
        IWebhookSender sender, ILedger ledger, TimeProvider time, SkybridgeNodeOptions options, ILogger<WebhookDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _workflows = workflows;
        _store = store;
        _ledgerStore = ledgerStore;
        _manifests = manifests;
        _secrets = secrets;
        _sender = sender;
        _ledger = ledger;
        _time = time;
        _nodeId = options.NodeId;
        _publicUrl = options.PublicUrl?.TrimEnd('/');
        _logger = logger;
    }

    /// <summary>One pass over every webhook of every active workflow; returns how many events were delivered.</summary>
    public async Task<int> DrainAsync(CancellationToken cancellationToken)
    {
        var delivered = 0;
        var head = (await _ledgerStore.GetLedgerHeadAsync(cancellationToken).ConfigureAwait(false)).Size;
        foreach (var workflow in await _workflows.ListWorkflowsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await _manifests.GetAsync(workflow.Id, cancellationToken).ConfigureAwait(false) is not { } active)
            {
                continue;
            }

            if (active.Manifest.Webhooks.Count == 0)
            {
                continue;
            }

            var cursors = (await _store.ListWebhookCursorsAsync(workflow.Id, cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.Webhook, StringComparer.Ordinal);
            foreach (var webhook in active.Manifest.Webhooks)
            {
                // A webhook's cursor is made once, where its version was activated (finding that reads the ledger).
                var cursor = cursors.GetValueOrDefault(webhook.Name)
                    ?? await _store.GetOrCreateWebhookCursorAsync(workflow.Id, webhook.Name, await StartAsync(workflow.Id, head, cancellationToken).ConfigureAwait(false), _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                delivered += await DrainAsync(workflow.Id, webhook, cursor, head, cancellationToken).ConfigureAwait(false);
            }
        }

        return delivered;
    }

    private async Task<int> DrainAsync(string workflowId, Webhook webhook, WebhookCursor cursor, long head, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (cursor.NextAttemptAt > now || cursor.NextSequence >= head
            || !await _store.LeaseWebhookAsync(workflowId, webhook.Name, _nodeId, now, now + Lease, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        var secret = await _secrets.GetAsync(workflowId, webhook.Name, cancellationToken).ConfigureAwait(false);
        var delivered = 0;
        var from = cursor.NextSequence;
        while (from < head)
        {
            var events = await _store.ReadWebhookEventsAsync(workflowId, webhook.Events, from, head, BatchSize, cancellationToken).ConfigureAwait(false);
            var sent = 0;
            foreach (var e in events)
            {
                var result = secret is null
                    ? WebhookSendResult.Failed("no signing secret: set one with `skybridge webhook secret " + workflowId + " " + webhook.Name + "`")
                    : await _sender.SendAsync(Message(webhook, e, secret), cancellationToken).ConfigureAwait(false);
                if (!result.Accepted)
                {
                    // What went before it is delivered; the cursor stops at the failed event and tries it again later.
                    if (e.Sequence > from && !await _store.AdvanceWebhookAsync(workflowId, webhook.Name, from, e.Sequence, sent, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
                    {
                        return delivered + sent;
                    }

                    var attempts = (e.Sequence == cursor.NextSequence ? cursor.Attempts : 0) + 1;
                    await FailedAsync(workflowId, webhook, e, attempts, result.Error ?? "refused", cancellationToken).ConfigureAwait(false);
                    return delivered + sent;
                }

                sent++;
                // A long pass keeps its lease: another node must not start sending the same events meanwhile.
                if (_time.GetUtcNow() - now > Lease / 3)
                {
                    now = _time.GetUtcNow();
                    if (!await _store.LeaseWebhookAsync(workflowId, webhook.Name, _nodeId, now, now + Lease, cancellationToken).ConfigureAwait(false))
                    {
                        await _store.AdvanceWebhookAsync(workflowId, webhook.Name, from, e.Sequence + 1, sent, now, cancellationToken).ConfigureAwait(false);
                        return delivered + sent;
                    }
                }

                LogDelivered(_logger, e.Type, e.Sequence, webhook.Name, workflowId);
            }

            // A short batch reached the head; a full one continues after its last event.
            var to = events.Count == BatchSize ? events[^1].Sequence + 1 : head;
            if (!await _store.AdvanceWebhookAsync(workflowId, webhook.Name, from, to, sent, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
            {
                return delivered + sent; // another node moved it (a lease ran out meanwhile)
            }

            delivered += sent;
            from = to;
            cursor = cursor with { NextSequence = to, Attempts = 0 };
        }

        return delivered;
    }

    private async Task<long> StartAsync(string workflowId, long head, CancellationToken cancellationToken) =>
        await _store.FindLastLedgerEventAsync(workflowId, ActivationTypes, cancellationToken).ConfigureAwait(false) ?? head;

    private async Task FailedAsync(string workflowId, Webhook webhook, StoredLedgerEvent e, int attempts, string error, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        LogFailed(_logger, e.Type, e.Sequence, webhook.Name, workflowId, attempts, error);
        if (attempts <= Backoff.Count)
        {
            await _store.RecordWebhookFailureAsync(workflowId, webhook.Name, e.Sequence, attempts, now + Backoff[attempts - 1], error, now, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Every attempt failed: the receiver never got it. Said in the ledger, with the cursor moved past it, at once.
        try
        {
            await _ledger.AppendAsync([new LedgerEntry
            {
                Type = LedgerEventTypes.WebhookAbandoned,
                Actors = [LedgerActor.System("webhooks")],
                WorkflowId = workflowId,
                CaseId = e.CaseId,
                Resource = new LedgerResource("webhook", webhook.Name),
                Outcome = "abandoned",
                Content = new JsonObject
                {
                    ["event_type"] = e.Type,
                    ["event_id"] = e.EventId,
                    ["sequence"] = e.Sequence,
                    ["attempts"] = attempts,
                    ["error"] = error,
                },
            }], [new WebhookAbandonRow(workflowId, webhook.Name, e.Sequence, now)], cancellationToken).ConfigureAwait(false);
        }
        catch (StoreConflictException)
        {
            // Another node moved past it first.
        }
    }

    /// <summary>
    /// The message for one ledger event: a Standard Webhooks body (<c>type</c>, <c>timestamp</c>, <c>data</c>) whose data
    /// is the event exactly as the ledger holds it, with its sequence, so a receiver can ask the ledger for its proof.
    /// The id is the event's, the same on every attempt.
    /// </summary>
    private WebhookMessage Message(Webhook webhook, StoredLedgerEvent e, string secret)
    {
        var data = new JsonObject
        {
            ["workflow"] = e.WorkflowId,
            ["sequence"] = e.Sequence,
            ["event"] = JsonNode.Parse(e.Body),
        };
        if (_publicUrl is not null && e.Type is LedgerEventTypes.ApprovalRequested or LedgerEventTypes.ApprovalDecided
            && JsonNode.Parse(e.Body)?["resource"]?["id"]?.GetValue<string>() is { } approvalId)
        {
            data["links"] = new JsonObject { ["approval"] = $"{_publicUrl}/approvals/{Uri.EscapeDataString(approvalId)}" };
        }

        // An overdue review is for the review authority to pick up: where its review form is.
        if (_publicUrl is not null && e.Type is LedgerEventTypes.ReviewOverdue && e.CaseId is { } caseId)
        {
            data["links"] = new JsonObject { ["review"] = $"{_publicUrl}/reviews/{Uri.EscapeDataString(caseId)}" };
        }

        var body = new JsonObject
        {
            ["type"] = e.Type,
            ["timestamp"] = LedgerEventFormat.FormatTime(e.At),
            ["data"] = data,
        };
        return new WebhookMessage(webhook.Url, "msg_" + e.EventId, _time.GetUtcNow(), body.ToJsonString()) { Secret = secret };
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        try
        {
            do
            {
                try
                {
                    await DrainAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is StoreUnavailableException or System.Data.Common.DbException or StoreConflictException or InvalidOperationException)
                {
                    LogPassFailed(_logger, ex.GetType().Name, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // The node is stopping; the cursors say where the next start goes on.
        }
    }

    [LoggerMessage(EventId = 3200, Level = LogLevel.Debug, Message = "Webhook delivered {EventType} #{Sequence} to {Webhook} of {Workflow}")]
    private static partial void LogDelivered(ILogger logger, string eventType, long sequence, string webhook, string workflow);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Webhook {Webhook} of {Workflow}: {EventType} #{Sequence} not delivered (attempt {Attempts}): {Error}")]
    private static partial void LogFailed(ILogger logger, string eventType, long sequence, string webhook, string workflow, int attempts, string error);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Webhook pass failed; retrying: {Kind}: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string kind, string reason);
}
