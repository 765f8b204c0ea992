using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Core.Identity;

/// <summary>
/// Shared JOSE steps for every JWT the token service reads: bounded parsing, the header as JSON, and signature
/// checks through Microsoft.IdentityModel's crypto providers (RFC 7515). Nothing here trusts a header before
/// the caller has decided which algorithms and keys are acceptable.
/// </summary>
public static class Jose
{
    /// <summary>Asymmetric algorithms accepted for DPoP proofs and client assertions (never <c>none</c>, never HMAC).</summary>
    public static readonly IReadOnlyList<string> AsymmetricAlgorithms = ["ES256", "ES384", "ES512", "PS256", "RS256"];

    /// <summary>The algorithm access tokens are signed with.</summary>
    public const string AccessTokenAlgorithm = "ES256";

    /// <summary>
    /// Parses a compact JWS. Null (with <paramref name="problem"/>) for anything that is not three base64url parts
    /// with JSON header and payload, or is longer than <paramref name="maxLength"/>.
    /// </summary>
    public static JsonWebToken? TryRead(string? compact, int maxLength, out string? problem)
    {
        if (!IsCompactShape(compact, maxLength, out problem))
        {
            return null;
        }

        try
        {
            return new JsonWebToken(compact);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException or JsonException or FormatException)
        {
            problem = "is not a well-formed JWT";
            return null;
        }
    }

    /// <summary>
    /// The checks every compact JWS gets before it is decoded, with the same words wherever it is read: not empty, at most
    /// <paramref name="maxLength"/> characters, three parts.
    /// </summary>
    internal static bool IsCompactShape([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? compact, int maxLength, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(compact))
        {
            problem = "is empty";
            return false;
        }

        if (compact.Length > maxLength)
        {
            problem = $"is longer than {maxLength} characters";
            return false;
        }

        if (compact.AsSpan().Count('.') != 2)
        {
            problem = "is not a signed JWT in compact form";
            return false;
        }

        return true;
    }

