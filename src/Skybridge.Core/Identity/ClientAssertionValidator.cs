using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Core.Identity;

/// <summary>A client assertion that passed: the caller records <see cref="ReplayKey"/> until <see cref="KeepUntil"/>.</summary>
public sealed record ClientAssertion(string ClientId, string TokenId, DateTimeOffset KeepUntil)
{
    /// <summary>Assertion ids are replay-checked per client.</summary>
    public string ReplayKey => "assertion:" + ClientId + ":" + TokenId;
}

/// <summary>Either a valid client assertion or the error to answer with (always <c>invalid_client</c>).</summary>
public sealed record ClientAssertionCheck(ClientAssertion? Assertion, OAuthError? Error)
{
    /// <summary>True when the assertion passed.</summary>
    public bool IsValid => Assertion is not null;

    internal static ClientAssertionCheck Invalid(string description) => new(null, new OAuthError(OAuthError.InvalidClient, description));
}

/// <summary>
/// <c>private_key_jwt</c> client authentication (RFC 7523 section 3, RFC 7521 section 4.2): a JWT signed with the
/// client's registered key, issued and about the client, for this server, short-lived, with a unique <c>jti</c>.
/// </summary>
public static class ClientAssertionValidator
{
    /// <summary>The only client assertion type accepted.</summary>
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>
    /// Reads the unverified <c>iss</c> of an assertion so the caller can look up the client's keys. Null (with the error)
    /// when the assertion is not a readable JWT or names no client.
    /// </summary>
    public static string? ReadClientId(string? assertion, IdentitySettings settings, out JsonWebToken? token, out OAuthError? error)
    {
        ArgumentNullException.ThrowIfNull(settings);
        error = null;
        token = Jose.TryRead(assertion, settings.MaxJwtLength, out var problem);
        if (token is null)
        {
            error = new OAuthError(OAuthError.InvalidClient, "The client assertion " + problem + ".");
            return null;
        }

        string? issuer;
        try
        {
            using var body = Jose.Payload(token);
            issuer = Jose.StringClaim(body, "iss");
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            error = new OAuthError(OAuthError.InvalidClient, "The client assertion's claims are not JSON.");
            return null;
        }

        if (string.IsNullOrEmpty(issuer))
        {
            error = new OAuthError(OAuthError.InvalidClient, "The client assertion has no iss.");
            return null;
        }

        return issuer;
    }

    /// <summary>
    /// Checks an assertion of <paramref name="clientId"/> against the client's current public keys and the audiences this
    /// server answers to (its issuer and its token endpoint).
    /// </summary>
    public static ClientAssertionCheck Validate(JsonWebToken token, string clientId, IReadOnlyList<JsonWebKey> clientKeys, IReadOnlyCollection<string> audiences, DateTimeOffset now, IdentitySettings settings)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(clientKeys);
        ArgumentNullException.ThrowIfNull(audiences);
        ArgumentNullException.ThrowIfNull(settings);

        using var header = Jose.Header(token);
        using var body = Jose.Payload(token);
        if (Jose.CriticalHeaderProblem(header) is { } critical)
        {
            return ClientAssertionCheck.Invalid("The client assertion " + critical + ".");
        }

        var alg = Jose.HeaderString(header, "alg");
        if (alg is null || !Jose.AsymmetricAlgorithms.Contains(alg))
        {
            return ClientAssertionCheck.Invalid("The client assertion's alg must be one of " + string.Join(", ", Jose.AsymmetricAlgorithms) + ".");
        }

        if (!string.Equals(Jose.StringClaim(body, "iss"), clientId, StringComparison.Ordinal) ||
            !string.Equals(Jose.StringClaim(body, "sub"), clientId, StringComparison.Ordinal))
        {
            return ClientAssertionCheck.Invalid("The client assertion's iss and sub must both be the client id.");
        }

        if (!token.Audiences.Any(a => audiences.Contains(a.TrimEnd('/'))))
        {
            return ClientAssertionCheck.Invalid("The client assertion's aud is not this server.");
        }

        var jti = Jose.StringClaim(body, "jti");
        if (string.IsNullOrEmpty(jti))
        {
            return ClientAssertionCheck.Invalid("The client assertion has no jti; Skybridge needs one to refuse replays.");
        }

        var exp = Jose.TimeClaim(body, "exp");
        if (exp is null)
        {
            return ClientAssertionCheck.Invalid("The client assertion has no exp.");
        }

        if (exp.Value + settings.ClockSkew < now)
        {
            return ClientAssertionCheck.Invalid("The client assertion has expired.");
        }

        if (exp.Value - now > settings.AssertionMaxLifetime + settings.ClockSkew)
        {
            return ClientAssertionCheck.Invalid($"The client assertion lives too long (at most {settings.AssertionMaxLifetime.TotalMinutes:0} minutes).");
        }

        if (Jose.TimeClaim(body, "nbf") is { } nbf && nbf > now + settings.ClockSkew)
        {
            return ClientAssertionCheck.Invalid("The client assertion is not valid yet.");
        }

        if (Jose.TimeClaim(body, "iat") is { } iat && iat > now + settings.ClockSkew)
        {
            return ClientAssertionCheck.Invalid("The client assertion was issued in the future.");
        }

        var kid = Jose.HeaderString(header, "kid");
        var candidates = kid is null ? clientKeys : clientKeys.Where(k => k.Kid == kid).ToList();
        if (!candidates.Any(k => Jose.VerifySignature(token, k, alg)))
        {
            return ClientAssertionCheck.Invalid("The client assertion's signature does not verify with the client's registered key.");
        }

        return new ClientAssertionCheck(new ClientAssertion(clientId, jti, exp.Value + settings.ClockSkew + settings.ClockSkew), null);
    }
}
