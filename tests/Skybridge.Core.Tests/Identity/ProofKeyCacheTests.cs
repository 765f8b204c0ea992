using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Core.Identity;

using static Skybridge.Core.Tests.Identity.JoseTestKit;

namespace Skybridge.Core.Tests.Identity;

/// <summary>
/// The proof-key cache and the pooled proof reader take work off every agent request; none of them may change what a
/// proof is judged to be.
/// </summary>
public sealed class ProofKeyCacheTests
{
    private static readonly DPoPProofExpectation AtTheEndpoint = new() { Method = "POST", Uri = Endpoint };

    private static JsonObject Claims() => new() { ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = "POST", ["htu"] = Endpoint.ToString(), ["iat"] = Now.ToUnixTimeSeconds() };

    private static JsonObject JwkWithKid(ECDsa key, string kid)
    {
        var jwk = Jwk(key);
        jwk["kid"] = kid;
        return jwk;
    }

    private static string Thumbprint(ECDsa key) => Base64UrlEncoder.Encode(new JsonWebKey(Jwk(key).ToJsonString()).ComputeJwkThumbprint());

    private static JsonElement Element(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement;

    [Fact]
    public void Validate_AnotherKeyWithTheSameKid_IsNotServedFromTheCache()
    {
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var second = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var settings = new IdentitySettings();

        var a = DPoPProofValidator.Validate(Sign(first, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = JwkWithKid(first, "agent-key") }, Claims()), AtTheEndpoint, Now, settings);
        var b = DPoPProofValidator.Validate(Sign(second, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = JwkWithKid(second, "agent-key") }, Claims()), AtTheEndpoint, Now, settings);
        // The first key's jwk (now cached), signed by the second key: the cached verifier is the first key's and refuses it.
        var forged = DPoPProofValidator.Validate(Sign(second, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = JwkWithKid(first, "agent-key") }, Claims()), AtTheEndpoint, Now, settings);

        Assert.Equal(Thumbprint(first), a.Proof!.KeyThumbprint);
        Assert.Equal(Thumbprint(second), b.Proof!.KeyThumbprint);
        Assert.False(forged.IsValid);
        Assert.Equal(OAuthError.InvalidDPoPProof, forged.Error!.Code);
        Assert.Equal("The DPoP proof's signature does not verify with its jwk.", forged.Error.Description);
    }

    [Fact]
    public void Read_FullCache_StillReadsEveryKeyRight()
    {
        var cache = new ProofKeyCache(capacity: 1);
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var second = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        foreach (var key in new[] { first, second, first, second })
        {
            var read = cache.Read(Element(Jwk(key)), out var problem);
            Assert.Null(problem);
            Assert.Equal(Thumbprint(key), read!.Thumbprint);
            Assert.True(cache.Count <= 1);
        }
    }

    [Fact]
    public void Read_SameText_IsServedOnce_AndARefusedKeyIsNeverKept()
    {
        var cache = new ProofKeyCache(capacity: 10);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = Jwk(key);

        Assert.Same(cache.Read(Element(jwk), out _), cache.Read(Element(jwk), out _));

        var withPrivatePart = Jwk(key);
        withPrivatePart["d"] = Base64UrlEncoder.Encode(key.ExportParameters(true).D);
        for (var i = 0; i < 2; i++)
        {
            Assert.Null(cache.Read(Element(withPrivatePart), out var problem));
            Assert.Equal("the jwk holds private key material", problem);
        }

        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Read_AJwkLongerThanTheStackLookup_IsStillCachedAndRight()
    {
        var cache = new ProofKeyCache(capacity: 10);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = key.ExportParameters(false);
        // Whitespace between members is part of the jwk's text: 2,000 spaces make it longer than the stack lookup.
        var padded = "{\"kty\":\"EC\"," + new string(' ', 2000) + "\"crv\":\"P-256\",\"x\":\"" + Base64UrlEncoder.Encode(p.Q.X) + "\",\"y\":\"" + Base64UrlEncoder.Encode(p.Q.Y) + "\"}";
        using var doc = JsonDocument.Parse(padded);

        var read = cache.Read(doc.RootElement, out _);
        Assert.Equal(Thumbprint(key), read!.Thumbprint);
        Assert.Same(read, cache.Read(doc.RootElement, out _));
    }

    [Fact]
    public void Verifier_OnlyForAnAcceptedAlgorithmThatFitsTheKey_MadeOnce()
    {
        var cache = new ProofKeyCache(capacity: 10);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var read = cache.Read(Element(Jwk(key)), out _)!;

        Assert.Same(read.Verifier("ES256"), read.Verifier("ES256"));
        Assert.Null(read.Verifier("RS256"));
        Assert.Null(read.Verifier("HS256"));
        Assert.Null(read.Verifier("none"));
    }

    [Theory]
    [InlineData("padded header")]
    [InlineData("array header")]
    [InlineData("space in payload")]
    public void Validate_ProofNotInCompactBase64UrlWithObjects_IsNotWellFormed(string bend)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var proof = Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = Jwk(key) }, Claims());
        var parts = proof.Split('.');
        var bent = bend switch
        {
            "padded header" => Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"typ\":\"dpop+jwt\"}")).Replace('+', '-').Replace('/', '_').PadRight(28, '=') + "." + parts[1] + "." + parts[2],
            "array header" => Base64UrlEncoder.Encode("[1,2]") + "." + parts[1] + "." + parts[2],
            _ => parts[0] + "." + parts[1][..10] + " " + parts[1][10..] + "." + parts[2],
        };

        var check = DPoPProofValidator.Validate(bent, AtTheEndpoint, Now, new IdentitySettings());
        Assert.Equal("The DPoP proof is not a well-formed JWT.", check.Error!.Description);
    }

    [Fact]
    public void Validate_MalformedSignaturePart_DoesNotVerify()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var proof = Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = Jwk(key) }, Claims());
        var check = DPoPProofValidator.Validate(proof[..proof.LastIndexOf('.')] + ".a$b", AtTheEndpoint, Now, new IdentitySettings());
        Assert.Equal("The DPoP proof's signature does not verify with its jwk.", check.Error!.Description);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(5000)]
    public void IsAccessTokenHash_AgreesWithTheHash_AndRefusesAnyOther(int length)
    {
        var token = new string('t', length - 1) + "x";
        var ath = Jose.AccessTokenHash(token);
        Assert.True(Jose.IsAccessTokenHash(ath, token));
        Assert.False(Jose.IsAccessTokenHash(ath, token[..^1] + "y"));
        Assert.False(Jose.IsAccessTokenHash(ath[..^1], token));
        Assert.False(Jose.IsAccessTokenHash(ath + "A", token));
    }
}
