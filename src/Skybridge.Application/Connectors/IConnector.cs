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
/// (RFC 8707), carrying the call's scope, valid a minute at most, signed with the node's key, and bound to a DPoP key
/// the connector proves possession of on every request (RFC 9449).
/// </summary>
public interface IConnectorTokens
{
    /// <summary>A token for <paramref name="call"/> only, or why none can be minted (an expected failure, not an exception).</summary>
    Task<ConnectorTokenResult> GetTokenAsync(string audience, string scope, ConnectorCall call, CancellationToken cancellationToken);
}

/// <summary>
/// A minted token. Its text never appears in <see cref="ToString"/>, so it cannot leak through a log line. When
/// <see cref="ProofKey"/> is set the token is DPoP-bound (its <c>cnf.jkt</c> is that key's thumbprint): it is sent as
/// <c>Authorization: DPoP</c> with a fresh proof per attempt; otherwise as a bearer token.
/// </summary>
public sealed record ConnectorToken(string Value, DateTimeOffset ExpiresAt)
{
    /// <summary>The key the token is bound to (RFC 9449 <c>cnf.jkt</c>), or null for a bearer token.</summary>
    public ConnectorProofKey? ProofKey { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"ConnectorToken(expires {ExpiresAt:O}{(ProofKey is null ? "" : ", DPoP " + ProofKey.Thumbprint)})";
}

/// <summary>A token, or the reason none could be minted.</summary>
public sealed record ConnectorTokenResult
{
    /// <summary>The token, or null when refused.</summary>
    public ConnectorToken? Token { get; init; }

    /// <summary>Why no token was minted (for people: never a secret), or null.</summary>
    public string? Problem { get; init; }

    /// <summary>A minted token.</summary>
    public static ConnectorTokenResult Minted(ConnectorToken token) => new() { Token = token ?? throw new ArgumentNullException(nameof(token)) };

    /// <summary>No token, and why.</summary>
    public static ConnectorTokenResult Refused(string problem) => new() { Problem = problem };

    /// <inheritdoc/>
    public override string ToString() => Token is { } t ? t.ToString() : $"ConnectorTokenResult(refused: {Problem})";
}

/// <summary>The credentials Skybridge holds for connectors (its secret store), opened for use.</summary>
public interface IConnectorCredentials
{
    /// <summary>The credential stored for <paramref name="connector"/>, or null when none is (then a minted token is used).</summary>
    Task<ConnectorCredential?> GetAsync(string connector, CancellationToken cancellationToken);
}
