using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace HelpdeskBilling.Access;

/// <summary>Who called, as the access token says: recorded with every write.</summary>
/// <param name="Subject">The token's <c>sub</c>: the agent, or the person an agent acts for.</param>
/// <param name="Actor">The <c>act</c> chain (RFC 8693 section 4.1), current actor first, joined with " &lt;- "; null when none.</param>
/// <param name="ClientId">The token's <c>client_id</c>.</param>
/// <param name="TokenId">The token's <c>jti</c>.</param>
internal sealed record Caller(string Subject, string? Actor, string? ClientId, string TokenId);

/// <summary>Why a request was refused: the status, and the RFC 6750 / RFC 9449 error for <c>WWW-Authenticate</c>.</summary>
internal sealed record Refusal(int Status, string Error, string Description, string? Scope = null)
{
    /// <summary>The challenge (RFC 9449 section 7.1: the DPoP scheme, its <c>algs</c>, then the RFC 6750 section 3 fields).</summary>
    public string Challenge => "DPoP algs=\"ES256\", error=\"" + Error + "\", error_description=\"" + Description.Replace("\"", "'", StringComparison.Ordinal) + "\""
        + (Scope is null ? "" : ", scope=\"" + Scope + "\"");
}

/// <summary>
/// Lets in requests that carry a Skybridge access token (RFC 9068) for the endpoint's audience, with the endpoint's scope,
/// bound to the DPoP key that signed the request's proof (RFC 9449). Written against Microsoft.IdentityModel only, as any
/// third-party system of record would.
/// </summary>
internal sealed partial class TokenGate(SkybridgeKeys keys, ServiceUrls urls, HelpdeskBillingOptions options, TimeProvider time, ILogger<TokenGate> logger)
{
    private static readonly JsonWebTokenHandler Handler = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seenProofs = new(StringComparer.Ordinal);
    private int _sinceSweep;

    /// <summary>The caller, or why the request is refused. Nothing about the request has been acted on either way.</summary>
    public async Task<(Caller? Caller, Refusal? Refusal)> CheckAsync(HttpRequest request, string audience, string scope, CancellationToken cancellationToken)
    {
        var (caller, refusal) = await CheckCoreAsync(request, audience, scope, cancellationToken);
        if (refusal is not null)
        {
            // The reason only: never the token or the proof.
            Log.Refused(logger, request.Method, request.Path.Value ?? "", refusal.Error, refusal.Description);
        }

        return (caller, refusal);
    }

