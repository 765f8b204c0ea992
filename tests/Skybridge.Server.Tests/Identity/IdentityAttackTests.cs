using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Application.Governance;
using Skybridge.Server.Authentication;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;
using Skybridge.Application.Agents;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Identity;

/// <summary>
/// Attacks and bad input against the token endpoint and the agent API. Each one must get the right error code, no
/// token, and a ledger entry saying what was refused.
/// </summary>
public sealed class IdentityAttackTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;
    private readonly Refusals _refusals;

    public IdentityAttackTests(RunningServer server)
    {
        _server = server;
        _refusals = new Refusals(server);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(AgentKit Agent, HttpClient Http, ECDsa Dpop)> AgentAsync(string role = "responder")
    {
        var agent = await AgentKit.RegisterAsync(_server, role);
        return (agent, _server.Client(), AgentKit.NewKey());
    }

    // ---- DPoP proofs at the token endpoint ----------------------------------------------------------

    [Fact]
    public async Task TokenEndpoint_ReplayedProof_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var nonce = await agent.NonceAsync(http);
        var proof = AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce);
        var first = await agent.RequestTokenAsync(http, dpop, proof: proof);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        var from = await _refusals.LedgerSizeAsync();
        var replay = await agent.RequestTokenAsync(http, dpop, proof: proof);
        await _refusals.AssertTokenRefusedAsync(replay, "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task TokenEndpoint_WrongHtm_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var nonce = await agent.NonceAsync(http);
        var from = await _refusals.LedgerSizeAsync();
        var answer = await agent.RequestTokenAsync(http, dpop, proof: AgentKit.Proof(dpop, "GET", agent.TokenEndpoint, nonce));
        await _refusals.AssertTokenRefusedAsync(answer, "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task TokenEndpoint_WrongHtu_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var nonce = await agent.NonceAsync(http);
        var from = await _refusals.LedgerSizeAsync();
        var answer = await agent.RequestTokenAsync(http, dpop, proof: AgentKit.Proof(dpop, "POST", "https://elsewhere.example/oauth/token", nonce));
        await _refusals.AssertTokenRefusedAsync(answer, "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task TokenEndpoint_HtuWithQueryAndFragment_StillMatches()
    {
        var (agent, http, dpop) = await AgentAsync();
        var nonce = await agent.NonceAsync(http);
        var answer = await agent.RequestTokenAsync(http, dpop, proof: AgentKit.Proof(dpop, "POST", agent.TokenEndpoint + "?x=1#frag", nonce));
        Assert.Equal(HttpStatusCode.OK, answer.Status);
    }

    [Theory]
    [InlineData(-600)]
    [InlineData(600)]
    public async Task TokenEndpoint_ProofIatOutsideWindow_IsRefused(int offsetSeconds)
    {
        var (agent, http, dpop) = await AgentAsync();
        var nonce = await agent.NonceAsync(http);
        var from = await _refusals.LedgerSizeAsync();
        var proof = AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce, bend: p => p["iat"] = AgentKit.Now(offsetSeconds));
        var answer = await agent.RequestTokenAsync(http, dpop, proof: proof);
        await _refusals.AssertTokenRefusedAsync(answer, "invalid_dpop_proof", from);
        Assert.Contains(offsetSeconds < 0 ? "too old" : "future", (string?)answer.Body["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenEndpoint_MissingOrStaleNonce_AsksForAFreshOne()
    {
        var (agent, http, dpop) = await AgentAsync();
        foreach (var nonce in new string?[] { null, "c3RhbGUtbm9uY2UtZnJvbS1sYXN0LXllYXI" })
        {
            var from = await _refusals.LedgerSizeAsync();
            var answer = await agent.RequestTokenAsync(http, dpop, proof: AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce));
            await _refusals.AssertTokenRefusedAsync(answer, "use_dpop_nonce", from);
            Assert.False(string.IsNullOrEmpty(answer.Headers.GetValues("DPoP-Nonce").Single()));
        }
    }

    [Fact]
    public async Task TokenEndpoint_AlgNoneProof_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var nonce = await agent.NonceAsync(http);
        var header = Base64UrlEncoder.Encode(new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "none", ["jwk"] = AgentKit.PublicJwk(dpop) }.ToJsonString());
        var payload = Base64UrlEncoder.Encode(new JsonObject { ["jti"] = "x1", ["htm"] = "POST", ["htu"] = agent.TokenEndpoint, ["iat"] = AgentKit.Now(), ["nonce"] = nonce }.ToJsonString());
        var from = await _refusals.LedgerSizeAsync();
        var answer = await agent.RequestTokenAsync(http, dpop, proof: header + "." + payload + ".");
        await _refusals.AssertTokenRefusedAsync(answer, "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task TokenEndpoint_Hs256ProofKeyedWithThePublicKey_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var nonce = await agent.NonceAsync(http);
        var jwk = AgentKit.PublicJwk(dpop);
        var header = Base64UrlEncoder.Encode(new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "HS256", ["jwk"] = jwk }.ToJsonString());
        var payload = Base64UrlEncoder.Encode(new JsonObject { ["jti"] = "x2", ["htm"] = "POST", ["htu"] = agent.TokenEndpoint, ["iat"] = AgentKit.Now(), ["nonce"] = nonce }.ToJsonString());
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(jwk.ToJsonString()), Encoding.ASCII.GetBytes(header + "." + payload));
        var from = await _refusals.LedgerSizeAsync();
        var answer = await agent.RequestTokenAsync(http, dpop, proof: header + "." + payload + "." + Base64UrlEncoder.Encode(mac));
        await _refusals.AssertTokenRefusedAsync(answer, "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task TokenEndpoint_PrivateKeyInsideJwkHeader_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var nonce = await agent.NonceAsync(http);
        var proof = AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce, bendHeader: h => h["jwk"] = AgentKit.PublicJwk(dpop, includePrivate: true));
        var from = await _refusals.LedgerSizeAsync();
        var answer = await agent.RequestTokenAsync(http, dpop, proof: proof);
        await _refusals.AssertTokenRefusedAsync(answer, "invalid_dpop_proof", from);
        Assert.Contains("private key", (string?)answer.Body["error_description"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenEndpoint_ProofSignedByAnotherKeyThanItsJwk_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        using var other = AgentKit.NewKey();
        var nonce = await agent.NonceAsync(http);
        var proof = AgentKit.Proof(other, "POST", agent.TokenEndpoint, nonce, bendHeader: h => h["jwk"] = AgentKit.PublicJwk(dpop));
        var from = await _refusals.LedgerSizeAsync();
        await _refusals.AssertTokenRefusedAsync(await agent.RequestTokenAsync(http, dpop, proof: proof), "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task TokenEndpoint_NoProofOrTwoProofs_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = agent.Assertion(),
        };
        var from = await _refusals.LedgerSizeAsync();
        await _refusals.AssertTokenRefusedAsync(await AgentKit.PostFormAsync(http, agent.TokenEndpoint, form, null), "invalid_dpop_proof", from);

        var nonce = await agent.NonceAsync(http);
        using var request = new HttpRequestMessage(HttpMethod.Post, agent.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("DPoP", AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce));
        request.Headers.Add("DPoP", AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce));
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_dpop_proof", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["error"]);
    }

    [Fact]
    public async Task TokenEndpoint_OversizedOrMalformedProof_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var nonce = await agent.NonceAsync(http);
        var huge = AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce, bend: p => p["padding"] = new string('a', 10_000));
        foreach (var proof in new[] { huge, "not.a.jwt", "eyJhbGciOiJFUzI1NiJ9", "!!!.???.###" })
        {
            var from = await _refusals.LedgerSizeAsync();
            await _refusals.AssertTokenRefusedAsync(await agent.RequestTokenAsync(http, dpop, proof: proof), "invalid_dpop_proof", from);
        }
    }

    // ---- Client authentication ----------------------------------------------------------------------

    [Fact]
    public async Task TokenEndpoint_ReusedClientAssertion_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var assertion = agent.Assertion();
        Assert.Equal(HttpStatusCode.OK, (await agent.RequestTokenAsync(http, dpop, assertion: assertion)).Status);
        var from = await _refusals.LedgerSizeAsync();
        await _refusals.AssertTokenRefusedAsync(await agent.RequestTokenAsync(http, dpop, assertion: assertion), "invalid_client", from, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TokenEndpoint_AssertionProblems_AreInvalidClient()
    {
        var (agent, http, dpop) = await AgentAsync();
        using var stranger = AgentKit.NewKey();
        var bad = new (string Why, string Assertion)[]
        {
            ("expired", agent.Assertion(p => p["exp"] = AgentKit.Now(-120))),
            ("lives an hour", agent.Assertion(p => p["exp"] = AgentKit.Now(3600))),
            ("other audience", agent.Assertion(p => p["aud"] = "https://elsewhere.example")),
            ("sub differs", agent.Assertion(p => p["sub"] = "support-desk/someone-else")),
            ("no jti", agent.Assertion(p => p.Remove("jti"))),
            ("signed by another key", new AgentKit(_server, agent.ClientId, stranger).Assertion()),
            ("unknown client", new AgentKit(_server, "support-desk/nobody", stranger).Assertion()),
            ("malformed", "abc.def"),
        };
        foreach (var (why, assertion) in bad)
        {
            var from = await _refusals.LedgerSizeAsync();
            var answer = await agent.RequestTokenAsync(http, dpop, assertion: assertion);
            Assert.True(answer.Error == "invalid_client", why + ": " + answer.Body.ToJsonString());
            await _refusals.AssertTokenRefusedAsync(answer, "invalid_client", from, HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task TokenEndpoint_DisabledAgent_GetsNoToken_AndItsTokenStopsWorking()
    {
        var (agent, http, dpop) = await AgentAsync();
        var token = await agent.TokenAsync(http, dpop);
        var agents = _server.Services.GetRequiredService<AgentService>();
        Assert.Equal(AgentOutcome.Done, (await agents.SetEnabledAsync("admin", agent.ClientId, enabled: false, Ct)).Outcome);

        var from = await _refusals.LedgerSizeAsync();
        await _refusals.AssertTokenRefusedAsync(await agent.RequestTokenAsync(http, dpop), "invalid_client", from, HttpStatusCode.Unauthorized);
        using var call = await agent.CallAsync(http, "/api/agent/whoami", token, dpop);
        await _refusals.AssertCallRefusedAsync(call, "invalid_token", from);
    }

    [Fact]
    public async Task HaltedWorkflow_GetsNoTokens_AndIssuedTokensStopAtOnce()
    {
        // Its own workflow: halting support-desk would disturb the other tests of this class.
        var (agent, http, dpop) = await AgentAsyncOn(RunningServer.OtherWorkflow);
        var token = await agent.TokenAsync(http, dpop);
        var killSwitch = _server.Services.GetRequiredService<KillSwitch>();
        Assert.True(await killSwitch.HaltAsync("operator", RunningServer.OtherWorkflow, "refunds misfiring", Ct));
        try
        {
            var from = await _refusals.LedgerSizeAsync();
            using var call = await agent.CallAsync(http, "/api/agent/whoami", token, dpop);
            await _refusals.AssertCallRefusedAsync(call, "invalid_token", from);
            var answer = await agent.RequestTokenAsync(http, dpop);
            await _refusals.AssertTokenRefusedAsync(answer, "unauthorized_client", from);
            Assert.Contains("halted", (string?)answer.Body["error_description"], StringComparison.Ordinal);
        }
        finally
        {
            await killSwitch.ResumeAsync("operator", RunningServer.OtherWorkflow, "fixed", Ct);
        }

        Assert.Equal(HttpStatusCode.OK, (await agent.RequestTokenAsync(http, dpop)).Status);
    }

    private async Task<(AgentKit Agent, HttpClient Http, ECDsa Dpop)> AgentAsyncOn(string workflow)
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder", workflow: workflow);
        return (agent, _server.Client(), AgentKit.NewKey());
    }

    // ---- Scope, audience, grant -----------------------------------------------------------------------

    [Fact]
    public async Task TokenEndpoint_ScopeBeyondRole_IsRefusedNotTrimmed()
    {
        var (agent, http, dpop) = await AgentAsync("researcher");
        var from = await _refusals.LedgerSizeAsync();
        var answer = await agent.RequestTokenAsync(http, dpop, new Dictionary<string, string> { ["scope"] = "cases:read cases:write" });
        await _refusals.AssertTokenRefusedAsync(answer, "invalid_scope", from);
    }

    [Fact]
    public async Task TokenEndpoint_UnknownResource_IsInvalidTarget()
    {
        var (agent, http, dpop) = await AgentAsync();
        var from = await _refusals.LedgerSizeAsync();
        var answer = await agent.RequestTokenAsync(http, dpop, new Dictionary<string, string> { ["resource"] = "https://billing.example/api" });
        await _refusals.AssertTokenRefusedAsync(answer, "invalid_target", from);
    }

    [Fact]
    public async Task TokenEndpoint_UnsupportedGrant_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var from = await _refusals.LedgerSizeAsync();
        var answer = await agent.RequestTokenAsync(http, dpop, new Dictionary<string, string> { ["grant_type"] = "password" });
        await _refusals.AssertTokenRefusedAsync(answer, "unsupported_grant_type", from);
    }

    // ---- Token exchange ---------------------------------------------------------------------------------

    [Fact]
    public async Task Exchange_WideningScope_IsRefused()
    {
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        var (researcher, http, childKey) = await AgentAsync("researcher");
        using var parentKey = AgentKit.NewKey();
        var narrow = await responder.TokenAsync(http, parentKey, scope: "cases:write");
        var from = await _refusals.LedgerSizeAsync();
        // cases:read is in the researcher's role but not in the subject token: granting it would widen the delegation.
        await _refusals.AssertTokenRefusedAsync(await researcher.ExchangeAsync(http, childKey, narrow, scope: "cases:read"), "invalid_scope", from);
        await _refusals.AssertTokenRefusedAsync(await researcher.ExchangeAsync(http, childKey, narrow), "invalid_scope", from);
    }

    [Fact]
    public async Task Exchange_NeverOutlivesTheSubjectToken()
    {
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        var (researcher, http, childKey) = await AgentAsync("researcher");
        using var parentKey = AgentKit.NewKey();
        var exp = AgentKit.Now(30);
        var subject = AgentKit.Forge(_server, p => { p["exp"] = exp; p["scope"] = "cases:read"; }, parentKey, responder.ClientId);
        var answer = await researcher.ExchangeAsync(http, childKey, subject);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.True((long)AgentKit.Claims(answer.AccessToken!)["exp"]! <= exp);
        Assert.True((int)answer.Body["expires_in"]! <= 31);
    }

    [Fact]
    public async Task Exchange_ByAnActorThatMayNotAct_IsRefused()
    {
        // Responders may act for people, not for researchers.
        var researcher = await AgentKit.RegisterAsync(_server, "researcher");
        var (responder, http, key) = await AgentAsync("responder");
        using var researcherKey = AgentKit.NewKey();
        var subject = await researcher.TokenAsync(http, researcherKey);
        var from = await _refusals.LedgerSizeAsync();
        await _refusals.AssertTokenRefusedAsync(await responder.ExchangeAsync(http, key, subject), "unauthorized_client", from);
    }

    [Fact]
    public async Task Exchange_ForeignOrInvalidSubjectToken_IsInvalidGrant()
    {
        var (researcher, http, key) = await AgentAsync("researcher");
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        using var parentKey = AgentKit.NewKey();
        var expired = AgentKit.Forge(_server, p => p["exp"] = AgentKit.Now(-600), parentKey, responder.ClientId);
        var from = await _refusals.LedgerSizeAsync();
        await _refusals.AssertTokenRefusedAsync(await researcher.ExchangeAsync(http, key, expired), "invalid_grant", from);
        await _refusals.AssertTokenRefusedAsync(await researcher.ExchangeAsync(http, key, "eyJ.eyJ.sig"), "invalid_grant", from);
    }

    [Fact]
    public async Task Exchange_ToAnAudienceTheSubjectLacks_IsInvalidTarget()
    {
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        var (researcher, http, key) = await AgentAsync("researcher");
        using var parentKey = AgentKit.NewKey();
        var subject = await responder.TokenAsync(http, parentKey);
        var from = await _refusals.LedgerSizeAsync();
        await _refusals.AssertTokenRefusedAsync(await researcher.ExchangeAsync(http, key, subject, extra: new Dictionary<string, string> { ["resource"] = "https://billing.example/api" }), "invalid_target", from);
    }

    // ---- Access tokens at the agent API ------------------------------------------------------------------

    [Fact]
    public async Task AgentApi_BoundTokenWithoutProof_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var token = await agent.TokenAsync(http, dpop);
        var from = await _refusals.LedgerSizeAsync();
        using var call = await agent.CallAsync(http, "/api/agent/whoami", token, null);
        await _refusals.AssertCallRefusedAsync(call, "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task AgentApi_BoundTokenWithAnotherKeysProof_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        using var thief = AgentKit.NewKey();
        var token = await agent.TokenAsync(http, dpop);
        var from = await _refusals.LedgerSizeAsync();
        using var call = await agent.CallAsync(http, "/api/agent/whoami", token, thief);
        await _refusals.AssertCallRefusedAsync(call, "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task AgentApi_BoundTokenAsBearer_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var token = await agent.TokenAsync(http, dpop);
        var from = await _refusals.LedgerSizeAsync();
        using var call = await agent.CallAsync(http, "/api/agent/whoami", token, null, scheme: "Bearer");
        await _refusals.AssertCallRefusedAsync(call, "invalid_token", from);
    }

    [Fact]
    public async Task AgentApi_ReplayedProof_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var token = await agent.TokenAsync(http, dpop);
        var proof = AgentKit.Proof(dpop, "GET", agent.Issuer + "/api/agent/whoami", accessToken: token);
        using var first = await agent.CallAsync(http, "/api/agent/whoami", token, dpop, proof: proof);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var from = await _refusals.LedgerSizeAsync();
        using var replay = await agent.CallAsync(http, "/api/agent/whoami", token, dpop, proof: proof);
        await _refusals.AssertCallRefusedAsync(replay, "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task AgentApi_ProofWithoutAthOrForAnotherPath_IsRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var token = await agent.TokenAsync(http, dpop);
        foreach (var proof in new[]
        {
            AgentKit.Proof(dpop, "GET", agent.Issuer + "/api/agent/whoami"),
            AgentKit.Proof(dpop, "GET", agent.Issuer + "/api/agent/other", accessToken: token),
            AgentKit.Proof(dpop, "POST", agent.Issuer + "/api/agent/whoami", accessToken: token),
        })
        {
            var from = await _refusals.LedgerSizeAsync();
            using var call = await agent.CallAsync(http, "/api/agent/whoami", token, dpop, proof: proof);
            await _refusals.AssertCallRefusedAsync(call, "invalid_dpop_proof", from);
        }
    }

    [Fact]
    public async Task AgentApi_ForgedTokens_AreRefused()
    {
        var (agent, http, dpop) = await AgentAsync();
        var jwk = AgentKit.PublicJwk(dpop);
        var jkt = Base64UrlEncoder.Encode(new JsonWebKey(jwk.ToJsonString()).ComputeJwkThumbprint());
        var claims = new JsonObject
        {
            ["iss"] = agent.Issuer, ["sub"] = agent.ClientId, ["aud"] = agent.Issuer + "/api", ["iat"] = AgentKit.Now(), ["exp"] = AgentKit.Now(300),
            ["jti"] = "forged", ["client_id"] = agent.ClientId, ["scope"] = "cases:write", ["cnf"] = new JsonObject { ["jkt"] = jkt },
        };
        var none = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"at+jwt\"}") + "." + Base64UrlEncoder.Encode(claims.ToJsonString()) + ".";

        // HS256 keyed with the server's public JWKS text: the classic key-confusion attack.
        var jwks = await http.GetStringAsync(agent.Issuer + "/oauth/jwks", Ct);
        var publicKey = JsonNode.Parse(jwks)!["keys"]![0]!;
        var hsHeader = Base64UrlEncoder.Encode(new JsonObject { ["alg"] = "HS256", ["typ"] = "at+jwt", ["kid"] = (string?)publicKey["kid"] }.ToJsonString());
        var hsBody = Base64UrlEncoder.Encode(claims.ToJsonString());
        var hs = hsHeader + "." + hsBody + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(publicKey.ToJsonString()), Encoding.ASCII.GetBytes(hsHeader + "." + hsBody)));

        var forged = new (string Why, string Token)[]
        {
            ("alg none", none),
            ("HS256 with the public key", hs),
            ("signed by the agent itself", AgentKit.Sign(agent.Key, new JsonObject { ["alg"] = "ES256", ["typ"] = "at+jwt", ["kid"] = (string?)publicKey["kid"] }, claims)),
            ("expired", AgentKit.Forge(_server, p => p["exp"] = AgentKit.Now(-120), dpop, agent.ClientId)),
            ("not yet valid", AgentKit.Forge(_server, p => p["nbf"] = AgentKit.Now(600), dpop, agent.ClientId)),
            ("wrong audience", AgentKit.Forge(_server, p => p["aud"] = "https://billing.example/api", dpop, agent.ClientId)),
            ("wrong issuer", AgentKit.Forge(_server, p => p["iss"] = "https://idp.elsewhere.example", dpop, agent.ClientId)),
            ("oversized", AgentKit.Forge(_server, p => p["padding"] = new string('x', 20_000), dpop, agent.ClientId)),
            ("garbage", "a.b.c"),
        };
        foreach (var (why, token) in forged)
        {
            var from = await _refusals.LedgerSizeAsync();
            using var call = await agent.CallAsync(http, "/api/agent/whoami", token, dpop);
            Assert.True(call.StatusCode == HttpStatusCode.Unauthorized, why);
            await _refusals.AssertCallRefusedAsync(call, "invalid_token", from);
        }
    }

    [Fact]
    public async Task AgentApi_TokenWithoutTheNeededScope_IsInsufficientScope()
    {
        var (agent, http, dpop) = await AgentAsync();
        var narrow = await agent.TokenAsync(http, dpop, scope: "cases:write");
        using var refused = await agent.CallAsync(http, "/api/agent/workflow", narrow, dpop);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var challenge = refused.Headers.WwwAuthenticate.ToString();
        Assert.Contains("error=\"insufficient_scope\"", challenge, StringComparison.Ordinal);
        Assert.Contains("scope=\"cases:read\"", challenge, StringComparison.Ordinal);

        var wide = await agent.TokenAsync(http, dpop, scope: "cases:read");
        using var allowed = await agent.CallAsync(http, "/api/agent/workflow", wide, dpop);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Contains("\"halted\":false", await allowed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentApi_NoToken_AnswersTheDPoPChallenge()
    {
        using var http = _server.Client();
        using var response = await http.GetAsync("/api/agent/whoami", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("DPoP algs=", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    // ---- Bad form bodies -----------------------------------------------------------------------------------

    [Fact]
    public async Task TokenEndpoint_BadBodies_AreInvalidRequest()
    {
        var (agent, http, _) = await AgentAsync();
        var bodies = new HttpContent[]
        {
            new StringContent("{\"grant_type\":\"client_credentials\"}", Encoding.UTF8, "application/json"),
            new StringContent("grant_type=client_credentials&grant_type=client_credentials", Encoding.ASCII, "application/x-www-form-urlencoded"),
            new StringContent("grant_type=client_credentials&client_assertion=" + new string('a', 40_000), Encoding.ASCII, "application/x-www-form-urlencoded"),
            new StringContent(string.Concat(Enumerable.Range(0, 200).Select(i => $"p{i}=v&")), Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        foreach (var body in bodies)
        {
            var from = await _refusals.LedgerSizeAsync();
            using var response = await http.PostAsync(agent.TokenEndpoint, body, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Equal("invalid_request", (string?)JsonNode.Parse(text)!["error"]);
            await _refusals.AssertRecordedAsync(from, "token.refused", "invalid_request");
        }
    }
}
