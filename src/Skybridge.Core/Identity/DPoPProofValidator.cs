using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Core.Identity;

/// <summary>What the server expects of one DPoP proof.</summary>
public sealed record DPoPProofExpectation
{
    /// <summary>The request's HTTP method.</summary>
    public required string Method { get; init; }

    /// <summary>The request's URI as the client sees it (the server's public URL and the path); query and fragment are ignored.</summary>
    public required Uri Uri { get; init; }

    /// <summary>Decides whether the proof's <c>nonce</c> (null when absent) is current; null when the server asks for no nonce.</summary>
    public Func<string?, bool>? NonceIsCurrent { get; init; }

    /// <summary>The access token presented with the proof, for <c>ath</c> (RFC 9449 section 7); null at the token endpoint.</summary>
    public string? AccessToken { get; init; }

    /// <summary>The key the access token is bound to (<c>cnf.jkt</c>), checked against the proof's key; null at the token endpoint.</summary>
    public string? BoundKeyThumbprint { get; init; }
}

/// <summary>A proof that passed every check but replay: the caller records <see cref="TokenId"/> until <see cref="KeepUntil"/>.</summary>
/// <param name="KeyThumbprint">RFC 7638 thumbprint of the proof's public key: what a token gets bound to (<c>cnf.jkt</c>).</param>
/// <param name="TokenId">The proof's <c>jti</c>.</param>
/// <param name="KeepUntil">The last moment this proof could still be accepted: iat + lifetime + skew (plus skew for the other server's clock).</param>
public sealed record DPoPProof(string KeyThumbprint, string TokenId, DateTimeOffset KeepUntil)
{
    /// <summary>The replay-cache key: (key thumbprint, jti), so one client cannot block another's ids.</summary>
    public string ReplayKey => "dpop:" + KeyThumbprint + ":" + TokenId;
}

/// <summary>Either a valid proof or the error to answer with.</summary>
public sealed record DPoPProofCheck(DPoPProof? Proof, OAuthError? Error)
{
    /// <summary>True when the proof passed.</summary>
    public bool IsValid => Proof is not null;

    internal static DPoPProofCheck Invalid(string description) => new(null, new OAuthError(OAuthError.InvalidDPoPProof, description));
}

/// <summary>
/// Checks a DPoP proof JWT exactly as RFC 9449 section 4.3 lists, in its order. Replay (step 12, "jti not seen
/// before") is left to the caller's shared replay guard, using <see cref="DPoPProof.ReplayKey"/> and <see cref="DPoPProof.KeepUntil"/>.
/// </summary>
public static class DPoPProofValidator
{
    /// <summary>The proof's media type (RFC 9449 section 4.2).</summary>
    public const string ProofType = "dpop+jwt";

    /// <summary>Validates <paramref name="proof"/> (the single <c>DPoP</c> header value) against what the request expects.</summary>
    public static DPoPProofCheck Validate(string? proof, DPoPProofExpectation expected, DateTimeOffset now, IdentitySettings settings)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(settings);

        // 2. A well-formed JWT.
        using var jws = CompactJws.TryRead(proof, settings.MaxJwtLength, out var problem);
        if (jws is null)
        {
            return DPoPProofCheck.Invalid("The DPoP proof " + problem + ".");
        }

        var header = jws.Header;
        var body = jws.Payload;
        var typ = Jose.HeaderString(header, "typ");
        var alg = Jose.HeaderString(header, "alg");
        var hasJwk = header.RootElement.TryGetProperty("jwk", out var jwkElement);
        var jti = Jose.StringClaim(body, "jti");
        var htm = Jose.StringClaim(body, "htm");
        var htu = Jose.StringClaim(body, "htu");
        var iat = Jose.TimeClaim(body, "iat");

        // 2 (RFC 7515 section 4.1.11). No critical extension this server cannot honour.
        if (Jose.CriticalHeaderProblem(header) is { } critical)
        {
            return DPoPProofCheck.Invalid("The DPoP proof " + critical + ".");
        }

        // 3. Every required header parameter and claim is present.
        // (The list is built only for a proof that lacks something: not on every request.)
        if (typ is null || alg is null || !hasJwk || string.IsNullOrEmpty(jti) || htm is null || htu is null || iat is null)
        {
            var missing = new List<string>();
            if (typ is null) missing.Add("typ");
            if (alg is null) missing.Add("alg");
            if (!hasJwk) missing.Add("jwk");
            if (string.IsNullOrEmpty(jti)) missing.Add("jti");
            if (htm is null) missing.Add("htm");
            if (htu is null) missing.Add("htu");
            if (iat is null) missing.Add("iat");
            return DPoPProofCheck.Invalid("The DPoP proof lacks " + string.Join(", ", missing) + ".");
        }

