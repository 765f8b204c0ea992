using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Core.Identity;

/// <summary>
/// One link of the actor chain (RFC 8693 section 4.1): who acts, and, nested, who acted before them.
/// The outermost <c>act</c> is the current actor.
/// </summary>
public sealed record ActorClaim(string Subject, ActorClaim? Actor = null)
{
    /// <summary>How many actors the chain holds, this one included.</summary>
    public int Depth => 1 + (Actor?.Depth ?? 0);

    /// <summary>The actors, current first.</summary>
    public IEnumerable<string> Chain()
    {
        for (var a = this; a is not null; a = a.Actor)
        {
            yield return a.Subject;
        }
    }
}

/// <summary>The claims of a Skybridge access token (RFC 9068 profile, bound with DPoP).</summary>
public sealed record AccessTokenClaims
{
    /// <summary>The issuer, the server's public URL.</summary>
    public required string Issuer { get; init; }

    /// <summary>Whom the token is about: the agent's client id, or <c>user:NAME</c>; kept through delegation.</summary>
    public required string Subject { get; init; }

    /// <summary>The resources the token is for (RFC 8707); one in practice.</summary>
    public required IReadOnlyList<string> Audiences { get; init; }

    /// <summary>The client the token was issued to: the current actor.</summary>
    public required string ClientId { get; init; }

    /// <summary>What the token allows.</summary>
    public required ScopeSet Scope { get; init; }

    /// <summary>Issued at.</summary>
    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>Expires at.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Unique token id (<c>jti</c>), used for revocation.</summary>
    public required string TokenId { get; init; }

    /// <summary>RFC 7638 thumbprint of the key the token is bound to (<c>cnf.jkt</c>).</summary>
    public required string KeyThumbprint { get; init; }

    /// <summary>The workflow an agent's token is for; null for people's tokens.</summary>
    public string? Workflow { get; init; }

    /// <summary>The agent's role in the workflow; null for people.</summary>
    public string? Role { get; init; }

    /// <summary>The actor chain of a delegated token, or null.</summary>
    public ActorClaim? Actor { get; init; }

    /// <summary>
    /// The ids of the tokens a delegated token was exchanged from, nearest first (the subject token, its own subject
    /// token, ...): revoking any of them ends this one too. Empty for a token issued directly.
    /// </summary>
    public IReadOnlyList<string> DerivedFrom { get; init; } = [];

    /// <summary>How many actors the token carries.</summary>
    public int DelegationDepth => Actor?.Depth ?? 0;

    /// <summary>Whom the token is about, as a <see cref="Access.Subject"/>: a person or an agent.</summary>
    public Access.Subject SubjectOf => Access.Subject.OfToken(Subject);

    /// <summary>A person's own token (the CLI after <c>skybridge login</c>): a person subject, no actor, no agent role.</summary>
    public bool IsPersonToken => SubjectOf.IsPerson && Actor is null && Role is null;
}

/// <summary>Either valid claims or the error to answer with.</summary>
public sealed record AccessTokenCheck(AccessTokenClaims? Claims, OAuthError? Error)
{
    /// <summary>True when the token passed.</summary>
    public bool IsValid => Claims is not null;

    internal static AccessTokenCheck Invalid(string description) => new(null, new OAuthError(OAuthError.InvalidToken, description));
}

/// <summary>Writes and reads access tokens: JWTs with <c>typ: at+jwt</c>, signed ES256 (RFC 9068, RFC 7519).</summary>
public static class AccessTokens
{
    /// <summary>The media type of access tokens (RFC 9068 section 2.1).</summary>
    public const string TokenType = "at+jwt";