    /// <summary>The decoded header as JSON.</summary>
    public static JsonDocument Header(JsonWebToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedHeader));
    }

    // Importing a public key into the crypto library costs twice as much as verifying with it, and agents sign with the
    // same few keys over and over: verifiers for JWKs are kept by thumbprint and algorithm, within a bound.
    private const int MaxCachedVerifiers = 10_000;
    private static readonly ConcurrentDictionary<string, SignatureProvider> Verifiers = new(StringComparer.Ordinal);
    private static readonly CryptoProviderFactory Uncached = new() { CacheSignatureProviders = false };

    /// <summary>True when the JWS signature verifies with <paramref name="key"/> under <paramref name="algorithm"/>.</summary>
    public static bool VerifySignature(JsonWebToken token, SecurityKey key, string algorithm)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(key);
        if (!Uncached.IsSupportedAlgorithm(algorithm, key))
        {
            return false;
        }

        byte[] signature;
        try
        {
            signature = Base64UrlEncoder.DecodeBytes(token.EncodedSignature);
        }
        catch (FormatException)
        {
            return false;
        }

        try
        {
            var provider = key is JsonWebKey jwk ? CachedVerifier(jwk, algorithm) : null;
            var owned = provider is null;
            provider ??= Uncached.CreateForVerifying(key, algorithm);
            try
            {
                var signed = Encoding.ASCII.GetBytes(token.EncodedHeader + "." + token.EncodedPayload);
                return provider.Verify(signed, signature);
            }
            finally
            {
                if (owned)
                {
                    provider.Dispose();
                }
            }
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or NotSupportedException or InvalidOperationException)
        {
            return false;
        }
    }

    private static SignatureProvider CachedVerifier(JsonWebKey key, string algorithm)
    {
        var id = Thumbprint(key) + " " + algorithm;
        if (Verifiers.TryGetValue(id, out var provider))
        {
            return provider;
        }

        if (Verifiers.Count >= MaxCachedVerifiers)
        {
            // Dropped, not disposed: a request may still be using one; the collector reclaims them.
            Verifiers.Clear();
        }

        return Verifiers.GetOrAdd(id, _ => Uncached.CreateForVerifying(key, algorithm));
    }

    /// <summary>RFC 7638 thumbprint (SHA-256, base64url) of a public JWK.</summary>
    public static string Thumbprint(JsonWebKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
    }

    /// <summary>base64url(SHA-256(ASCII(text))): the DPoP <c>ath</c> of an access token (RFC 9449 section 4.2).</summary>
    public static string AccessTokenHash(string accessToken)
    {
        ArgumentNullException.ThrowIfNull(accessToken);
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
    }

    /// <summary>
    /// True when <paramref name="ath"/> is exactly <see cref="AccessTokenHash"/> of <paramref name="accessToken"/>,
    /// computed without allocating: a DPoP proof's <c>ath</c> is checked on every agent request.
    /// </summary>
    public static bool IsAccessTokenHash(string ath, string accessToken)
    {
        ArgumentNullException.ThrowIfNull(ath);
        ArgumentNullException.ThrowIfNull(accessToken);
        const int HashChars = 43; // base64url of 32 bytes, no padding
        if (ath.Length != HashChars)
        {
            return false;
        }

        var rented = accessToken.Length > 2048 ? System.Buffers.ArrayPool<byte>.Shared.Rent(accessToken.Length) : null;
        try
        {
            var ascii = rented ?? stackalloc byte[accessToken.Length];
            var length = Encoding.ASCII.GetBytes(accessToken, ascii);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(ascii[..length], hash);
            Span<char> encoded = stackalloc char[HashChars];
            return System.Buffers.Text.Base64Url.EncodeToChars(hash, encoded) == HashChars && encoded.SequenceEqual(ath);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    /// <summary>
    /// Reads a public JWK from JSON. Null with a reason for private keys (any private member), symmetric keys,
    /// curves or key types that are not accepted, and RSA keys under 2048 bits.
    /// </summary>
    public static JsonWebKey? TryReadPublicKey(JsonElement jwk, out string? problem)
    {
        problem = null;
        if (jwk.ValueKind != JsonValueKind.Object)
        {
            problem = "the jwk is not a JSON object";
            return null;
        }

        foreach (var member in PrivateMembers)
        {
            if (jwk.TryGetProperty(member, out _))
            {
                problem = "the jwk holds private key material";
                return null;
            }
        }

        JsonWebKey key;
        try
        {
            key = new JsonWebKey(jwk.GetRawText());
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException or InvalidOperationException)
        {
            problem = "the jwk is not a valid JSON Web Key";
            return null;
        }

        // Every member is decoded here, once: a malformed one is a refused key, never an exception further on.
        switch (key.Kty)
        {
            case JsonWebAlgorithmsKeyTypes.EllipticCurve:
                var size = key.Crv switch { "P-256" => 32, "P-384" => 48, "P-521" => 66, _ => 0 };
                if (size == 0)
                {
                    problem = "the jwk is not an EC key on P-256, P-384 or P-521";
                    return null;
                }

                if (DecodeMember(key.X)?.Length != size || DecodeMember(key.Y)?.Length != size)
                {
                    problem = $"the jwk's x and y must be {size} bytes of base64url each for {key.Crv}";
                    return null;
                }

                return key;
            case JsonWebAlgorithmsKeyTypes.RSA:
                var modulus = DecodeMember(key.N);
                var exponent = DecodeMember(key.E);
                if (modulus is null || exponent is null || exponent.Length > 8)
                {
                    problem = "the jwk's n and e must be base64url";
                    return null;
                }

                if (modulus.Length * 8 < 2048)
                {
                    problem = "RSA keys need at least 2048 bits";
                    return null;
                }

                return key;
            default:
                problem = "the jwk is not an EC (P-256, P-384, P-521) or RSA public key";
                return null;
        }
    }

    /// <summary>A JWK member as bytes (RFC 7518 section 6: base64url, no padding), or null when absent, empty or malformed.</summary>
    private static byte[]? DecodeMember(string? value)
    {
        if (string.IsNullOrEmpty(value) || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return null;
        }

        try
        {
            return Base64UrlEncoder.DecodeBytes(value);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// RFC 7515 section 4.1.11: a JWS whose <c>crit</c> header names extensions the recipient does not understand must be
    /// rejected. Skybridge understands none, so any <c>crit</c> is refused. Null when there is none.
    /// </summary>
    public static string? CriticalHeaderProblem(JsonDocument header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return header.RootElement.TryGetProperty("crit", out _) ? "names critical header extensions (crit) this server does not understand" : null;
    }

    /// <summary>A string header parameter, or null.</summary>
    public static string? HeaderString(JsonDocument header, string name)
    {
        ArgumentNullException.ThrowIfNull(header);
        return header.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>The decoded claims set as JSON.</summary>
    public static JsonDocument Payload(JsonWebToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.EncodedPayload));
    }

    /// <summary>A string claim, or null when absent or not a string.</summary>
    public static string? StringClaim(JsonDocument payload, string name)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return payload.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>A NumericDate claim (seconds since the epoch), or null when absent or not a number.</summary>
    public static DateTimeOffset? TimeClaim(JsonDocument payload, string name)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (!payload.RootElement.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds))
        {
            return null;
        }

        return seconds is < 0 or > 253402300799 ? null : DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
    }
}
