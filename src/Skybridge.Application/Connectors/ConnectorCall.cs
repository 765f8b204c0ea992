using System.Text.Json;
using Skybridge.Core.Manifests;

namespace Skybridge.Application.Connectors;

/// <summary>
/// One call of an action on a system of record, as the action pipeline hands it to a connector once schema, policy,
/// budget and approval have let it through. Everything here is already decided: a connector executes, it never judges.
/// </summary>
public sealed record ConnectorCall
{
    /// <summary>The manifest's connector (name, type, endpoint) the action names.</summary>
    public required Connector Connector { get; init; }

    /// <summary>The action's name; the HTTP connector posts to <c>{endpoint}/{action}</c>.</summary>
    public required string Action { get; init; }

    /// <summary>The parameters, validated against the action's schema: a JSON object, sent as the request body.</summary>
    public required JsonElement Parameters { get; init; }

    /// <summary>The workflow the call belongs to.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The case the call is made for.</summary>
    public required string CaseId { get; init; }

    /// <summary>
    /// The call's idempotency key, sent on every attempt (<c>Idempotency-Key</c>): the system of record uses it to
    /// recognise a repeat, so a retry or a re-execution after a crash never acts twice.
    /// </summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>
    /// Whether repeating the call is harmless (the system honours the idempotency key, or the action changes nothing
    /// twice). Only idempotent calls are retried.
    /// </summary>
    public required bool Idempotent { get; init; }

    /// <summary>
    /// The audience (RFC 8707 resource) of a token minted for this call: the system of record's resource identifier.
    /// By convention the connector's endpoint (<see cref="DefaultAudience"/>).
    /// </summary>
    public required string Audience { get; init; }

    /// <summary>The scope a token minted for this call carries; by convention the action's name.</summary>
    public required string Scope { get; init; }

    /// <summary>How long one attempt may take; null for the connector's configured default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The conventional audience of a connector: its endpoint as written in the manifest, without a trailing slash.</summary>
    public static string DefaultAudience(Connector connector)
    {
        ArgumentNullException.ThrowIfNull(connector);
        return connector.Endpoint is { } endpoint ? endpoint.OriginalString.TrimEnd('/') : "connector:" + connector.Name;
    }
}
