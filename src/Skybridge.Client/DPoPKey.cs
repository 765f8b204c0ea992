using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Skybridge.Client;

/// <summary>
/// The key an agent's tokens are bound to (RFC 9449), and the proofs it signs. By default each client makes a fresh
/// EC P-256 key that never leaves its memory: a token stolen from logs or traffic is useless without it.
/// </summary>
public sealed class DPoPKey : IDisposable
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ECDsa _key;
    private readonly SigningCredentials _credentials;
    private readonly Dictionary<string, object> _jwk;

    private DPoPKey(ECDsa key)
    {
        _key = key;
        // Providers are not shared through the library's process-wide cache: that cache is keyed by key material, and
        // would hand a later DPoPKey with the same material a provider holding this instance's (then disposed) key.
        _credentials = new SigningCredentials(new ECDsaSecurityKey(key), SecurityAlgorithms.EcdsaSha256)
        {
            CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
        };
        var p = key.ExportParameters(includePrivateParameters: false);
        _jwk = new Dictionary<string, object> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
        Thumbprint = ThumbprintOf(key);
    }

    /// <summary>A new, random key.</summary>
    public static DPoPKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// The key with its private part, as a JWK, for a session that must outlive the process (the CLI's session file,
    /// written with owner-only permissions). An agent process has no reason to call this.
    /// </summary>
    public Dictionary<string, string> ExportPrivateJwk()
    {
        var p = _key.ExportParameters(includePrivateParameters: true);
        return new Dictionary<string, string>
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y), ["d"] = Base64UrlEncoder.Encode(p.D),
        };
    }

    /// <summary>A key from <see cref="ExportPrivateJwk"/>'s members.</summary>
    public static DPoPKey Import(IReadOnlyDictionary<string, string> jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        return new(ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(jwk["x"]), Y = Base64UrlEncoder.DecodeBytes(jwk["y"]) },
            D = Base64UrlEncoder.DecodeBytes(jwk["d"]),
        }));
    }

    /// <summary>RFC 7638 thumbprint: what the server puts in the token's <c>cnf.jkt</c>.</summary>
    public string Thumbprint { get; }

    /// <summary>
    /// A proof for one request (RFC 9449 section 4.2): <c>htu</c> without query and fragment, <c>ath</c> when a token is
    /// presented, the server's nonce when it gave one.
    /// </summary>
    public string CreateProof(HttpMethod method, Uri uri, string? nonce = null, string? accessToken = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(uri);
        var claims = new Dictionary<string, object>
        {
            ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
            ["htm"] = method.Method,
            ["htu"] = uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped),
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        };
        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        if (accessToken is not null)
        {
            claims["ath"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        }

        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = _credentials,
            AdditionalHeaderClaims = new Dictionary<string, object> { ["jwk"] = _jwk },
            TokenType = "dpop+jwt",
        });
    }

    internal static string ThumbprintOf(ECDsa key)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        var jwk = new JsonWebKey { Kty = "EC", Crv = "P-256", X = Base64UrlEncoder.Encode(p.Q.X), Y = Base64UrlEncoder.Encode(p.Q.Y) };
        return Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
    }

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