        // 4. typ is dpop+jwt.
        if (!string.Equals(typ, ProofType, StringComparison.OrdinalIgnoreCase))
        {
            return DPoPProofCheck.Invalid("The DPoP proof's typ must be dpop+jwt.");
        }

        // 5. An asymmetric algorithm this server supports; never none, never a MAC.
        if (!Jose.AsymmetricAlgorithms.Contains(alg!))
        {
            return DPoPProofCheck.Invalid("The DPoP proof's alg must be one of " + string.Join(", ", Jose.AsymmetricAlgorithms) + ".");
        }

        // 7 (checked before use in 6). The jwk is a public key only.
        var key = ProofKeyCache.Shared.Read(jwkElement, out problem);
        if (key is null)
        {
            return DPoPProofCheck.Invalid("The DPoP proof's jwk is refused: " + problem + ".");
        }

        // 6. The signature verifies with the jwk.
        if (key.Verifier(alg!) is not { } verifier || !jws.Verify(verifier))
        {
            return DPoPProofCheck.Invalid("The DPoP proof's signature does not verify with its jwk.");
        }

        // 8. htm matches the request's method.
        if (!string.Equals(htm, expected.Method, StringComparison.Ordinal))
        {
            return DPoPProofCheck.Invalid($"The DPoP proof's htm does not match the request method {expected.Method}.");
        }

        // 9. htu matches the request's URI, ignoring query and fragment (RFC 3986 syntax-based normalisation).
        if (!Uri.TryCreate(htu, UriKind.Absolute, out var proofUri) || !SameTarget(proofUri, expected.Uri))
        {
            return DPoPProofCheck.Invalid("The DPoP proof's htu does not match the request URI.");
        }

        // A request URI never carries user information (RFC 9110 section 4.2.4 deprecates it in http(s) URIs), so an
        // htu with some does not name this request, whatever its host and path.
        if (proofUri.UserInfo.Length > 0)
        {
            return DPoPProofCheck.Invalid("The DPoP proof's htu must not contain user information.");
        }

        // 10. The server's nonce, when it asks for one.
        if (expected.NonceIsCurrent is { } nonceIsCurrent && !nonceIsCurrent(Jose.StringClaim(body, "nonce")))
        {
            return new DPoPProofCheck(null, new OAuthError(OAuthError.UseDPoPNonce, "Authorization server requires nonce in DPoP proof."));
        }

        // 11. iat within the accepted window.
        if (iat!.Value > now + settings.ClockSkew)
        {
            return DPoPProofCheck.Invalid("The DPoP proof was issued in the future.");
        }

        if (iat.Value + settings.ProofLifetime + settings.ClockSkew < now)
        {
            return DPoPProofCheck.Invalid("The DPoP proof is too old.");
        }

        var thumbprint = key.Thumbprint;

        // 12. With an access token: ath matches, and the proof's key is the one the token is bound to.
        if (expected.AccessToken is not null)
        {
            var ath = Jose.StringClaim(body, "ath");
            if (ath is null || !Jose.IsAccessTokenHash(ath, expected.AccessToken))
            {
                return DPoPProofCheck.Invalid("The DPoP proof's ath does not match the access token.");
            }

            if (!string.Equals(thumbprint, expected.BoundKeyThumbprint, StringComparison.Ordinal))
            {
                return DPoPProofCheck.Invalid("The DPoP proof is signed with another key than the one the access token is bound to.");
            }
        }

        // Remember the jti as long as any server could still accept the proof: its window plus skew on both ends.
        var keepUntil = iat.Value + settings.ProofLifetime + settings.ClockSkew + settings.ClockSkew;
        return new DPoPProofCheck(new DPoPProof(thumbprint, jti!, keepUntil), null);
    }

    /// <summary>Scheme, host, port and path equal after normalisation; query and fragment ignored (RFC 9449 section 4.3).</summary>
    public static bool SameTarget(Uri a, Uri b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        const UriComponents parts = UriComponents.Scheme | UriComponents.Host | UriComponents.StrongPort | UriComponents.Path;
        return Uri.Compare(a, b, parts, UriFormat.Unescaped, StringComparison.Ordinal) == 0;
    }

    /// <summary>A thumbprint of a JWK given as JSON, for callers holding the key as text.</summary>
    public static string? ThumbprintOf(string publicJwkJson)
    {
        using var doc = JsonDocument.Parse(publicJwkJson);
        var key = Jose.TryReadPublicKey(doc.RootElement, out _);
        return key is null ? null : Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
    }
}
