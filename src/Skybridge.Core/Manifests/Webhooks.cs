using Skybridge.Core.Ledger.Events;

namespace Skybridge.Core.Manifests;

/// <summary>
/// A receiver told about the workflow's ledger events as they happen: an approval to decide, an approval decided, an
/// action executed or held, a halt. Each delivery is signed (Standard Webhooks: HMAC-SHA256 under a secret kept in
/// Skybridge's secret store) and carries the ledger event as recorded, so the receiver can check it against the
/// ledger's proofs. The manifest names the receiver; agents never choose where Skybridge sends anything.
/// </summary>
public sealed record Webhook
{
    /// <summary>Name, unique in the manifest; its signing secret is stored under it.</summary>
    public required string Name { get; init; }

    /// <summary>Where deliveries are POSTed: https, or http to this machine only.</summary>
    public required Uri Url { get; init; }

    /// <summary>The ledger event types delivered (a subset of <see cref="WebhookEvents.Subscribable"/>).</summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>What the receiver does with them.</summary>
    public string? Description { get; init; }
}

/// <summary>The ledger events a webhook may subscribe to: the ones someone outside may have to act on or wait for.</summary>
public static class WebhookEvents
{
    /// <summary>Every subscribable event type.</summary>
    public static readonly IReadOnlyList<string> Subscribable =
    [
        LedgerEventTypes.ApprovalRequested,
        LedgerEventTypes.ApprovalDecided,
        LedgerEventTypes.ActionExecuted,
        LedgerEventTypes.ActionHeld,
        LedgerEventTypes.ActionRechecked,
        LedgerEventTypes.WorkflowHalted,
        LedgerEventTypes.WorkflowResumed,
        LedgerEventTypes.ReviewOverdue,
    ];
}
