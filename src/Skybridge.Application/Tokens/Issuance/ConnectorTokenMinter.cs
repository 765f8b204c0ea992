using System.Text.Json.Nodes;
using Skybridge.Application.Connectors;
using Skybridge.Application.Ledger;
using Skybridge.Core.Identity;
using Skybridge.Core.Ledger.Events;

namespace Skybridge.Application.Tokens.Issuance;

/// <summary>
/// Mints the token a connector presents to a system of record for one call (<see cref="IConnectorTokens"/>): an RFC 9068
/// access token signed with this node's current key, as the token endpoint's are, so a system of record verifies it
/// against the same JWKS. It is restricted to the call's audience (RFC 8707), which must be one of the systems of record
/// this node may mint for (<see cref="SkybridgeNodeOptions.ExtraResources"/>); it carries only the call's scope, lives
/// <see cref="Lifetime"/>, and is bound (<c>cnf.jkt</c>, RFC 9449) to this node's connector DPoP key, which never leaves
/// memory: a token copied from a system of record's logs is useless without it.
/// </summary>
/// <remarks>
/// The subject is the workflow (<c>workflow:ID</c>) and the client <see cref="ClientId"/>: the system of record is changed
/// by Skybridge acting for the workflow, not by an agent (agents never hold a token for a system of record). Who proposed
/// and who approved the call is in Skybridge's ledger under the call's case and idempotency key.
/// </remarks>
public sealed class ConnectorTokenMinter : IConnectorTokens, IDisposable
{
    /// <summary>The <c>client_id</c> of every connector token.</summary>
    public const string ClientId = "skybridge-connector";

    /// <summary>The grant type recorded in the ledger for a connector token.</summary>
    public const string GrantType = "connector";

    /// <summary>The prefix of a connector token's subject, followed by the workflow id.</summary>
    public const string SubjectPrefix = "workflow:";

    /// <summary>How long a connector token is valid: one call, retries included.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private readonly TokenSigningKeys _keys;
    private readonly IssuerUrls _urls;
    private readonly ILedger _ledger;
    private readonly TimeProvider _time;

    /// <summary>A minter signing with <paramref name="keys"/> for the issuer and resources of <paramref name="urls"/>.</summary>
    public ConnectorTokenMinter(TokenSigningKeys keys, IssuerUrls urls, ILedger ledger, TimeProvider time)
    {
        _keys = keys;
        _urls = urls;
        _ledger = ledger;
        _time = time;
    }

    /// <summary>This node's connector DPoP key: one per node, made at start, kept in memory only.</summary>
    public ConnectorProofKey ProofKey { get; } = ConnectorProofKey.Create();

    /// <inheritdoc/>
    public async Task<ConnectorTokenResult> GetTokenAsync(string audience, string scope, ConnectorCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        // Skybridge's own API is not a system of record: a connector token must never be usable against it.
        if (string.IsNullOrEmpty(audience) || audience == _urls.ApiResource || !_urls.Resources.Contains(audience, StringComparer.Ordinal))
        {
            return ConnectorTokenResult.Refused($"The audience '{audience}' is not a system of record this node mints tokens for; add it to the node's extra resources.");
        }

        if (!ScopeSet.TryParse(scope, out var scopes) || scopes.IsEmpty)
        {
            return ConnectorTokenResult.Refused($"The scope '{scope}' is not a valid OAuth scope (RFC 6749 section 3.3).");
        }

        if (string.IsNullOrEmpty(call.WorkflowId))
        {
            return ConnectorTokenResult.Refused("The call names no workflow.");
        }

        var now = _time.GetUtcNow();
        var claims = new AccessTokenClaims
        {
            Issuer = _urls.Issuer,
            Subject = SubjectPrefix + call.WorkflowId,
            Audiences = [audience],
            ClientId = ClientId,
            Scope = scopes,
            IssuedAt = now,
            ExpiresAt = now + Lifetime,
            TokenId = TokenSigner.NewTokenId(),
            KeyThumbprint = ProofKey.Thumbprint,
            Workflow = call.WorkflowId,
        };

        string token;
        try
        {
            token = AccessTokens.Create(claims, _keys.Current);
        }
        catch (InvalidOperationException)
        {
            return ConnectorTokenResult.Refused("The node's token-signing key is not loaded yet.");
        }

        // The issuance is in the ledger before the token exists anywhere else; the token itself never is.
        await _ledger.AppendAsync(new LedgerEntry
        {
            Type = LedgerEventTypes.TokenIssued,
            Actors = [LedgerActor.System("connector")],
            WorkflowId = call.WorkflowId,
            CaseId = call.CaseId,
            Resource = new LedgerResource("access_token", claims.TokenId),
            Outcome = "issued",
            Content = new JsonObject
            {
                ["grant_type"] = GrantType,
                ["client_id"] = claims.ClientId,
                ["sub"] = claims.Subject,
                ["scope"] = claims.Scope.ToString(),
                ["aud"] = audience,
                ["exp"] = LedgerEventFormat.FormatTime(claims.ExpiresAt),
                ["jkt"] = claims.KeyThumbprint,
                ["connector"] = call.Connector.Name,
                ["action"] = call.Action,
                ["idempotency_key"] = call.IdempotencyKey,
            },
        }, cancellationToken).ConfigureAwait(false);

        return ConnectorTokenResult.Minted(new ConnectorToken(token, claims.ExpiresAt) { ProofKey = ProofKey });
    }

    /// <inheritdoc/>
    public void Dispose() => ProofKey.Dispose();
}
