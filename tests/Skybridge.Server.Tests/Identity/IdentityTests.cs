using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Server.Authentication;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;
using Skybridge.Application.Agents;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Identity;

/// <summary>The token service as agents use it, over real sockets: issue, call, exchange, introspect, revoke, rotate.</summary>
public sealed class IdentityTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public IdentityTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metadata_NamesEndpointsAndMethods_PerRfc8414()
    {
        using var http = _server.Client();
        var metadata = await http.GetFromJsonAsync<JsonElement>("/.well-known/oauth-authorization-server", Ct);
        var issuer = _server.BaseAddress.ToString().TrimEnd('/');
        Assert.Equal(issuer, metadata.GetProperty("issuer").GetString());
        Assert.Equal(issuer + "/oauth/token", metadata.GetProperty("token_endpoint").GetString());
        Assert.Contains("private_key_jwt", metadata.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("ES256", metadata.GetProperty("dpop_signing_alg_values_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("urn:ietf:params:oauth:grant-type:token-exchange", metadata.GetProperty("grant_types_supported").EnumerateArray().Select(e => e.GetString()));

        using var jwks = await http.GetAsync(metadata.GetProperty("jwks_uri").GetString(), Ct);
        Assert.Equal("application/jwk-set+json", jwks.Content.Headers.ContentType!.MediaType);
        var keys = JsonNode.Parse(await jwks.Content.ReadAsStringAsync(Ct))!["keys"]!.AsArray();
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Null(k!["d"]));
    }

    [Fact]
    public async Task ClientCredentials_GivesDPoPBoundShortLivedToken_ThatCallsTheAgentApi()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();

        // The first request has no nonce: the server asks for one (RFC 9449 section 8) and issues nothing.
        var first = await AgentKit.PostFormAsync(http, agent.TokenEndpoint, new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = agent.Assertion(),
        }, AgentKit.Proof(dpop, "POST", agent.TokenEndpoint));
        Assert.Equal(HttpStatusCode.BadRequest, first.Status);
        Assert.Equal("use_dpop_nonce", first.Error);
        var nonce = first.Headers.GetValues("DPoP-Nonce").Single();

        var second = await AgentKit.PostFormAsync(http, agent.TokenEndpoint, new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = agent.Assertion(),
            ["scope"] = "cases:write",
        }, AgentKit.Proof(dpop, "POST", agent.TokenEndpoint, nonce));
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal("DPoP", (string?)second.Body["token_type"]);
        Assert.Equal(300, (int)second.Body["expires_in"]!);
        Assert.Equal("cases:write", (string?)second.Body["scope"]);
        Assert.Null(second.Body["refresh_token"]);
        Assert.Contains("no-store", second.Headers.CacheControl!.ToString(), StringComparison.Ordinal);

        var token = second.AccessToken!;
        var header = JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(token.Split('.')[0]))!;
        Assert.Equal("at+jwt", (string?)header["typ"]);
        Assert.Equal("ES256", (string?)header["alg"]);
        var claims = AgentKit.Claims(token);
        Assert.Equal(agent.ClientId, (string?)claims["sub"]);
        Assert.Equal(agent.Issuer + "/api", (string?)claims["aud"]);
        Assert.Equal("support-desk", (string?)claims["workflow"]);
        Assert.NotNull(claims["cnf"]!["jkt"]);

        using var whoami = await agent.CallAsync(http, "/api/agent/whoami", token, dpop);
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
        var me = await whoami.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(agent.ClientId, me.GetProperty("clientId").GetString());
        Assert.Equal("responder", me.GetProperty("role").GetString());
        Assert.Equal("cases:write", me.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task ClientCredentials_WithoutScope_GetsTheWholeRole()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var token = await agent.TokenAsync(http, dpop);
        Assert.Equal("actions:propose cases:read cases:write", (string?)AgentKit.Claims(token)["scope"]);
    }

    [Fact]
    public async Task TokenExchange_SubAgentGetsNarrowedToken_WithTheActorChain()
    {
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        var researcher = await AgentKit.RegisterAsync(_server, "researcher");
        using var http = _server.Client();
        using var parentKey = AgentKit.NewKey();
        using var childKey = AgentKit.NewKey();
        var parent = await responder.TokenAsync(http, parentKey);

        var exchanged = await researcher.ExchangeAsync(http, childKey, parent);
        Assert.Equal(HttpStatusCode.OK, exchanged.Status);
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", (string?)exchanged.Body["issued_token_type"]);
        Assert.Equal("cases:read", (string?)exchanged.Body["scope"]);
        var claims = AgentKit.Claims(exchanged.AccessToken!);
        Assert.Equal(responder.ClientId, (string?)claims["sub"]);
        Assert.Equal(researcher.ClientId, (string?)claims["act"]!["sub"]);
        Assert.Equal(researcher.ClientId, (string?)claims["client_id"]);
        Assert.True((long)claims["exp"]! <= (long)AgentKit.Claims(parent)["exp"]!);

        using var whoami = await researcher.CallAsync(http, "/api/agent/whoami", exchanged.AccessToken, childKey);
        Assert.Equal(HttpStatusCode.OK, whoami.StatusCode);
        var me = await whoami.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(responder.ClientId, me.GetProperty("subject").GetString());
        Assert.Equal([researcher.ClientId], me.GetProperty("actors").EnumerateArray().Select(a => a.GetString()).ToArray());

        // The parent's key cannot use the child's token: it is bound to the child's key.
        using var stolen = await researcher.CallAsync(http, "/api/agent/whoami", exchanged.AccessToken, parentKey);
        Assert.Equal(HttpStatusCode.Unauthorized, stolen.StatusCode);
    }

    [Fact]
    public async Task Introspection_ShowsActiveTokensOfTheOwnWorkflow_AndRevocationEndsThem()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var token = await agent.TokenAsync(http, dpop);

        var active = await AgentKit.PostFormAsync(http, agent.Issuer + "/oauth/introspect", Form(agent, ("token", token)), null);
        Assert.Equal(HttpStatusCode.OK, active.Status);
        Assert.True((bool)active.Body["active"]!);
        Assert.Equal(agent.ClientId, (string?)active.Body["client_id"]);
        Assert.Equal("DPoP", (string?)active.Body["token_type"]);

        var revoked = await AgentKit.PostFormAsync(http, agent.Issuer + "/oauth/revoke", Form(agent, ("token", token), ("token_type_hint", "access_token")), null);
        Assert.Equal(HttpStatusCode.OK, revoked.Status);

        var after = await AgentKit.PostFormAsync(http, agent.Issuer + "/oauth/introspect", Form(agent, ("token", token)), null);
        Assert.False((bool)after.Body["active"]!);
        Assert.Single(after.Body);
        using var call = await agent.CallAsync(http, "/api/agent/whoami", token, dpop);
        Assert.Equal(HttpStatusCode.Unauthorized, call.StatusCode);
        Assert.Contains("invalid_token", call.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);

        // Revoking garbage still answers 200 (RFC 7009 section 2.2): revocation tells nothing.
        var garbage = await AgentKit.PostFormAsync(http, agent.Issuer + "/oauth/revoke", Form(agent, ("token", "not-a-token")), null);
        Assert.Equal(HttpStatusCode.OK, garbage.Status);
    }

    [Fact]
    public async Task SigningKeyRotation_KeepsEarlierTokensValid_AndPublishesBothKeys()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var dpop = AgentKit.NewKey();
        var before = await agent.TokenAsync(http, dpop);
        var keys = _server.Services.GetRequiredService<TokenSigningKeys>();
        var newKid = await keys.RotateAsync(Ct);
        var after = await agent.TokenAsync(http, dpop);

        Assert.Equal(newKid, (string?)JsonNode.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(after.Split('.')[0]))!["kid"]);
        using var old = await agent.CallAsync(http, "/api/agent/whoami", before, dpop);
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        var jwks = JsonNode.Parse(await http.GetStringAsync("/oauth/jwks", Ct))!["keys"]!.AsArray();
        Assert.True(jwks.Count >= 2);
    }

    [Fact]
    public async Task AgentApi_PeopleRegisterListAndDisableAgents_WithTheirRole()
    {
        using var owner = await _server.SignedInClientAsync("owner");
        var jwk = JsonDocument.Parse(AgentKeyPair.Generate().PublicJwk).RootElement;
        using var created = await owner.PostAsJsonAsync("/api/workflows/support-desk/agents", new { name = "api-made", role = "responder", publicKey = jwk }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agent = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("support-desk/api-made", agent.GetProperty("clientId").GetString());

        using var again = await owner.PostAsJsonAsync("/api/workflows/support-desk/agents", new { name = "api-made", role = "responder", publicKey = jwk }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var privateJwk = AgentKit.PublicJwk(AgentKit.NewKey(), includePrivate: true);
        using var leaked = await owner.PostAsJsonAsync("/api/workflows/support-desk/agents", new { name = "leaky", role = "responder", publicKey = privateJwk }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, leaked.StatusCode);
        Assert.Contains("private key", await leaked.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var reviewer = await _server.SignedInClientAsync("reviewer");
        using var refused = await reviewer.PostAsync("/api/workflows/support-desk/agents/api-made/disable", null, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var disabled = await owner.PostAsync("/api/workflows/support-desk/agents/api-made/disable", null, Ct);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        var list = await reviewer.GetFromJsonAsync<JsonElement>("/api/workflows/support-desk/agents", Ct);
        Assert.Equal("disabled", list.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "api-made").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ledger_RecordsIssuanceAndExchange_WithoutTheTokens()
    {
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        var researcher = await AgentKit.RegisterAsync(_server, "researcher");
        using var http = _server.Client();
        using var k1 = AgentKit.NewKey();
        using var k2 = AgentKit.NewKey();
        var parent = await responder.TokenAsync(http, k1);
        var child = (await researcher.ExchangeAsync(http, k2, parent)).AccessToken!;

        var events = await _server.Store.ReadLedgerEventsAsync(0, 100_000, Ct);
        Assert.Contains(events, e => e.Type == "token.issued" && e.Body.Contains(responder.ClientId, StringComparison.Ordinal));
        Assert.Contains(events, e => e.Type == "token.exchanged" && e.Body.Contains(researcher.ClientId, StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Body.Contains(parent.Split('.')[2], StringComparison.Ordinal) || e.Body.Contains(child.Split('.')[2], StringComparison.Ordinal));
    }

    private static Dictionary<string, string> Form(AgentKit agent, params (string Key, string Value)[] fields)
    {
        var form = new Dictionary<string, string>
        {
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = agent.Assertion(),
        };
        foreach (var (k, v) in fields)
        {
            form[k] = v;
        }

        return form;
    }
}
