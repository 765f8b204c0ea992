using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Core.Identity;

using static Skybridge.Core.Tests.Identity.JoseTestKit;

namespace Skybridge.Core.Tests.Identity;

public sealed class JoseTests
{

    private static string Proof(ECDsa key, Action<JsonObject>? bend = null)
    {
        var payload = new JsonObject { ["jti"] = "j1", ["htm"] = "POST", ["htu"] = Endpoint.ToString(), ["iat"] = Now.ToUnixTimeSeconds() };
        bend?.Invoke(payload);
        return Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = Jwk(key) }, payload);
    }

    [Fact]
    public void Proof_Valid_YieldsTheRfc7638ThumbprintAndAReplayWindowCoveringSkew()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var settings = new IdentitySettings();
        var check = DPoPProofValidator.Validate(Proof(key), new DPoPProofExpectation { Method = "POST", Uri = Endpoint }, Now, settings);
        Assert.True(check.IsValid, check.Error?.Description);
        Assert.Equal(Base64UrlEncoder.Encode(new JsonWebKey(Jwk(key).ToJsonString()).ComputeJwkThumbprint()), check.Proof!.KeyThumbprint);
        // Remembered past the last moment any node (with its own skew) could accept it.
        Assert.True(check.Proof.KeepUntil >= Now + settings.ProofLifetime + settings.ClockSkew + settings.ClockSkew);
    }

    [Theory]
    [InlineData("https://SKY.example:443/oauth/token", true)]
    [InlineData("https://sky.example/oauth/token?a=1#b", true)]
    [InlineData("https://sky.example/oauth/%74oken", true)]
    [InlineData("http://sky.example/oauth/token", false)]
    [InlineData("https://sky.example:8443/oauth/token", false)]
    [InlineData("https://sky.example/oauth/token/", false)]
    public void SameTarget_NormalisesPerRfc3986_IgnoringQueryAndFragment(string htu, bool same) =>
        Assert.Equal(same, DPoPProofValidator.SameTarget(new Uri(htu), Endpoint));

    [Fact]
    public void Proof_ClockSkewIsConfigurable()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var early = Proof(key, p => p["iat"] = Now.AddSeconds(20).ToUnixTimeSeconds());
        var expectation = new DPoPProofExpectation { Method = "POST", Uri = Endpoint };
        Assert.False(DPoPProofValidator.Validate(early, expectation, Now, new IdentitySettings { ClockSkew = TimeSpan.FromSeconds(10) }).IsValid);
        Assert.True(DPoPProofValidator.Validate(early, expectation, Now, new IdentitySettings { ClockSkew = TimeSpan.FromSeconds(30) }).IsValid);
    }

    [Fact]
    public void Proof_Rs256WithA1024BitKey_IsRefused()
    {
        using var rsa = RSA.Create(1024);
        var p = rsa.ExportParameters(false);
        var header = new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "RS256", ["jwk"] = new JsonObject { ["kty"] = "RSA", ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) } };
        var h = Base64UrlEncoder.Encode(header.ToJsonString());
        var b = Base64UrlEncoder.Encode(new JsonObject { ["jti"] = "j", ["htm"] = "POST", ["htu"] = Endpoint.ToString(), ["iat"] = Now.ToUnixTimeSeconds() }.ToJsonString());
        var proof = h + "." + b + "." + Base64UrlEncoder.Encode(rsa.SignData(Encoding.ASCII.GetBytes(h + "." + b), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        var check = DPoPProofValidator.Validate(proof, new DPoPProofExpectation { Method = "POST", Uri = Endpoint }, Now, new IdentitySettings());
        Assert.Contains("2048", check.Error!.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Nonces_AreGoodForTheirWindowAndTheNext_AndOnlyUnderTheSharedSecret()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var nonces = new DPoPNonces(secret, TimeSpan.FromMinutes(3));
        var nonce = nonces.Current(Now);
        Assert.True(nonces.IsCurrent(nonce, Now.AddMinutes(3)));
        Assert.False(nonces.IsCurrent(nonce, Now.AddMinutes(7)));
        Assert.True(new DPoPNonces(secret, TimeSpan.FromMinutes(3)).IsCurrent(nonce, Now));
        Assert.False(new DPoPNonces(RandomNumberGenerator.GetBytes(32), TimeSpan.FromMinutes(3)).IsCurrent(nonce, Now));
        Assert.False(nonces.IsCurrent(null, Now));
    }

    [Fact]
    public void AccessToken_RoundTrips_AndRefusesAnotherKeysSignature()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(ecdsa) { KeyId = "k1" };
        var claims = new AccessTokenClaims
        {
            Issuer = "https://sky.example", Subject = "user:maria", Audiences = ["https://sky.example/api"], ClientId = "support-desk/s1",
            Scope = ScopeSet.Of(["cases:read"]), IssuedAt = Now, ExpiresAt = Now.AddMinutes(5), TokenId = "t", KeyThumbprint = "jkt",
            Workflow = "support-desk", Role = "researcher", Actor = new ActorClaim("support-desk/s1", new ActorClaim("support-desk/r1")),
        };
        var token = AccessTokens.Create(claims, key);
        var check = AccessTokens.Validate(token, kid => kid == "k1" ? key : null, "https://sky.example", "https://sky.example/api", Now, new IdentitySettings());
        Assert.True(check.IsValid, check.Error?.Description);
        Assert.Equal(["support-desk/s1", "support-desk/r1"], check.Claims!.Actor!.Chain());
        Assert.Equal(2, check.Claims.DelegationDepth);

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = AccessTokens.Create(claims, new ECDsaSecurityKey(other) { KeyId = "k1" });
        Assert.False(AccessTokens.Validate(forged, kid => key, "https://sky.example", null, Now, new IdentitySettings()).IsValid);
    }

    [Theory]
    [InlineData("cases:read  cases:write")]
    [InlineData(" cases:read")]
    [InlineData("cases:\"read")]
    [InlineData("cases:read\\")]
    public void Scope_MalformedValues_AreRejected(string value) => Assert.False(ScopeSet.TryParse(value, out _));

    [Fact]
    public void Scope_IsAnUnorderedSet()
    {
        Assert.True(ScopeSet.TryParse("b a a", out var s));
        Assert.Equal("a b", s.ToString());
        Assert.True(ScopeSet.Of(["a"]).IsSubsetOf(s));
        Assert.Equal("b", s.Except(ScopeSet.Of(["a"])).ToString());
    }
}
