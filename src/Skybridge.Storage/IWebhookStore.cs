namespace Skybridge.Storage;

/// <summary>
/// Webhook delivery state: per workflow and webhook, a cursor into the ledger (the next event to consider), the failed
/// attempts at it, and the lease that lets one node send at a time. Deliveries are the ledger's own events, so nothing
/// is queued twice and nothing written to the ledger is missed: a crash leaves the cursor where it was.
/// </summary>
public interface IWebhookStore
{
    /// <summary>The cursor of a webhook, made at <paramref name="startAt"/> (the ledger's size: only what follows is sent) when it has none.</summary>
    Task<WebhookCursor> GetOrCreateWebhookCursorAsync(string workflowId, string webhook, long startAt, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Every cursor (of one workflow, or all), for listings.</summary>
    Task<IReadOnlyList<WebhookCursor>> ListWebhookCursorsAsync(string? workflowId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes or extends the lease to send a webhook's deliveries until <paramref name="until"/>: it is granted when it is
    /// free, has run out, or is already <paramref name="nodeId"/>'s. False when another node holds it.
    /// </summary>
    Task<bool> LeaseWebhookAsync(string workflowId, string webhook, string nodeId, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves the cursor from <paramref name="from"/> to <paramref name="to"/> (compare-and-set: false when it is no longer
    /// at <paramref name="from"/>), clearing failed attempts; <paramref name="delivered"/> events were sent on the way.
    /// </summary>
    Task<bool> AdvanceWebhookAsync(string workflowId, string webhook, long from, long to, int delivered, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Records a failed attempt at the event the cursor is at: how many so far, when to try again, and why.</summary>
    Task RecordWebhookFailureAsync(string workflowId, string webhook, long at, int attempts, DateTimeOffset nextAttemptAt, string error, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// The events of <paramref name="workflowId"/> of the given <paramref name="types"/> with sequence in
    /// [<paramref name="from"/>, <paramref name="before"/>), in ledger order, at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<StoredLedgerEvent>> ReadWebhookEventsAsync(string workflowId, IReadOnlyList<string> types, long from, long before, int limit, CancellationToken cancellationToken = default);

    /// <summary>The sequence of the workflow's last event of one of <paramref name="types"/>, or null when it has none.</summary>
    Task<long?> FindLastLedgerEventAsync(string workflowId, IReadOnlyList<string> types, CancellationToken cancellationToken = default);
}

/// <summary>Where a webhook's delivery stands.</summary>
public sealed record WebhookCursor
{
    /// <summary>The workflow.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The webhook's name in the manifest.</summary>
    public required string Webhook { get; init; }

    /// <summary>The ledger sequence of the next event to consider.</summary>
    public required long NextSequence { get; init; }

    /// <summary>Failed attempts at that event so far.</summary>
    public int Attempts { get; init; }

    /// <summary>When it is tried again after a failure.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>Why the last attempt failed (status code or error kind; never a secret or a body).</summary>
    public string? LastError { get; init; }

    /// <summary>The node sending, while its lease lasts.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>When the lease runs out.</summary>
    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>Events delivered so far.</summary>
    public long Delivered { get; init; }

    /// <summary>Events given up on after every attempt failed (each one recorded in the ledger).</summary>
    public long Abandoned { get; init; }

    /// <summary>When the last delivery was accepted.</summary>
    public DateTimeOffset? LastDeliveredAt { get; init; }

    /// <summary>Last change.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// Gives up on the event at <paramref name="At"/> (the cursor moves past it), written with the ledger event that says
/// so; a cursor no longer at <paramref name="At"/> is a conflict (another node moved it) and nothing is written.
/// </summary>
public sealed record WebhookAbandonRow(string WorkflowId, string Webhook, long At, DateTimeOffset Now) : RecordedRow;