    /// <summary>Skybridge's private claim listing the token ids a delegated token was exchanged from (<see cref="AccessTokenClaims.DerivedFrom"/>).</summary>
    public const string DerivedFromClaim = "derived_from";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>Signs <paramref name="claims"/> with <paramref name="signingKey"/> (ES256, its key id in <c>kid</c>).</summary>
    public static string Create(AccessTokenClaims claims, SecurityKey signingKey)
    {
        ArgumentNullException.ThrowIfNull(claims);
        ArgumentNullException.ThrowIfNull(signingKey);
        var payload = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(payload))
        {
            w.WriteStartObject();
            w.WriteString("iss", claims.Issuer);
            w.WriteString("sub", claims.Subject);
            if (claims.Audiences.Count == 1)
            {
                w.WriteString("aud", claims.Audiences[0]);
            }
            else
            {
                w.WriteStartArray("aud");
                foreach (var aud in claims.Audiences)
                {
                    w.WriteStringValue(aud);
                }

                w.WriteEndArray();
            }

            // Milliseconds (RFC 7519 NumericDate may be fractional): a disable or a halt voids the tokens issued before
            // it, and a token issued right after a re-enable within the same second must not look older than that.
            w.WriteNumber("iat", claims.IssuedAt.ToUnixTimeMilliseconds() / 1000m);
            w.WriteNumber("nbf", claims.IssuedAt.ToUnixTimeSeconds());
            w.WriteNumber("exp", claims.ExpiresAt.ToUnixTimeSeconds());
            w.WriteString("jti", claims.TokenId);
            w.WriteString("client_id", claims.ClientId);
            w.WriteString("scope", claims.Scope.ToString());
            w.WriteStartObject("cnf");
            w.WriteString("jkt", claims.KeyThumbprint);
            w.WriteEndObject();
            if (claims.Workflow is not null)
            {
                w.WriteString("workflow", claims.Workflow);
            }

            if (claims.Role is not null)
            {
                w.WriteString("role", claims.Role);
            }

            if (claims.Actor is not null)
            {
                w.WritePropertyName("act");
                WriteActor(w, claims.Actor);
            }

            if (claims.DerivedFrom.Count > 0)
            {
                w.WriteStartArray(DerivedFromClaim);
                foreach (var id in claims.DerivedFrom)
                {
                    w.WriteStringValue(id);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        var credentials = new SigningCredentials(signingKey, SecurityAlgorithms.EcdsaSha256);
        return Handler.CreateToken(Encoding.UTF8.GetString(payload.WrittenSpan), credentials, new Dictionary<string, object> { ["typ"] = TokenType });
    }

    private static void WriteActor(Utf8JsonWriter w, ActorClaim actor)
    {
        w.WriteStartObject();
        w.WriteString("sub", actor.Subject);
        if (actor.Actor is not null)
        {
            w.WritePropertyName("act");
            WriteActor(w, actor.Actor);
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// Validates a token this server issued: type, algorithm, signature by a known key, issuer, lifetime (with skew),
    /// and, when given, the audience. Revocation, halts and disabled agents are the caller's (they are state).
    /// </summary>
    public static AccessTokenCheck Validate(string? token, Func<string, SecurityKey?> resolveKey, string issuer, string? audience, DateTimeOffset now, IdentitySettings settings)
    {
        ArgumentNullException.ThrowIfNull(resolveKey);
        ArgumentNullException.ThrowIfNull(settings);
        var jwt = Jose.TryRead(token, settings.MaxJwtLength, out var problem);
        if (jwt is null)
        {
            return AccessTokenCheck.Invalid("The access token " + problem + ".");
        }

        using var header = Jose.Header(jwt);
        using var body = Jose.Payload(jwt);
        if (!string.Equals(Jose.HeaderString(header, "typ"), TokenType, StringComparison.OrdinalIgnoreCase) &&
            !string.Equals(Jose.HeaderString(header, "typ"), "application/" + TokenType, StringComparison.OrdinalIgnoreCase))
        {
            return AccessTokenCheck.Invalid("The token is not an access token (typ at+jwt).");
        }

        // RFC 7515 section 4.1.11: this server never sets crit, and understands no extension a forger might name.
        if (Jose.CriticalHeaderProblem(header) is { } critical)
        {
            return AccessTokenCheck.Invalid("The access token " + critical + ".");
        }

        // Only the algorithm this server signs with: "none" and HMAC with a public key as secret never get near a key.
        if (!string.Equals(Jose.HeaderString(header, "alg"), Jose.AccessTokenAlgorithm, StringComparison.Ordinal))
        {
            return AccessTokenCheck.Invalid("The access token's alg must be " + Jose.AccessTokenAlgorithm + ".");
        }

        var kid = Jose.HeaderString(header, "kid");
        var key = kid is null ? null : resolveKey(kid);
        if (key is null)
        {
            return AccessTokenCheck.Invalid("The access token is signed with a key this server does not know.");
        }

        if (!Jose.VerifySignature(jwt, key, Jose.AccessTokenAlgorithm))
        {
            return AccessTokenCheck.Invalid("The access token's signature does not verify.");
        }

        if (!string.Equals(Jose.StringClaim(body, "iss"), issuer, StringComparison.Ordinal))
        {
            return AccessTokenCheck.Invalid("The access token was issued by another server.");
        }

        var exp = Jose.TimeClaim(body, "exp");
        var iat = Jose.TimeClaim(body, "iat");
        if (exp is null || iat is null)
        {
            return AccessTokenCheck.Invalid("The access token lacks exp or iat.");
        }

        if (exp.Value + settings.ClockSkew <= now)
        {
            return AccessTokenCheck.Invalid("The access token has expired.");
        }

        if ((Jose.TimeClaim(body, "nbf") ?? iat.Value) > now + settings.ClockSkew)
        {
            return AccessTokenCheck.Invalid("The access token is not valid yet.");
        }

        var audiences = jwt.Audiences.ToList();
        if (audience is not null && !audiences.Contains(audience, StringComparer.Ordinal))
        {
            return AccessTokenCheck.Invalid("The access token is for another audience.");
        }

        var subject = Jose.StringClaim(body, "sub");
        var clientId = Jose.StringClaim(body, "client_id");
        var jti = Jose.StringClaim(body, "jti");
        string? jkt = null;
        if (body.RootElement.TryGetProperty("cnf", out var cnf) && cnf.ValueKind == JsonValueKind.Object &&
            cnf.TryGetProperty("jkt", out var jktElement) && jktElement.ValueKind == JsonValueKind.String)
        {
            jkt = jktElement.GetString();
        }

        if (subject is null || clientId is null || jti is null || jkt is null || !ScopeSet.TryParse(Jose.StringClaim(body, "scope"), out var scope))
        {
            return AccessTokenCheck.Invalid("The access token lacks sub, client_id, jti, scope or cnf.jkt.");
        }

        ActorClaim? actor = null;
        if (body.RootElement.TryGetProperty("act", out var act) && (actor = ReadActor(act, 0)) is null)
        {
            return AccessTokenCheck.Invalid("The access token's act claim is malformed.");
        }

        var derivedFrom = new List<string>();
        if (body.RootElement.TryGetProperty(DerivedFromClaim, out var derived))
        {
            if (derived.ValueKind != JsonValueKind.Array || derived.GetArrayLength() > 32 || derived.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.String))
            {
                return AccessTokenCheck.Invalid("The access token's derived_from claim is malformed.");
            }

            derivedFrom.AddRange(derived.EnumerateArray().Select(d => d.GetString()!));
        }

        return new AccessTokenCheck(new AccessTokenClaims
        {
            Issuer = issuer,
            Subject = subject,
            Audiences = audiences,
            ClientId = clientId,
            Scope = scope,
            IssuedAt = iat.Value,
            ExpiresAt = exp.Value,
            TokenId = jti,
            KeyThumbprint = jkt,
            Workflow = Jose.StringClaim(body, "workflow"),
            Role = Jose.StringClaim(body, "role"),
            Actor = actor,
            DerivedFrom = derivedFrom,
        }, null);
    }

    private static ActorClaim? ReadActor(JsonElement act, int depth)
    {
        if (depth > 16 || act.ValueKind != JsonValueKind.Object || !act.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        ActorClaim? inner = null;
        if (act.TryGetProperty("act", out var nested) && (inner = ReadActor(nested, depth + 1)) is null)
        {
            return null;
        }

        return new ActorClaim(sub.GetString()!, inner);
    }
}