    private async Task<(Caller?, Refusal?)> CheckCoreAsync(HttpRequest request, string audience, string scope, CancellationToken cancellationToken)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count != 1 || authorization[0] is not { } header)
        {
            return (null, new Refusal(401, "invalid_token", "A DPoP-bound access token from Skybridge is required."));
        }

        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? header : header[..space];
        var token = space < 0 ? "" : header[(space + 1)..].Trim();
        if (!scheme.Equals("DPoP", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 9449 section 7.2: a DPoP-bound token presented as a bearer token is refused, proof or not.
            return (null, new Refusal(401, "invalid_token", "Only DPoP-bound tokens are accepted (Authorization: DPoP ...), not bearer tokens."));
        }

        var (claims, tokenError) = await ValidateTokenAsync(token, audience, cancellationToken);
        if (claims is null)
        {
            return (null, new Refusal(401, "invalid_token", tokenError!));
        }

        if (await CheckProofAsync(request, token, claims.Jkt) is { } proofError)
        {
            return (null, new Refusal(401, "invalid_dpop_proof", proofError));
        }

        // RFC 6750 section 3.1: a valid token without the scope the operation needs.
        if (!claims.Scopes.Contains(scope, StringComparer.Ordinal))
        {
            return (null, new Refusal(403, "insufficient_scope", $"This operation needs the scope {scope}.", scope));
        }

        return (new Caller(claims.Subject, claims.Actor, claims.ClientId, claims.TokenId), null);
    }

    private sealed record TokenClaims(string Subject, string? Actor, string? ClientId, string TokenId, string Jkt, string[] Scopes);

    private async Task<(TokenClaims?, string?)> ValidateTokenAsync(string token, string audience, CancellationToken cancellationToken)
    {
        if (token.Length == 0 || token.Length > 8192 || !Handler.CanReadToken(token))
        {
            return (null, "The access token is not a JWT.");
        }

        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return (null, "The access token is not a JWT.");
        }

        if (jwt.Kid is not { Length: > 0 } kid || await keys.FindAsync(kid, cancellationToken) is not { } key)
        {
            return (null, "The access token is not signed by a key Skybridge publishes.");
        }

        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = options.SkybridgeIssuer.TrimEnd('/'),
            ValidAudience = audience,
            IssuerSigningKey = key,
            TryAllIssuerSigningKeys = false,
            // RFC 9068 section 4: the typ is at+jwt (application/at+jwt is the same media type).
            ValidTypes = ["at+jwt", "application/at+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            // Lifetime is checked below against this service's clock (tests move it).
            ValidateLifetime = false,
        });
        if (!result.IsValid)
        {
            return (null, result.Exception switch
            {
                SecurityTokenInvalidAudienceException => "The access token is not for this service (aud).",
                SecurityTokenInvalidIssuerException => "The access token was not issued by Skybridge (iss).",
                SecurityTokenInvalidTypeException => "The token is not an access token (typ at+jwt).",
                SecurityTokenInvalidAlgorithmException => "The access token's algorithm is not ES256.",
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The access token's signature does not verify.",
                _ => "The access token is not valid.",
            });
        }

        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        var root = payload.RootElement;
        var now = time.GetUtcNow();
        if (!root.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number
            || DateTimeOffset.FromUnixTimeMilliseconds((long)(exp.GetDouble() * 1000)) + options.ClockSkew <= now)
        {
            return (null, "The access token has expired.");
        }

        if (root.TryGetProperty("nbf", out var nbf) && nbf.ValueKind == JsonValueKind.Number
            && DateTimeOffset.FromUnixTimeMilliseconds((long)(nbf.GetDouble() * 1000)) - options.ClockSkew > now)
        {
            return (null, "The access token is not valid yet.");
        }

        var subject = Text(root, "sub");
        var tokenId = Text(root, "jti");
        var jkt = root.TryGetProperty("cnf", out var cnf) && cnf.ValueKind == JsonValueKind.Object ? Text(cnf, "jkt") : null;
        if (subject is null || tokenId is null)
        {
            return (null, "The access token lacks sub or jti.");
        }

        if (jkt is null)
        {
            return (null, "The access token is not bound to a DPoP key (cnf.jkt); only DPoP-bound tokens are accepted.");
        }

        var scopes = (Text(root, "scope") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var actor = root.TryGetProperty("act", out var act) ? ActorChain(act) : null;
        return (new TokenClaims(subject, actor, Text(root, "client_id"), tokenId, jkt, scopes), null);
    }

    /// <summary>RFC 8693 section 4.1: the outermost <c>act</c> is the current actor, nested ones acted before it.</summary>
    private static string? ActorChain(JsonElement act)
    {
        var chain = new List<string>();
        for (var node = act; node.ValueKind == JsonValueKind.Object && chain.Count < 10; node = node.TryGetProperty("act", out var inner) ? inner : default)
        {
            chain.Add(Text(node, "sub") ?? "?");
        }

        return chain.Count == 0 ? null : string.Join(" <- ", chain);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    /// <summary>
    /// RFC 9449 section 4.3, as a resource server: one proof, typ dpop+jwt, ES256 signed by its own public jwk, whose
    /// thumbprint (RFC 7638) is the token's cnf.jkt; htm and htu of this request; a recent iat; ath the token's hash;
    /// a jti not seen before within the proof lifetime. Null when it holds.
    /// </summary>
    private async Task<string?> CheckProofAsync(HttpRequest request, string token, string jkt)
    {
        var headers = request.Headers["DPoP"];
        if (headers.Count != 1 || headers[0] is not { Length: > 0 and < 4096 } proof || !Handler.CanReadToken(proof))
        {
            return "Exactly one DPoP proof is required with a DPoP-bound token.";
        }

        JsonWebKey jwk;
        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(proof);
            using var header = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedHeader));
            if (!header.RootElement.TryGetProperty("jwk", out var key) || key.ValueKind != JsonValueKind.Object)
            {
                return "The DPoP proof has no jwk.";
            }

            jwk = new JsonWebKey(key.GetRawText());
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException or JsonException or FormatException)
        {
            return "The DPoP proof is malformed.";
        }

        if (jwk.HasPrivateKey || jwk.Kty != JsonWebAlgorithmsKeyTypes.EllipticCurve || jwk.Crv != JsonWebKeyECTypes.P256)
        {
            return "The DPoP proof's jwk must be a public P-256 key.";
        }

        var signed = await Handler.ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = jwk,
            TryAllIssuerSigningKeys = true,
            ValidTypes = ["dpop+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = false,
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
        });
        if (!signed.IsValid)
        {
            return "The DPoP proof is not a dpop+jwt signed (ES256) by its jwk.";
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint())), Encoding.ASCII.GetBytes(jkt)))
        {
            return "The DPoP proof is signed by another key than the one the token is bound to (cnf.jkt).";
        }

        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        var root = payload.RootElement;
        if (Text(root, "htm") != request.Method)
        {
            return "The DPoP proof's htm is not this request's method.";
        }

        if (Text(root, "htu") is not { } htu || !Uri.TryCreate(htu, UriKind.Absolute, out var proofUri)
            || Uri.Compare(proofUri, urls.RequestUri(request), UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.SafeUnescaped, StringComparison.Ordinal) != 0)
        {
            return "The DPoP proof's htu is not this request's URL.";
        }

        var now = time.GetUtcNow();
        if (!root.TryGetProperty("iat", out var iatValue) || iatValue.ValueKind != JsonValueKind.Number)
        {
            return "The DPoP proof has no iat.";
        }

        var iat = DateTimeOffset.FromUnixTimeMilliseconds((long)(iatValue.GetDouble() * 1000));
        if (iat > now + options.ClockSkew || iat < now - options.ProofLifetime - options.ClockSkew)
        {
            return "The DPoP proof's iat is too far from now.";
        }

        var ath = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
        if (Text(root, "ath") != ath)
        {
            return "The DPoP proof's ath is not the hash of this access token.";
        }

        if (Text(root, "jti") is not { Length: <= 256 } jti)
        {
            return "The DPoP proof has no jti.";
        }

        // RFC 9449 section 11.1: a proof is used once. It is remembered for as long as its iat would be accepted.
        Sweep(now);
        if (!_seenProofs.TryAdd(jkt + " " + jti, now + options.ProofLifetime + options.ClockSkew * 2))
        {
            return "The DPoP proof was used before.";
        }

        return null;
    }

    private void Sweep(DateTimeOffset now)
    {
        if (Interlocked.Increment(ref _sinceSweep) % 1000 != 0)
        {
            return;
        }

        foreach (var (key, until) in _seenProofs)
        {
            if (until < now)
            {
                _seenProofs.TryRemove(key, out _);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Refused {Method} {Path}: {Error} ({Description})")]
        public static partial void Refused(ILogger logger, string method, string path, string error, string description);
    }
}
