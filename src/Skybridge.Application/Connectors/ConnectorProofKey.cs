using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Core.Identity;

namespace Skybridge.Application.Connectors;

/// <summary>
/// The EC P-256 key a connector token is bound to (RFC 9449), and the proofs signed with it. The private part never
/// leaves memory: it is not exported, not serialised, and <see cref="ToString"/> names only the public thumbprint.
/// </summary>
public sealed class ConnectorProofKey : IDisposable
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly ECDsa _key;
    private readonly SigningCredentials _credentials;
    private readonly Dictionary<string, object> _jwk;

    private ConnectorProofKey(ECDsa key)
    {
        _key = key;
        // Not through the library's process-wide provider cache: it is keyed by key material and would outlive this key.
        _credentials = new SigningCredentials(new ECDsaSecurityKey(key), SecurityAlgorithms.EcdsaSha256)
        {
            CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
        };
        var p = key.ExportParameters(includePrivateParameters: false);
        _jwk = new Dictionary<string, object> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
        Thumbprint = Jose.Thumbprint(new JsonWebKey { Kty = "EC", Crv = "P-256", X = (string)_jwk["x"], Y = (string)_jwk["y"] });
    }

    /// <summary>A new, random key.</summary>
    public static ConnectorProofKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>The RFC 7638 thumbprint of the public key: the token's <c>cnf.jkt</c>.</summary>
    public string Thumbprint { get; }

    /// <summary>
    /// A proof for one request (RFC 9449 section 4.2): header <c>typ</c> dpop+jwt, <c>alg</c> ES256 and the public
    /// <c>jwk</c>; claims a fresh <c>jti</c>, <c>htm</c>, <c>htu</c> (the request URL without query and fragment),
    /// <c>iat</c> and <c>ath</c> (base64url SHA-256 of the access token, section 4.3 step 11).
    /// </summary>
    public string CreateProof(string method, Uri uri, string accessToken, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(accessToken);
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
                ["htm"] = method,
                ["htu"] = uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped),
                ["iat"] = now.ToUnixTimeSeconds(),
                ["ath"] = Jose.AccessTokenHash(accessToken),
            },
            SigningCredentials = _credentials,
            AdditionalHeaderClaims = new Dictionary<string, object> { ["jwk"] = _jwk },
            TokenType = "dpop+jwt",
        });
    }

    /// <inheritdoc/>
    public override string ToString() => $"ConnectorProofKey({Thumbprint})";

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();
}
