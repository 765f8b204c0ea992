using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Identity;

/// <summary>
/// JOSE strictness at the token endpoint and the agent API: critical header extensions (RFC 7515 section 4.1.11), an
/// htu with user information, and malformed keys in a DPoP proof's <c>jwk</c>. Each is refused with its OAuth error,
/// never a 500, no token works, and the refusal is in the ledger.
/// </summary>
public sealed class JoseStrictnessAttackTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;
    private readonly Refusals _refusals;

    public JoseStrictnessAttackTests(RunningServer server)
    {
        _server = server;
        _refusals = new Refusals(server);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly JsonArray UnknownCrit = ["urn:example:must-understand"];

    [Fact]
    public async Task TokenEndpoint_ProofWithCriticalExtension_IsRefused()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var nonce = await agent.NonceAsync(http);
        var proof = AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce, bendHeader: h =>
        {
            h["crit"] = UnknownCrit.DeepClone();
            h["urn:example:must-understand"] = true;
        });
        var from = await _refusals.LedgerSizeAsync();
        await _refusals.AssertTokenRefusedAsync(await agent.RequestTokenAsync(http, dpop, proof: proof), "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task TokenEndpoint_ClientAssertionWithCriticalExtension_IsInvalidClient()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var payload = new JsonObject
        {
            ["iss"] = agent.ClientId, ["sub"] = agent.ClientId, ["aud"] = agent.Issuer, ["iat"] = AgentKit.Now(), ["exp"] = AgentKit.Now(60), ["jti"] = Guid.NewGuid().ToString("N"),
        };
        var assertion = AgentKit.Sign(agent.Key, new JsonObject { ["alg"] = "ES256", ["typ"] = "JWT", ["crit"] = UnknownCrit.DeepClone(), ["urn:example:must-understand"] = true }, payload);
        var from = await _refusals.LedgerSizeAsync();
        await _refusals.AssertTokenRefusedAsync(await agent.RequestTokenAsync(http, dpop, assertion: assertion), "invalid_client", from, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AgentApi_AccessTokenWithCriticalExtension_IsRefused()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var token = AgentKit.Forge(_server, _ => { }, dpop, agent.ClientId, bendHeader: h => h["crit"] = UnknownCrit.DeepClone());
        var from = await _refusals.LedgerSizeAsync();
        using var call = await agent.CallAsync(http, "/api/agent/whoami", token, dpop);
        await _refusals.AssertCallRefusedAsync(call, "invalid_token", from);
    }

    [Fact]
    public async Task TokenEndpoint_HtuWithUserInfo_IsRefused()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var nonce = await agent.NonceAsync(http);
        var withUser = new UriBuilder(agent.TokenEndpoint) { UserName = "user" }.Uri.ToString();
        Assert.Contains("user@", withUser, StringComparison.Ordinal);
        var from = await _refusals.LedgerSizeAsync();
        var answer = await agent.RequestTokenAsync(http, dpop, proof: AgentKit.Proof(dpop, "POST", withUser, nonce));
        await _refusals.AssertTokenRefusedAsync(answer, "invalid_dpop_proof", from);
    }

    [Fact]
    public async Task AgentApi_HtuWithUserInfo_IsRefused()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var token = await agent.TokenAsync(http, dpop);
        var withUser = new UriBuilder(agent.Issuer + "/api/agent/whoami") { UserName = "user", Password = "secret" }.Uri.ToString();
        var from = await _refusals.LedgerSizeAsync();
        using var call = await agent.CallAsync(http, "/api/agent/whoami", token, dpop, proof: AgentKit.Proof(dpop, "GET", withUser, accessToken: token));
        await _refusals.AssertCallRefusedAsync(call, "invalid_dpop_proof", from);
    }

    /// <summary>Malformed public keys a proof's header may carry (the proof itself is signed with a good EC key).</summary>
    public static TheoryData<string, string> MalformedJwks() => new()
    {
        { "RSA n not base64url", """{"kty":"RSA","n":"%%%not*base64%%%","e":"AQAB"}""" },
        { "RSA n of a bad length", """{"kty":"RSA","n":"A","e":"AQAB"}""" },
        { "RSA e not base64url", "{\"kty\":\"RSA\",\"n\":\"" + Base64UrlEncoder.Encode(new byte[256]) + "\",\"e\":\"$$\"}" },
        { "RSA n a number", """{"kty":"RSA","n":12345,"e":"AQAB"}""" },
        { "EC x too short", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + Base64UrlEncoder.Encode(new byte[31]) + "\",\"y\":\"" + Base64UrlEncoder.Encode(new byte[32]) + "\"}" },
        { "EC y not base64url", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + Base64UrlEncoder.Encode(new byte[32]) + "\",\"y\":\"!!!!\"}" },
        { "EC without crv", "{\"kty\":\"EC\",\"x\":\"" + Base64UrlEncoder.Encode(new byte[32]) + "\",\"y\":\"" + Base64UrlEncoder.Encode(new byte[32]) + "\"}" },
        { "EC x not a string", """{"kty":"EC","crv":"P-256","x":[1,2],"y":"AAAA"}""" },
    };

    [Theory]
    [MemberData(nameof(MalformedJwks))]
    public async Task TokenEndpoint_ProofWithMalformedJwk_IsInvalidDPoPProof_AndRecorded(string why, string jwk)
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var nonce = await agent.NonceAsync(http);
        var alg = jwk.Contains("RSA", StringComparison.Ordinal) ? "RS256" : "ES256";
        var proof = AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce, bendHeader: h => { h["jwk"] = JsonNode.Parse(jwk); h["alg"] = alg; });
        var from = await _refusals.LedgerSizeAsync();
        var answer = await agent.RequestTokenAsync(http, dpop, proof: proof);
        Assert.True(answer.Status == HttpStatusCode.BadRequest, why + ": " + answer.Status);
        await _refusals.AssertTokenRefusedAsync(answer, "invalid_dpop_proof", from);
    }

    [Theory]
    [MemberData(nameof(MalformedJwks))]
    public async Task AgentApi_ProofWithMalformedJwk_IsInvalidDPoPProof_AndRecorded(string why, string jwk)
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var token = await agent.TokenAsync(http, dpop);
        var alg = jwk.Contains("RSA", StringComparison.Ordinal) ? "RS256" : "ES256";
        var proof = AgentKit.Proof(dpop, "GET", agent.Issuer + "/api/agent/whoami", accessToken: token, bendHeader: h => { h["jwk"] = JsonNode.Parse(jwk); h["alg"] = alg; });
        var from = await _refusals.LedgerSizeAsync();
        using var call = await agent.CallAsync(http, "/api/agent/whoami", token, dpop, proof: proof);
        Assert.True(call.StatusCode == HttpStatusCode.Unauthorized, why + ": " + call.StatusCode);
        await _refusals.AssertCallRefusedAsync(call, "invalid_dpop_proof", from);
    }
}
