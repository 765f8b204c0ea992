using Skybridge.Core.Identity;

namespace Skybridge.Application.Tokens.Issuance;

/// <summary>
/// The token endpoint: <c>client_credentials</c> with <c>private_key_jwt</c> (RFC 7523), token exchange (RFC 8693)
/// and the device code grant (RFC 8628) for the CLI; every token bound to a DPoP key (RFC 9449) and restricted to one
/// audience (RFC 8707). Every issuance, exchange and refusal goes into the ledger, never a token or an assertion.
/// </summary>
public sealed class TokenIssuer
{
    private readonly ClientAuthenticator _clients;
    private readonly ClientCredentialsGrant _clientCredentials;
    private readonly TokenExchangeGrant _exchange;
    private readonly DeviceCodeGrant _deviceCode;
    private readonly TokenSigner _signer;
    private readonly TokenRefusals _refusals;
    private readonly IReplayGuard _replay;
    private readonly ServerNonces _nonces;
    private readonly TimeProvider _time;
    private readonly IdentitySettings _settings;

    internal TokenIssuer(ClientAuthenticator clients, ClientCredentialsGrant clientCredentials, TokenExchangeGrant exchange, DeviceCodeGrant deviceCode,
        TokenSigner signer, TokenRefusals refusals, IReplayGuard replay, ServerNonces nonces, TimeProvider time, SkybridgeNodeOptions options)
    {
        _clients = clients;
        _clientCredentials = clientCredentials;
        _exchange = exchange;
        _deviceCode = deviceCode;
        _signer = signer;
        _refusals = refusals;
        _replay = replay;
        _nonces = nonces;
        _time = time;
        _settings = options.Identity;
    }

    /// <summary>The node's current DPoP nonce.</summary>
    public string CurrentNonce => _nonces.Current;

    /// <summary>Handles one token request.</summary>
    public async Task<TokenResponse> HandleAsync(TokenRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var grantType = request.Form.GetValueOrDefault("grant_type");
        var result = grantType switch
        {
            null or "" => TokenRefusal.Of(OAuthError.InvalidRequest, "grant_type is missing."),
            GrantTypes.ClientCredentials or GrantTypes.TokenExchange or GrantTypes.DeviceCode => await GrantAsync(grantType, request, cancellationToken).ConfigureAwait(false),
            _ => TokenRefusal.Of(OAuthError.UnsupportedGrantType, "Supported grant types: client_credentials, " + GrantTypes.TokenExchange + ", " + GrantTypes.DeviceCode + "."),
        };

        switch (result)
        {
            case GrantResult.Granted granted:
                return new TokenResponse(200, await _signer.SignAsync(granted, grantType!, cancellationToken).ConfigureAwait(false), CurrentNonce);
            case GrantResult.Refused { Refusal: var refusal }:
                // A CLI waiting for its person polls every few seconds: that is the protocol working, not a refusal.
                if (refusal.Error.Code is not (OAuthError.AuthorizationPending or OAuthError.SlowDown))
                {
                    await _refusals.RecordAsync(grantType, refusal, cancellationToken).ConfigureAwait(false);
                }

                return TokenResponse.Refused(refusal.Error, CurrentNonce);
            default:
                throw new InvalidOperationException("A grant ends in a token or a refusal.");
        }
    }

    /// <summary>Refuses a request that could not even be read (oversized, wrong content type, repeated parameters).</summary>
    public async Task<TokenResponse> RefuseUnreadableAsync(string endpoint, string description, CancellationToken cancellationToken)
    {
        var refusal = TokenRefusal.Of(OAuthError.InvalidRequest, description);
        await _refusals.RecordAsync(endpoint, refusal, cancellationToken).ConfigureAwait(false);
        return TokenResponse.Refused(refusal.Error, CurrentNonce);
    }

    private async Task<GrantResult> GrantAsync(string grantType, TokenRequest request, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();

        // RFC 9449 section 4.3 step 1: exactly one DPoP header. Every token Skybridge issues is key-bound.
        if (request.DPoPHeaders.Count != 1)
        {
            return TokenRefusal.Of(OAuthError.InvalidDPoPProof, request.DPoPHeaders.Count == 0
                ? "A DPoP proof is required: Skybridge issues only key-bound tokens."
                : "Exactly one DPoP header is allowed.");
        }

        var proofCheck = DPoPProofValidator.Validate(request.DPoPHeaders[0], new DPoPProofExpectation
        {
            Method = "POST",
            Uri = request.Uri,
            NonceIsCurrent = _nonces.IsCurrent,
        }, now, _settings);
        if (!proofCheck.IsValid)
        {
            return new TokenRefusal(proofCheck.Error!);
        }

        var proof = proofCheck.Proof!;
        if (grantType == GrantTypes.DeviceCode)
        {
            return await _deviceCode.DecideAsync(request.Form, proof, now, cancellationToken).ConfigureAwait(false);
        }

        // private_key_jwt client authentication (RFC 7523 section 2.2).
        var client = _clients.Authenticate(request.Form, now, out var clientError);
        if (client is null)
        {
            return clientError! with { KeyThumbprint = proof.KeyThumbprint };
        }

        var result = grantType == GrantTypes.ClientCredentials
            ? _clientCredentials.Decide(client.Agent, request.Form, proof, now)
            : await _exchange.DecideAsync(client.Agent, request.Form, proof, now, cancellationToken).ConfigureAwait(false);
        if (result is not GrantResult.Granted)
        {
            return result;
        }

        // Replays last, once everything else holds: a request refused for another reason consumes nothing.
        if (await _clients.UseOnceAsync(client, cancellationToken).ConfigureAwait(false) is { } replayed)
        {
            return replayed;
        }

        if (!await _replay.TryUseOnceAsync(proof.ReplayKey, proof.KeepUntil, cancellationToken).ConfigureAwait(false))
        {
            return TokenRefusal.Of(OAuthError.InvalidDPoPProof, "The DPoP proof was already used (jti replay).", client.Agent.ClientId, client.Agent.WorkflowId);
        }

        return result;
    }
}
