using Skybridge.Core.Access;
using Skybridge.Core.Identity;

namespace Skybridge.Application.Tokens.Issuance;

/// <summary>
/// The CLI polling for a person's token (RFC 8628 section 3.4). A public client: no assertion, but the DPoP proof
/// binds the person's token to the key the CLI holds.
/// </summary>
internal sealed class DeviceCodeGrant(DeviceAuthorizationService devices, IReplayGuard replay, IssuerUrls urls, SkybridgeNodeOptions options)
{
    public async Task<GrantResult> DecideAsync(IReadOnlyDictionary<string, string> form, DPoPProof proof, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (form.GetValueOrDefault("client_id") != DeviceAuthorizationService.CliClientId || !form.TryGetValue("device_code", out var deviceCode))
        {
            return TokenRefusal.Of(OAuthError.InvalidRequest, "client_id skybridge-cli and device_code are required.");
        }

        // The proof first: a replayed proof must not use up the person's approval, which is handed out only once.
        if (!await replay.TryUseOnceAsync(proof.ReplayKey, proof.KeepUntil, cancellationToken).ConfigureAwait(false))
        {
            return TokenRefusal.Of(OAuthError.InvalidDPoPProof, "The DPoP proof was already used (jti replay).");
        }

        var result = await devices.RedeemAsync(deviceCode, DeviceAuthorizationService.CliClientId, cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case DeviceRedeemStatus.Pending: return TokenRefusal.Of(OAuthError.AuthorizationPending, "Nobody has approved the code yet.");
            case DeviceRedeemStatus.SlowDown: return TokenRefusal.Of(OAuthError.SlowDown, "Polling faster than the interval; wait 5 seconds more between polls.");
            case DeviceRedeemStatus.Denied: return TokenRefusal.Of(OAuthError.AccessDenied, "The person denied the request.");
            case DeviceRedeemStatus.Expired: return TokenRefusal.Of(OAuthError.ExpiredToken, "The device code expired; start again.");
            case DeviceRedeemStatus.Invalid: return TokenRefusal.Of(OAuthError.InvalidGrant, "Unknown or already used device code.");
        }

        ScopeSet.TryParse(result.Scope, out var requested);
        var scope = requested.IsEmpty ? await devices.PersonScopesAsync(result.UserName!, cancellationToken).ConfigureAwait(false) : requested;
        return new GrantResult.Granted(new AccessTokenClaims
        {
            Issuer = urls.Issuer,
            Subject = Subject.Person(result.UserName!).ToString(),
            Audiences = [urls.ApiResource],
            ClientId = DeviceAuthorizationService.CliClientId,
            Scope = scope,
            IssuedAt = now,
            ExpiresAt = now + options.Identity.PersonTokenLifetime,
            TokenId = TokenSigner.NewTokenId(),
            KeyThumbprint = proof.KeyThumbprint,
        });
    }
}
