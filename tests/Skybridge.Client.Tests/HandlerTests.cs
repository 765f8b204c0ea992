using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Client.Tests.Support;

namespace Skybridge.Client.Tests;

/// <summary>The handler against a hand-written resource server: headers on every request, and its two retries.</summary>
public sealed class HandlerTests
{
    private static readonly Uri Base = new("https://sky.example:8443");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpClient Client(CountingTokens tokens, ScriptedServer server) =>
        new(new SkybridgeAgentHandler(tokens) { InnerHandler = server }) { BaseAddress = Base };

    [Fact]
    public async Task Send_AddsTheTokenAndAProofBoundToIt()
    {
        using var tokens = new CountingTokens();
        var server = new ScriptedServer((_, _) => new HttpResponseMessage(HttpStatusCode.OK));
        using var http = Client(tokens, server);

        using var response = await http.GetAsync("/api/agent/whoami?verbose=1", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(server.Requests);
        Assert.Equal("DPoP t1", seen.Authorization);
        var proof = seen.ProofPayload;
        Assert.Equal("GET", proof.GetProperty("htm").GetString());
        Assert.Equal("https://sky.example:8443/api/agent/whoami", proof.GetProperty("htu").GetString());
        Assert.Equal(Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes("t1"))), proof.GetProperty("ath").GetString());
        Assert.Equal(tokens.Key.Thumbprint, Base64UrlEncoder.Encode(new JsonWebKey(Jwt.Part(seen.DPoP!, 0).GetProperty("jwk").GetRawText()).ComputeJwkThumbprint()));
    }

    [Fact]
    public async Task Send_UseDPoPNonce_RetriesOnceWithThatNonce_AndTheSameBody()
    {
        using var tokens = new CountingTokens();
        var server = new ScriptedServer((_, i) => i == 0 ? ScriptedServer.Challenge("use_dpop_nonce", nonce: "rs-nonce") : new HttpResponseMessage(HttpStatusCode.Created));
        using var http = Client(tokens, server);

        using var response = await http.PostAsync("/api/cases", new StringContent("""{"ticket":42}""", Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal("""{"ticket":42}""", r.Body));
        Assert.False(server.Requests[0].ProofPayload.TryGetProperty("nonce", out _));
        Assert.Equal("rs-nonce", server.Requests[1].ProofPayload.GetProperty("nonce").GetString());
        Assert.NotEqual(server.Requests[0].ProofPayload.GetProperty("jti").GetString(), server.Requests[1].ProofPayload.GetProperty("jti").GetString());
        Assert.Empty(tokens.Invalidated);
    }

    [Fact]
    public async Task Send_InvalidToken_DropsTheTokenAndRetriesOnceWithANewOne_ThenGivesUp()
    {
        using var tokens = new CountingTokens();
        var server = new ScriptedServer((_, _) => ScriptedServer.Challenge("invalid_token"));
        using var http = Client(tokens, server);

        using var response = await http.PostAsync("/api/cases", new StringContent("body"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(["DPoP t1", "DPoP t2"], server.Requests.Select(r => r.Authorization));
        Assert.Equal(["body", "body"], server.Requests.Select(r => r.Body));
        Assert.Equal(["t1"], tokens.Invalidated);
    }

    [Fact]
    public async Task Send_NonceThenInvalidToken_EachRetriedOnce()
    {
        using var tokens = new CountingTokens();
        var server = new ScriptedServer((_, i) => i switch
        {
            0 => ScriptedServer.Challenge("use_dpop_nonce", nonce: "n"),
            1 => ScriptedServer.Challenge("invalid_token"),
            _ => ScriptedServer.Challenge("use_dpop_nonce", nonce: "n2"),
        });
        using var http = Client(tokens, server);

        using var response = await http.GetAsync("/api/agent/whoami", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(3, server.Requests.Count);
    }

    [Theory]
    [InlineData("invalid_dpop_proof")]
    [InlineData("insufficient_scope")]
    [InlineData(null)]
    public async Task Send_OtherRefusals_ReachTheCallerWithoutRetry(string? error)
    {
        using var tokens = new CountingTokens();
        var server = new ScriptedServer((_, _) => error is null ? new HttpResponseMessage(HttpStatusCode.Forbidden) : ScriptedServer.Challenge(error, nonce: "n"));
        using var http = Client(tokens, server);

        using var response = await http.GetAsync("/api/agent/whoami", Ct);
        Assert.Single(server.Requests);
        Assert.Empty(tokens.Invalidated);
    }

    [Fact]
    public async Task Send_UseDPoPNonceWithoutANonce_IsNotRetried()
    {
        using var tokens = new CountingTokens();
        var server = new ScriptedServer((_, _) => ScriptedServer.Challenge("use_dpop_nonce"));
        using var http = Client(tokens, server);

        using var response = await http.GetAsync("/api/agent/whoami", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(server.Requests);
    }
}
