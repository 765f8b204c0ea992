using System.Net;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Client.Tests.Support;

namespace Skybridge.Client.Tests;

/// <summary>The token client against a hand-written token endpoint: what it sends, and how it reacts to each answer.</summary>
public sealed class TokenClientTests
{
    private const string NonceError = """{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RequestToken_SendsAClientAssertionWithTheRfc7523Claims()
    {
        var (credentials, pair) = TestCredentials.Make();
        var server = new ScriptedServer((_, _) => ScriptedServer.Token("at-1"));
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(server));
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await tokens.RequestTokenAsync("cases:read", "https://sky.example:8443/api", Ct);

        var form = Assert.Single(server.Requests).Form;
        Assert.Equal("client_credentials", form["grant_type"]);
        Assert.Equal("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", form["client_assertion_type"]);
        Assert.Equal("cases:read", form["scope"]);
        Assert.Equal("https://sky.example:8443/api", form["resource"]);
        Assert.False(form.ContainsKey("client_secret"));

        // Signed by the agent's registered key (its public half is all the server has).
        var assertion = form["client_assertion"];
        var check = await new JsonWebTokenHandler().ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            IssuerSigningKey = new JsonWebKey(pair.PublicJwk),
            ValidIssuer = credentials.ClientId,
            ValidAudience = "https://sky.example:8443",
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        });
        Assert.True(check.IsValid, check.Exception?.Message);
        Assert.Equal(pair.KeyId, Jwt.Part(assertion, 0).GetProperty("kid").GetString());

        var claims = Jwt.Part(assertion, 1);
        Assert.Equal(["aud", "exp", "iat", "iss", "jti", "sub"], Jwt.Names(claims));
        Assert.Equal(credentials.ClientId, claims.GetProperty("iss").GetString());
        Assert.Equal(credentials.ClientId, claims.GetProperty("sub").GetString());
        var iat = claims.GetProperty("iat").GetInt64();
        var exp = claims.GetProperty("exp").GetInt64();
        Assert.InRange(iat, before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.InRange(exp - iat, 1, 300);

        // The DPoP proof is for the token endpoint, and presents no token.
        var proof = Assert.Single(server.Requests).ProofPayload;
        Assert.Equal("POST", proof.GetProperty("htm").GetString());
        Assert.Equal("https://sky.example:8443/oauth/token", proof.GetProperty("htu").GetString());
        Assert.False(proof.TryGetProperty("ath", out _));
    }

    [Fact]
    public async Task RequestToken_RetriesOnceWithTheServersNonce_AndKeepsItForTheNextRequest()
    {
        var (credentials, _) = TestCredentials.Make();
        var server = new ScriptedServer((_, i) => i switch
        {
            0 => ScriptedServer.Json(HttpStatusCode.BadRequest, NonceError, nonce: "n-1"),
            1 => ScriptedServer.Token("at-1", nonce: "n-2"),
            _ => ScriptedServer.Token("at-2"),
        });
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(server));

        Assert.Equal("at-1", (await tokens.RequestTokenAsync(cancellationToken: Ct)).AccessToken);
        Assert.Equal("at-2", (await tokens.RequestTokenAsync(cancellationToken: Ct)).AccessToken);

        var proofs = server.Requests.Select(r => r.ProofPayload).ToList();
        Assert.Equal(3, proofs.Count);
        Assert.False(proofs[0].TryGetProperty("nonce", out _));
        Assert.Equal("n-1", proofs[1].GetProperty("nonce").GetString());
        // The newest nonce the server gave (on the success) is used at once, with no extra round trip.
        Assert.Equal("n-2", proofs[2].GetProperty("nonce").GetString());
        // A retry is a new request: new proof id, new assertion id.
        Assert.NotEqual(proofs[0].GetProperty("jti").GetString(), proofs[1].GetProperty("jti").GetString());
        Assert.NotEqual(server.Requests[0].Form["client_assertion"], server.Requests[1].Form["client_assertion"]);
    }

    [Fact]
    public async Task RequestToken_AServerAskingForANonceAgain_GetsOneRetryNotALoop()
    {
        var (credentials, _) = TestCredentials.Make();
        var server = new ScriptedServer((_, i) => ScriptedServer.Json(HttpStatusCode.BadRequest, NonceError, nonce: "n-" + i));
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(server));

        var error = await Assert.ThrowsAsync<SkybridgeTokenException>(() => tokens.RequestTokenAsync(cancellationToken: Ct));
        Assert.Equal("use_dpop_nonce", error.Error);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task RequestToken_Refusal_BecomesATokenExceptionWithTheRfcFields_AndNoSecrets()
    {
        var (credentials, _) = TestCredentials.Make();
        var server = new ScriptedServer((_, _) => ScriptedServer.Json(HttpStatusCode.BadRequest,
            """{"error":"invalid_scope","error_description":"scope 'admin' is beyond the role responder"}"""));
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(server));

        var error = await Assert.ThrowsAsync<SkybridgeTokenException>(() => tokens.RequestTokenAsync("admin", cancellationToken: Ct));
        Assert.Equal("invalid_scope", error.Error);
        Assert.Equal("scope 'admin' is beyond the role responder", error.ErrorDescription);
        Assert.Equal(HttpStatusCode.BadRequest, error.Status);
        Assert.Contains("invalid_scope", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Requests[0].Form["client_assertion"], error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestToken_AnAnswerThatIsNotOAuth_NamesTheHttpStatus()
    {
        var (credentials, _) = TestCredentials.Make();
        var server = new ScriptedServer((_, _) => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>proxy error</html>") });
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(server));

        var error = await Assert.ThrowsAsync<SkybridgeTokenException>(() => tokens.RequestTokenAsync(cancellationToken: Ct));
        Assert.Equal("http_502", error.Error);
        Assert.Null(error.ErrorDescription);
    }

    [Fact]
    public async Task GetAccessToken_ConcurrentCallers_ShareOneFetch_AndTheCachedToken()
    {
        var (credentials, _) = TestCredentials.Make();
        var server = new ScriptedServer((_, i) => ScriptedServer.Token("at-" + i), delay: TimeSpan.FromMilliseconds(200));
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(server));

        var all = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => tokens.GetAccessTokenAsync(Ct).AsTask(), Ct)));
        Assert.All(all, t => Assert.Equal("at-0", t));
        Assert.Equal("at-0", await tokens.GetAccessTokenAsync(Ct));
        Assert.Single(server.Requests);
        // The file's scope and resource are what a cached token is asked for.
        Assert.Equal(credentials.Scope, server.Requests[0].Form["scope"]);
        Assert.Equal(credentials.Resource, server.Requests[0].Form["resource"]);
    }

    [Fact]
    public async Task GetAccessToken_RenewsHalfWayThroughAShortLife_AndAfterInvalidate()
    {
        var (credentials, _) = TestCredentials.Make();
        var server = new ScriptedServer((_, i) => ScriptedServer.Token("at-" + i, expiresIn: i == 0 ? 1 : 300));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(server)) { Time = clock };

        Assert.Equal("at-0", await tokens.GetAccessTokenAsync(Ct));
        // A one-second token is renewed half-way through its life, never handed out in its last moments.
        clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal("at-0", await tokens.GetAccessTokenAsync(Ct));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("at-1", await tokens.GetAccessTokenAsync(Ct));
        Assert.Equal("at-1", await tokens.GetAccessTokenAsync(Ct));

        tokens.Invalidate("some-older-token");
        Assert.Equal("at-1", await tokens.GetAccessTokenAsync(Ct));
        tokens.Invalidate("at-1");
        Assert.Equal("at-2", await tokens.GetAccessTokenAsync(Ct));
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Exchange_SendsTheRfc8693Parameters()
    {
        var (credentials, _) = TestCredentials.Make("support-desk/researcher-1");
        var server = new ScriptedServer((_, _) => ScriptedServer.Token("delegated"));
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(server));

        var token = await tokens.ExchangeAsync("parent-token", "cases:read", "https://sky.example:8443/api", actorToken: "own-token", Ct);
        Assert.Equal("delegated", token.AccessToken);
        Assert.DoesNotContain("delegated", token.ToString(), StringComparison.Ordinal);
        var form = Assert.Single(server.Requests).Form;
        Assert.Equal("urn:ietf:params:oauth:grant-type:token-exchange", form["grant_type"]);
        Assert.Equal("parent-token", form["subject_token"]);
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", form["subject_token_type"]);
        Assert.Equal("own-token", form["actor_token"]);
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", form["actor_token_type"]);
        Assert.Equal("cases:read", form["scope"]);
        Assert.Equal("https://sky.example:8443/api", form["resource"]);
        Assert.Equal("support-desk/researcher-1", Jwt.Part(form["client_assertion"], 1).GetProperty("sub").GetString());
    }
}
