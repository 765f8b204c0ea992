using Skybridge.Core.Manifests;

namespace Skybridge.Application.Connectors;

/// <summary>
/// Executes calls on systems of record: the only code that touches them. Expected failures (refusals, timeouts,
/// garbage) are <see cref="ConnectorResult"/>s; only the caller's cancellation throws (and then whether the call
/// executed is unknown).
/// </summary>
public interface IConnector
{
    /// <summary>Executes <paramref name="call"/> once (retrying only idempotent calls) and says what became of it.</summary>
    Task<ConnectorResult> ExecuteAsync(ConnectorCall call, CancellationToken cancellationToken);
}

/// <summary>The connectors of this node, by manifest connector type; the one entry point of the action pipeline.</summary>
public interface IConnectors
{
    /// <summary>The connector that executes calls for the manifest's <paramref name="connector"/>.</summary>
    IConnector For(Connector connector);

    /// <summary>Executes <paramref name="call"/> with the connector its <see cref="ConnectorCall.Connector"/> names.</summary>
    Task<ConnectorResult> ExecuteAsync(ConnectorCall call, CancellationToken cancellationToken);
}

/// <summary>
/// Mints the short-lived token a connector presents to a system of record for one call: audience-restricted
/// (RFC 8707), carrying the call's scope, valid a minute at most, signed with the node's key.
/// </summary>
public interface IConnectorTokens
{
    /// <summary>A token for <paramref name="call"/> only.</summary>
    Task<ConnectorToken> GetTokenAsync(string audience, string scope, ConnectorCall call, CancellationToken cancellationToken);
}

/// <summary>A minted token. Its text never appears in <see cref="ToString"/>, so it cannot leak through a log line.</summary>
public sealed record ConnectorToken(string Value, DateTimeOffset ExpiresAt)
{
    /// <inheritdoc/>
    public override string ToString() => $"ConnectorToken(expires {ExpiresAt:O})";
}

/// <summary>The credentials Skybridge holds for connectors (its secret store), opened for use.</summary>
public interface IConnectorCredentials
{
    /// <summary>The credential stored for <paramref name="connector"/>, or null when none is (then a minted token is used).</summary>
    Task<ConnectorCredential?> GetAsync(string connector, CancellationToken cancellationToken);
}
