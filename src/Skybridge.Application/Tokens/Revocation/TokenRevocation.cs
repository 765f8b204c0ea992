using System.Text.Json.Nodes;
using Skybridge.Application.Ledger;
using Skybridge.Application.Tokens.Issuance;
using Skybridge.Application.Tokens.Validation;
using Skybridge.Core.Identity;
using Skybridge.Core.Ledger.Events;
using Skybridge.Storage;

namespace Skybridge.Application.Tokens.Revocation;

/// <summary>
/// Token revocation (RFC 7009): an agent (<c>private_key_jwt</c>) revokes a token issued to it or one it acts in; a
/// person's CLI (the public client <c>skybridge-cli</c>, RFC 7009 section 2.1) revokes the person's own token. Every
/// token exchanged from a revoked one ends with it. The answer is 200 whether or not the token was valid, so that
/// revocation tells an attacker nothing.
/// </summary>
public sealed class TokenRevocation
{
    private readonly ClientAuthenticator _clients;
    private readonly TokenValidator _validator;
    private readonly TokenRefusals _refusals;
    private readonly IdentityState _state;
    private readonly ILedger _ledger;
    private readonly ISkybridgeStore _store;
    private readonly TimeProvider _time;

    internal TokenRevocation(ClientAuthenticator clients, TokenValidator validator, TokenRefusals refusals, IdentityState state, ILedger ledger, ISkybridgeStore store, TimeProvider time)
    {
        _clients = clients;
        _validator = validator;
        _refusals = refusals;
        _state = state;
        _ledger = ledger;
        _store = store;
        _time = time;
    }

    /// <summary>Answers one revocation request.</summary>
    public async Task<TokenResponse> RevokeAsync(IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var now = _time.GetUtcNow();
        if (!ClientAuthenticator.HasAssertion(form) && form.GetValueOrDefault("client_id") == DeviceAuthorizationService.CliClientId)
        {
            return await RevokePersonTokenAsync(form, now, cancellationToken).ConfigureAwait(false);
        }

        var (client, token, answer) = await _clients.AuthenticateForTokenAsync(form, now, "revocation", _refusals, cancellationToken).ConfigureAwait(false);
        if (answer is not null)
        {
            return answer;
        }

        // Signature and issuer must hold; an expired token needs no revoking.
        var clientId = client!.Agent.ClientId;
        var check = _validator.CheckSignature(token, now);
        if (check.IsValid && (check.Claims!.ClientId == clientId || check.Claims.Actor?.Chain().Contains(clientId) == true))
        {
            await RevokeTokenAsync(check.Claims, LedgerActor.Agent(clientId), "revoked by its client", cancellationToken).ConfigureAwait(false);
        }

        return new TokenResponse(200, new JsonObject(), null);
    }

    /// <summary>
    /// The public client: it has no secret to authenticate with, so holding the token is what counts (RFC 7009 section
    /// 2.1), and only a person's own token, issued to this client, is revoked this way.
    /// </summary>
    private async Task<TokenResponse> RevokePersonTokenAsync(IReadOnlyDictionary<string, string> form, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!form.TryGetValue("token", out var token))
        {
            return new TokenResponse(400, TokenResponse.ErrorBody(new OAuthError(OAuthError.InvalidRequest, "token is required.")), null);
        }

        var check = _validator.CheckSignature(token, now);
        if (check.IsValid && check.Claims!.ClientId == DeviceAuthorizationService.CliClientId && check.Claims.IsPersonToken)
        {
            await RevokeTokenAsync(check.Claims, LedgerActor.Human(check.Claims.SubjectOf.Name), "revoked by the person", cancellationToken).ConfigureAwait(false);
        }

        return new TokenResponse(200, new JsonObject(), null);
    }

    /// <summary>Records a token as revoked (by id), applies it on this node at once, and writes it to the ledger.</summary>
    public async Task RevokeTokenAsync(AccessTokenClaims claims, LedgerActor by, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var added = await _store.RevokeTokenAsync(new RevokedToken(claims.TokenId, claims.ClientId, claims.ExpiresAt, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        await _state.RefreshAsync(cancellationToken).ConfigureAwait(false);
        if (added)
        {
            await _ledger.AppendAsync(new LedgerEntry
            {
                Type = LedgerEventTypes.TokenRevoked,
                Actors = [by],
                WorkflowId = claims.Workflow,
                Resource = new LedgerResource("access_token", claims.TokenId),
                Outcome = "revoked",
                Content = new JsonObject { ["client_id"] = claims.ClientId, ["reason"] = reason },
            }, cancellationToken).ConfigureAwait(false);
        }
    }
}
