using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Client.Tests.Support;

namespace Skybridge.Client.Tests;

/// <summary>DPoP proofs (RFC 9449 section 4.2) checked with Microsoft.IdentityModel, independently of the server.</summary>
public sealed class DPoPKeyTests
{
    private static readonly Uri Whoami = new("https://sky.example:8443/api/agent/whoami");

    private static async Task<TokenValidationResult> ValidateAgainstEmbeddedKeyAsync(string proof)
    {
        var jwk = new JsonWebKey(Jwt.Part(proof, 0).GetProperty("jwk").GetRawText());
        return await new JsonWebTokenHandler().ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = jwk,
            ValidTypes = ["dpop+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
        });
    }

    [Fact]
    public async Task CreateProof_VerifiesWithItsEmbeddedKey_AndCarriesExactlyTheRequiredClaims()
    {
        using var key = DPoPKey.Create();
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var proof = key.CreateProof(HttpMethod.Post, new Uri("https://sky.example:8443/oauth/token"));

        var result = await ValidateAgainstEmbeddedKeyAsync(proof);
        Assert.True(result.IsValid, result.Exception?.Message);

        var header = Jwt.Part(proof, 0);
        Assert.Equal(["alg", "jwk", "typ"], Jwt.Names(header));
        Assert.Equal("dpop+jwt", header.GetProperty("typ").GetString());
        Assert.Equal("ES256", header.GetProperty("alg").GetString());

        // No nonce given and no token presented: exactly jti, htm, htu, iat.
        var payload = Jwt.Part(proof, 1);
        Assert.Equal(["htm", "htu", "iat", "jti"], Jwt.Names(payload));
        Assert.Equal("POST", payload.GetProperty("htm").GetString());
        Assert.Equal("https://sky.example:8443/oauth/token", payload.GetProperty("htu").GetString());
        Assert.InRange(payload.GetProperty("iat").GetInt64(), before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.True(Base64UrlEncoder.DecodeBytes(payload.GetProperty("jti").GetString()!).Length >= 16);
    }

    [Fact]
    public async Task CreateProof_WithNonceAndToken_AddsNonceAndTheTokensHash()
    {
        using var key = DPoPKey.Create();
        const string token = "eyJhbGciOiJFUzI1NiJ9.e30.c2lnbmF0dXJl";
        var proof = key.CreateProof(HttpMethod.Get, Whoami, nonce: "server-nonce-1", accessToken: token);

        Assert.True((await ValidateAgainstEmbeddedKeyAsync(proof)).IsValid);
        var payload = Jwt.Part(proof, 1);
        Assert.Equal(["ath", "htm", "htu", "iat", "jti", "nonce"], Jwt.Names(payload));
        Assert.Equal("server-nonce-1", payload.GetProperty("nonce").GetString());
        // RFC 9449 section 4.2: base64url of the SHA-256 of the ASCII token, no padding.
        var expected = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(token))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(expected, payload.GetProperty("ath").GetString());
    }

    [Theory]
    [InlineData("https://sky.example:8443/api/agent/whoami?verbose=1&x=2", "https://sky.example:8443/api/agent/whoami")]
    [InlineData("https://sky.example:8443/api/agent/whoami#section", "https://sky.example:8443/api/agent/whoami")]
    [InlineData("https://sky.example:8443/api/cases/a%20b?q=1#f", "https://sky.example:8443/api/cases/a%20b")]
    [InlineData("https://sky.example:443/oauth/token", "https://sky.example/oauth/token")]
    [InlineData("http://127.0.0.1:5080/api/agent/whoami?", "http://127.0.0.1:5080/api/agent/whoami")]
    public void CreateProof_Htu_LeavesOutQueryAndFragment(string requestUri, string htu)
    {
        using var key = DPoPKey.Create();
        var payload = Jwt.Part(key.CreateProof(HttpMethod.Get, new Uri(requestUri)), 1);
        Assert.Equal(htu, payload.GetProperty("htu").GetString());
    }

    [Fact]
    public void CreateProof_Jwk_IsThePublicKeyOnly_AndMatchesTheThumbprint()
    {
        using var key = DPoPKey.Create();
        var proof = key.CreateProof(HttpMethod.Get, Whoami, accessToken: "t");
        var jwk = Jwt.Part(proof, 0).GetProperty("jwk");

        Assert.Equal(["crv", "kty", "x", "y"], Jwt.Names(jwk));
        Assert.Equal("EC", jwk.GetProperty("kty").GetString());
        Assert.Equal("P-256", jwk.GetProperty("crv").GetString());
        // The thumbprint is what the server writes into cnf.jkt (RFC 7638 over crv, kty, x, y).
        Assert.Equal(key.Thumbprint, Base64UrlEncoder.Encode(new JsonWebKey(jwk.GetRawText()).ComputeJwkThumbprint()));
    }

    [Fact]
    public void CreateProof_EveryProofHasItsOwnJti_AndEveryKeyIsFresh()
    {
        using var key = DPoPKey.Create();
        using var other = DPoPKey.Create();
        var ids = Enumerable.Range(0, 50).Select(_ => Jwt.Part(key.CreateProof(HttpMethod.Get, Whoami), 1).GetProperty("jti").GetString()).ToHashSet();
        Assert.Equal(50, ids.Count);
        Assert.NotEqual(key.Thumbprint, other.Thumbprint);
    }
}
