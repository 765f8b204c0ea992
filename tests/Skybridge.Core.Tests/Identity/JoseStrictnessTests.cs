using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Core.Identity;

using static Skybridge.Core.Tests.Identity.JoseTestKit;

namespace Skybridge.Core.Tests.Identity;

/// <summary>RFC 7515 crit, userinfo in htu, and malformed JWK members: refused by the pure validators, never thrown.</summary>
public sealed class JoseStrictnessTests
{
    private static readonly IdentitySettings Settings = new();

    private static DPoPProofCheck Validate(ECDsa key, Action<JsonObject>? bendHeader = null, string? htu = null)
    {
        var header = new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = Jwk(key) };
        bendHeader?.Invoke(header);
        var payload = new JsonObject { ["jti"] = "j1", ["htm"] = "POST", ["htu"] = htu ?? Endpoint.ToString(), ["iat"] = Now.ToUnixTimeSeconds() };
        return DPoPProofValidator.Validate(Sign(key, header, payload), new DPoPProofExpectation { Method = "POST", Uri = Endpoint }, Now, Settings);
    }

    [Fact]
    public void Proof_WithCrit_IsRefused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.True(Validate(key).IsValid);
        var check = Validate(key, h => { h["crit"] = new JsonArray("exp"); h["exp"] = 1; });
        Assert.Equal(OAuthError.InvalidDPoPProof, check.Error!.Code);
        Assert.Contains("crit", check.Error.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://user@sky.example/oauth/token")]
    [InlineData("https://user:secret@sky.example/oauth/token")]
    public void Proof_HtuWithUserInfo_IsRefused(string htu)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var check = Validate(key, htu: htu);
        Assert.Equal(OAuthError.InvalidDPoPProof, check.Error!.Code);
        Assert.Contains("user information", check.Error.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"kty":"RSA","n":"%%%","e":"AQAB"}""")]
    [InlineData("""{"kty":"RSA","n":"A","e":"AQAB"}""")]
    [InlineData("""{"kty":"RSA","n":12,"e":"AQAB"}""")]
    [InlineData("""{"kty":"RSA","e":"AQAB"}""")]
    [InlineData("""{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}""")]
    [InlineData("""{"kty":"EC","crv":"P-256","x":"!!!!","y":"AAAA"}""")]
    [InlineData("""{"kty":"EC","x":"AAAA","y":"AAAA"}""")]
    [InlineData("""{"kty":"EC","crv":"P-256","x":["A"],"y":"AAAA"}""")]
    [InlineData("""{"kty":"EC","crv":"P-256K","x":"AAAA","y":"AAAA"}""")]
    public void TryReadPublicKey_MalformedMembers_AreRefusedWithAReason(string json)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.Null(Jose.TryReadPublicKey(doc.RootElement, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void TryReadPublicKey_EcKeyOfTheRightSize_IsRead()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var p = key.ExportParameters(false);
        using var doc = JsonDocument.Parse(new JsonObject { ["kty"] = "EC", ["crv"] = "P-384", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) }.ToJsonString());
        Assert.NotNull(Jose.TryReadPublicKey(doc.RootElement, out _));
    }

    [Fact]
    public void ClientAssertion_WithCrit_IsInvalidClient()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = new JsonObject { ["iss"] = "wf/a", ["sub"] = "wf/a", ["aud"] = "https://sky.example", ["exp"] = Now.AddSeconds(60).ToUnixTimeSeconds(), ["jti"] = "a1" };
        var jwk = new JsonWebKey(Jwk(key).ToJsonString());
        string Assertion(JsonObject header) => Sign(key, header, payload);

        var good = ClientAssertionValidator.ReadClientId(Assertion(new JsonObject { ["alg"] = "ES256" }), Settings, out var goodJwt, out _);
        Assert.True(ClientAssertionValidator.Validate(goodJwt!, good!, [jwk], ["https://sky.example"], Now, Settings).IsValid);

        ClientAssertionValidator.ReadClientId(Assertion(new JsonObject { ["alg"] = "ES256", ["crit"] = new JsonArray("x-ext"), ["x-ext"] = true }), Settings, out var jwt, out _);
        var check = ClientAssertionValidator.Validate(jwt!, "wf/a", [jwk], ["https://sky.example"], Now, Settings);
        Assert.Equal(OAuthError.InvalidClient, check.Error!.Code);
    }

    [Fact]
    public void AccessToken_WithCrit_IsRefused_AndDerivedFromRoundTrips()
    {
        using var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(signing) { KeyId = "k1" };
        var claims = new AccessTokenClaims
        {
            Issuer = "https://sky.example", Subject = "user:maria", Audiences = ["https://sky.example/api"], ClientId = "wf/a",
            Scope = ScopeSet.Of(["cases:read"]), IssuedAt = Now.AddMilliseconds(250), ExpiresAt = Now.AddMinutes(5), TokenId = "t2", KeyThumbprint = "jkt",
            DerivedFrom = ["t1", "t0"],
        };
        var token = AccessTokens.Create(claims, key);
        var read = AccessTokens.Validate(token, _ => key, "https://sky.example", null, Now, Settings);
        Assert.True(read.IsValid, read.Error?.Description);
        Assert.Equal(["t1", "t0"], read.Claims!.DerivedFrom);
        Assert.Equal(claims.IssuedAt, read.Claims.IssuedAt); // milliseconds survive: a cutoff in the same second still tells before from after

        var parts = token.Split('.');
        var header = JsonNode.Parse(Base64UrlEncoder.Decode(parts[0]))!.AsObject();
        header["crit"] = new JsonArray("x-ext");
        var forged = Sign(signing, header, JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!.AsObject());
        var check = AccessTokens.Validate(forged, _ => key, "https://sky.example", null, Now, Settings);
        Assert.Equal(OAuthError.InvalidToken, check.Error!.Code);
        Assert.Contains("crit", check.Error.Description, StringComparison.Ordinal);
    }
}
