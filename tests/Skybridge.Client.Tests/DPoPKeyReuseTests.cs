using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Client.Tests.Support;

namespace Skybridge.Client.Tests;

/// <summary>
/// A key signs every proof with one provider and writes claims with a writer kept per thread: proofs made at the same
/// time on many threads, and proofs of two keys in turn on one thread, must each be whole and signed by their own key.
/// </summary>
public sealed class DPoPKeyReuseTests
{
    private static readonly Uri Whoami = new("https://sky.example:8443/api/agent/whoami");

    private static bool VerifiesWithItsEmbeddedKey(string proof)
    {
        var jwk = new JsonWebKey(Jwt.Part(proof, 0).GetProperty("jwk").GetRawText());
        return new JsonWebTokenHandler().ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = jwk,
            ValidTypes = ["dpop+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
        }).GetAwaiter().GetResult().IsValid;
    }

    [Fact]
    public void CreateProof_ManyThreadsAtOnce_EveryProofWholeAndValid()
    {
        using var key = DPoPKey.Create();
        var proofs = new string[400];
        Parallel.For(0, proofs.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            proofs[i] = key.CreateProof(HttpMethod.Get, Whoami, nonce: i % 2 == 0 ? "n" + i : null, accessToken: "token-" + i));

        Assert.All(proofs, p => Assert.True(VerifiesWithItsEmbeddedKey(p)));
        Assert.Equal(proofs.Length, proofs.Select(p => Jwt.Part(p, 1).GetProperty("jti").GetString()).Distinct().Count());
        Assert.All(proofs.Select((p, i) => (Payload: Jwt.Part(p, 1), i)), x =>
        {
            Assert.Equal(x.i % 2 == 0, x.Payload.TryGetProperty("nonce", out _));
            Assert.Equal(Jose(("token-" + x.i)), x.Payload.GetProperty("ath").GetString());
        });
    }

    [Fact]
    public void CreateProof_TwoKeysInTurnOnOneThread_EachSignedByItsOwnKey()
    {
        using var first = DPoPKey.Create();
        using var second = DPoPKey.Create();
        for (var i = 0; i < 10; i++)
        {
            var key = i % 2 == 0 ? first : second;
            var proof = key.CreateProof(HttpMethod.Post, Whoami);
            Assert.True(VerifiesWithItsEmbeddedKey(proof));
            var jwk = new JsonWebKey(Jwt.Part(proof, 0).GetProperty("jwk").GetRawText());
            Assert.Equal(key.Thumbprint, Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()));
        }
    }

    private static string Jose(string token) =>
        Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token)));
}
