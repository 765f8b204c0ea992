namespace Skybridge.Core.Identity;

/// <summary>
/// An OAuth error: the code a client acts on and a description for people. Denials are results, not exceptions.
/// Descriptions never contain a token, a key or a client assertion.
/// </summary>
/// <param name="Code">The registered error code (RFC 6749 section 5.2, RFC 6750, RFC 8693, RFC 8707, RFC 9449, RFC 8628).</param>
/// <param name="Description">What was wrong, for a person reading logs.</param>
public sealed record OAuthError(string Code, string Description)
{
    /// <summary>The request is missing a parameter, repeats one, or is otherwise malformed.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>Client authentication failed.</summary>
    public const string InvalidClient = "invalid_client";

    /// <summary>The grant (subject token, device code) is invalid, expired or revoked.</summary>
    public const string InvalidGrant = "invalid_grant";

    /// <summary>The client may not use this grant.</summary>
    public const string UnauthorizedClient = "unauthorized_client";

    /// <summary>The grant type is not supported.</summary>
    public const string UnsupportedGrantType = "unsupported_grant_type";

    /// <summary>The requested scope is beyond what may be granted.</summary>
    public const string InvalidScope = "invalid_scope";

    /// <summary>The requested resource (audience) is unknown or not allowed (RFC 8707).</summary>
    public const string InvalidTarget = "invalid_target";

    /// <summary>The DPoP proof is invalid (RFC 9449).</summary>
    public const string InvalidDPoPProof = "invalid_dpop_proof";

    /// <summary>A (fresh) server nonce must be used in the DPoP proof (RFC 9449 section 8).</summary>
    public const string UseDPoPNonce = "use_dpop_nonce";

    /// <summary>The access token is expired, revoked, malformed or otherwise invalid (RFC 6750).</summary>
    public const string InvalidToken = "invalid_token";

    /// <summary>The token lacks the scope the request needs (RFC 6750).</summary>
    public const string InsufficientScope = "insufficient_scope";

    /// <summary>The person or the policy said no.</summary>
    public const string AccessDenied = "access_denied";

    /// <summary>Device grant: the person has not decided yet (RFC 8628).</summary>
    public const string AuthorizationPending = "authorization_pending";

    /// <summary>Device grant: poll less often (RFC 8628).</summary>
    public const string SlowDown = "slow_down";

    /// <summary>Device grant: the device code expired (RFC 8628).</summary>
    public const string ExpiredToken = "expired_token";
}
