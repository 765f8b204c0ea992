using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Server;
using Skybridge.Client;
using Skybridge.Core.Identity;
using Skybridge.Application.Governance;
using Skybridge.Server.Hosting;
using Skybridge.Server.Authentication;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;
using Skybridge.Application.Agents;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Client.Tests;

/// <summary>A node that also demands a server nonce in proofs sent to agent APIs.</summary>
public sealed class NonceServer : RunningServer
{
    protected override SkybridgeServerOptions Adjust(SkybridgeServerOptions options) => options with { RequireNonceOnResources = true };
}

/// <summary>The C# client against a real node over sockets, as an agent author would use it.</summary>
public sealed class ClientTests : IClassFixture<NonceServer>
{
    private readonly NonceServer _server;

    public ClientTests(NonceServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Registers an agent through the node's service and returns its credentials file, as the CLI writes it.</summary>
    private async Task<SkybridgeAgentCredentials> RegisterAsync(string role, string workflow = RunningServer.Workflow)
    {
        var pair = AgentKeyPair.Generate();
        var name = role + "-" + Guid.NewGuid().ToString("N")[..6];
        var result = await _server.Services.GetRequiredService<AgentService>().RegisterAsync("admin", workflow, name, role, pair.PublicJwk, Ct);
        Assert.Equal(AgentOutcome.Done, result.Outcome);
        var issuer = _server.BaseAddress.ToString().TrimEnd('/');
        return SkybridgeAgentCredentials.Parse(pair.CredentialsJson(issuer, result.Agent!.ClientId, workflow, role, string.Join(' ', result.RoleScopes)));
    }

    [Fact]
    public async Task TokenClient_AsksForTheNonceOnce_ThenKeepsUsingTheNewest()
    {
        var credentials = await RegisterAsync("responder");
        var transport = new CountingTransport(new SocketsHttpHandler());
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(transport));

        // First contact: the server answers use_dpop_nonce with its nonce, the client retries once (RFC 9449 section 8).
        var first = await tokens.RequestTokenAsync(cancellationToken: Ct);
        Assert.Equal(2, transport.Calls);
        // Later requests carry the nonce the server gave last: one round trip each.
        var second = await tokens.RequestTokenAsync(cancellationToken: Ct);
        Assert.Equal(3, transport.Calls);
        Assert.NotEqual(first.AccessToken, second.AccessToken);
        Assert.InRange(first.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task Exchange_CanOnlyNarrow_AWiderScopeIsRefused()
    {
        // The responder may write cases; the researcher acting for it may not, whatever it asks for.
        var parent = await RegisterAsync("responder");
        var child = await RegisterAsync("researcher");
        using var parentTokens = new SkybridgeTokenClient(parent);
        using var childTokens = new SkybridgeTokenClient(child);
        var subject = await parentTokens.GetAccessTokenAsync(Ct);

        var widened = await Assert.ThrowsAsync<SkybridgeTokenException>(() => childTokens.ExchangeAsync(subject, "cases:write", cancellationToken: Ct));
        Assert.Equal("invalid_scope", widened.Error);
        Assert.DoesNotContain(subject, widened.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handler_ARevokedToken_IsReplacedOnce_AndTheCallSucceeds()
    {
        var credentials = await RegisterAsync("responder");
        var transport = new CountingTransport(new SocketsHttpHandler());
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(transport));
        using var http = new HttpClient(new SkybridgeAgentHandler(tokens) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = credentials.Issuer };
        var revoked = await tokens.GetAccessTokenAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/agent/whoami", Ct)).StatusCode);

        // Another process of the same agent revokes the token (RFC 7009); this client still has it cached.
        using (var elsewhere = new SkybridgeTokenClient(credentials))
        {
            await elsewhere.RevokeAsync(revoked, Ct);
        }

        var calls = transport.Calls;
        using var response = await http.GetAsync("/api/agent/whoami", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(calls + 1, transport.Calls);
        Assert.NotEqual(revoked, await tokens.GetAccessTokenAsync(Ct));
    }

    [Fact]
    public async Task Options_NarrowTheScope_AndAMissingScopeIsA403WithoutRetry()
    {
        var credentials = await RegisterAsync("responder");
        var transport = new CountingTransport(new SocketsHttpHandler());
        using var narrow = SkybridgeAgent.CreateHttpClient(credentials, new SkybridgeAgentOptions { Scope = "actions:propose", InnerHandler = transport });
        var me = await narrow.GetFromJsonAsync<JsonElement>("/api/agent/whoami", Ct);
        Assert.Equal("actions:propose", me.GetProperty("scope").GetString());

        var calls = transport.Calls;
        using var refused = await narrow.GetAsync("/api/agent/workflow", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("insufficient_scope", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(calls + 1, transport.Calls);

        using var wide = SkybridgeAgent.CreateHttpClient(credentials);
        var workflow = await wide.GetFromJsonAsync<JsonElement>("/api/agent/workflow", Ct);
        Assert.Equal(RunningServer.Workflow, workflow.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Halt_StopsTheAgentAtOnce_WithTheRfcErrorCode()
    {
        var credentials = await RegisterAsync("responder", RunningServer.OtherWorkflow);
        using var http = SkybridgeAgent.CreateHttpClient(credentials);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/agent/whoami", Ct)).StatusCode);

        var kill = _server.Services.GetRequiredService<KillSwitch>();
        Assert.True(await kill.HaltAsync("admin", RunningServer.OtherWorkflow, "client test", Ct));
        try
        {
            // The cached token is refused (invalid_token); the handler asks for a new one once, and the token
            // endpoint refuses it for the halted workflow.
            var refused = await Assert.ThrowsAsync<SkybridgeTokenException>(() => http.GetAsync("/api/agent/whoami", Ct));
            Assert.Equal("unauthorized_client", refused.Error);
            Assert.Contains("halted", refused.ErrorDescription, StringComparison.Ordinal);
        }
        finally
        {
            await kill.ResumeAsync("admin", RunningServer.OtherWorkflow, "client test done", Ct);
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/agent/whoami", Ct)).StatusCode);
    }

    [Fact]
    public async Task CreateHttpClient_GovernsAnAgentInAFewLines()
    {
        var credentials = await RegisterAsync("responder");
        using var http = SkybridgeAgent.CreateHttpClient(credentials);
        var me = await http.GetFromJsonAsync<JsonElement>("/api/agent/whoami", Ct);
        Assert.Equal(credentials.ClientId, me.GetProperty("clientId").GetString());
        Assert.Equal("actions:propose cases:read cases:write", me.GetProperty("scope").GetString());

        // The token is cached: a second call makes no new token request.
        var before = await TokenEventsAsync();
        var again = await http.GetFromJsonAsync<JsonElement>("/api/agent/whoami", Ct);
        Assert.Equal(credentials.ClientId, again.GetProperty("clientId").GetString());
        Assert.Equal(before, await TokenEventsAsync());
    }

    [Fact]
    public async Task CreateHttpClient_ManyCallsAtOnce_OneTokenAndEveryProofAccepted()
    {
        var credentials = await RegisterAsync("responder");
        using var http = SkybridgeAgent.CreateHttpClient(credentials);
        var before = await TokenEventsAsync();

        // Each request gets its own proof (unique jti, the server refuses a replay); they share one token fetch.
        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => http.GetAsync("/api/agent/whoami", Ct)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var response in responses)
        {
            response.Dispose();
        }

        Assert.Equal(before + 1, await TokenEventsAsync());
    }

    private async Task<int> TokenEventsAsync() =>
        (await _server.Store.ReadLedgerEventsAsync(0, 100_000, Ct)).Count(e => e.Type is "token.issued" or "token.exchanged");

    [Fact]
    public async Task DelegatedClient_ExchangesTheParentsToken_AndCarriesTheActorChain()
    {
        var parent = await RegisterAsync("responder");
        var child = await RegisterAsync("researcher");
        using var parentTokens = new SkybridgeTokenClient(parent);
        using var http = SkybridgeAgent.CreateDelegatedHttpClient(child, parentTokens.GetAccessTokenAsync, scope: "cases:read");
        var me = await http.GetFromJsonAsync<JsonElement>("/api/agent/whoami", Ct);
        Assert.Equal(parent.ClientId, me.GetProperty("subject").GetString());
        Assert.Equal(child.ClientId, me.GetProperty("clientId").GetString());
        Assert.Equal([child.ClientId], me.GetProperty("actors").EnumerateArray().Select(a => a.GetString()).ToArray());
        Assert.Equal("cases:read", me.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task TokenClient_RefusalsCarryTheRfcErrorCode_AndNoSecrets()
    {
        var researcher = await RegisterAsync("researcher");
        using var tokens = new SkybridgeTokenClient(researcher);
        var widened = await Assert.ThrowsAsync<SkybridgeTokenException>(() => tokens.RequestTokenAsync("cases:write", cancellationToken: Ct));
        Assert.Equal("invalid_scope", widened.Error);
        Assert.Equal(HttpStatusCode.BadRequest, widened.Status);

        await _server.Services.GetRequiredService<AgentService>().SetEnabledAsync("admin", researcher.ClientId, enabled: false, Ct);
        var disabled = await Assert.ThrowsAsync<SkybridgeTokenException>(() => tokens.RequestTokenAsync(cancellationToken: Ct));
        Assert.Equal("invalid_client", disabled.Error);
        Assert.DoesNotContain("eyJ", disabled.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proofs_PassTheServersOwnChecks_WithQueryAndFragmentLeftOut()
    {
        using var key = DPoPKey.Create();
        var uri = new Uri(_server.BaseAddress, "/api/agent/whoami?verbose=1#top");
        var proof = key.CreateProof(HttpMethod.Get, uri, nonce: "n-1", accessToken: "token-text");
        var check = DPoPProofValidator.Validate(proof, new DPoPProofExpectation
        {
            Method = "GET", Uri = new Uri(_server.BaseAddress, "/api/agent/whoami"), NonceIsCurrent = n => n == "n-1",
            AccessToken = "token-text", BoundKeyThumbprint = key.Thumbprint,
        }, DateTimeOffset.UtcNow, new IdentitySettings());
        Assert.True(check.IsValid, check.Error?.Description);
        Assert.DoesNotContain("\"d\"", System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(proof.Split('.')[0])), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handler_RetriesOnceForANonce_NotForever()
    {
        var credentials = await RegisterAsync("responder");
        var transport = new CountingTransport(new SocketsHttpHandler());
        using var tokens = new SkybridgeTokenClient(credentials, new HttpClient(new SocketsHttpHandler()));
        using var http = new HttpClient(new SkybridgeAgentHandler(tokens) { InnerHandler = transport }) { BaseAddress = credentials.Issuer };

        // A proof with a nonce the server does not know: the server answers use_dpop_nonce with a fresh one, the
        // handler retries once with it, and the call succeeds.
        await tokens.GetAccessTokenAsync(Ct);
        tokens.Remember(credentials.Issuer, Stale());
        using var response = await http.GetAsync("/api/agent/whoami", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, transport.Calls);

        // A server that keeps asking gets exactly one retry, then the 401 reaches the caller.
        var stubborn = new CountingTransport(new AlwaysNonce());
        using var stuck = new HttpClient(new SkybridgeAgentHandler(tokens) { InnerHandler = stubborn }) { BaseAddress = credentials.Issuer };
        using var refused = await stuck.PostAsync("/api/agent/whoami", new StringContent("body"), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(2, stubborn.Calls);
        Assert.Equal(["body", "body"], stubborn.Bodies);
    }

    private static HttpResponseMessage Stale()
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.Add("DPoP-Nonce", "bm90LWEtbm9uY2UtZnJvbS10aGlzLXNlcnZlcg");
        return response;
    }

    [Fact]
    public void Credentials_ProblemsNameTheFileAndNeverTheKey()
    {
        var pair = AgentKeyPair.Generate();
        var good = pair.CredentialsJson("https://sky.example", "support-desk/a", "support-desk", "responder", "cases:read");
        var doc = JsonDocument.Parse(good);
        var d = doc.RootElement.GetProperty("key").GetProperty("d").GetString()!;

        var noPrivate = good.Replace($"\"d\": \"{d}\",", "", StringComparison.Ordinal);
        var error = Assert.Throws<SkybridgeCredentialsException>(() => SkybridgeAgentCredentials.Parse(noPrivate, "agent.json"));
        Assert.Contains("agent.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("no private part", error.Message, StringComparison.Ordinal);

        var broken = good.Replace("\"client_id\"", "\"client\"", StringComparison.Ordinal).Replace("https://sky.example\"", "sky.example\"", StringComparison.Ordinal);
        error = Assert.Throws<SkybridgeCredentialsException>(() => SkybridgeAgentCredentials.Parse(broken, "agent.json"));
        Assert.Contains("'client_id' is missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("'issuer' is not an http(s) URL", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(d, error.Message, StringComparison.Ordinal);

        Assert.Throws<SkybridgeCredentialsException>(() => SkybridgeAgentCredentials.Load("/nonexistent/agent.json"));
        Assert.Equal("support-desk/a", SkybridgeAgentCredentials.Parse(good).ClientId);
    }

    private sealed class CountingTransport(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public int Calls { get; private set; }
        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            if (request.Content is not null)
            {
                Bodies.Add(await request.Content.ReadAsStringAsync(cancellationToken));
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>A misbehaving resource server that asks for a new nonce on every request.</summary>
    private sealed class AlwaysNonce : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(HttpStatusCode.Unauthorized) { RequestMessage = request };
            response.Headers.WwwAuthenticate.ParseAdd("DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\"");
            response.Headers.Add("DPoP-Nonce", Guid.NewGuid().ToString("N"));
            return Task.FromResult(response);
        }
    }
}

/// <summary>The client's action API against a real node (the sample at L0: proposals are recorded for a person).</summary>
public sealed class ActionClientTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public ActionClientTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpClient> AgentAsync()
    {
        var pair = AgentKeyPair.Generate();
        var result = await _server.Services.GetRequiredService<AgentService>().RegisterAsync("admin", RunningServer.Workflow, "actor-" + Guid.NewGuid().ToString("N")[..6], "responder", pair.PublicJwk, Ct);
        var issuer = _server.BaseAddress.ToString().TrimEnd('/');
        return SkybridgeAgent.CreateHttpClient(SkybridgeAgentCredentials.Parse(pair.CredentialsJson(issuer, result.Agent!.ClientId, RunningServer.Workflow, "responder", string.Join(' ', result.RoleScopes))));
    }

    private async Task<string> CaseAsync()
    {
        var id = "case-" + Guid.NewGuid().ToString("N")[..12];
        await _server.Store.SaveCaseAsync(new Skybridge.Storage.StoredCase(id, RunningServer.Workflow, "test", "Refund my order", "{}", false, DateTimeOffset.UtcNow), Ct);
        return id;
    }

    [Fact]
    public async Task Propose_AtL0_IsRecorded_AndARetryWithTheKeyIsTheSameAction()
    {
        using var http = await AgentAsync();
        var actions = new SkybridgeActions(http);
        var caseId = await CaseAsync();
        var parameters = new System.Text.Json.Nodes.JsonObject { ["order_id"] = "SO-000001", ["amount"] = 30, ["currency"] = "EUR" };

        var first = await actions.ProposeAsync(caseId, "refund", parameters, "k-1", Ct);
        var again = await actions.ProposeAsync(caseId, "refund", parameters, "k-1", Ct);

        Assert.Equal("recorded", first.Status);
        Assert.False(first.IsOpen);
        Assert.Equal(first.ActionId, again.ActionId);
        Assert.Equal(64, first.CallDigest.Length);
        Assert.Equal("recorded", (await actions.WaitAsync(first.ActionId, TimeSpan.FromSeconds(1), Ct)).Status);
    }

    [Fact]
    public async Task Propose_ParametersOffTheSchema_ThrowWithEveryProblem()
    {
        using var http = await AgentAsync();
        var actions = new SkybridgeActions(http);
        var caseId = await CaseAsync();

        var refused = await Assert.ThrowsAsync<SkybridgeActionException>(() => actions.ProposeAsync(caseId, "refund",
            new System.Text.Json.Nodes.JsonObject { ["order_id"] = "nope", ["amount"] = 5000, ["currency"] = "EUR", ["skip_approval"] = true }, "k-2", Ct));

        Assert.Equal("invalid_parameters", refused.Code);
        Assert.Equal(2, refused.Problems!.Count); // skip_approval unknown, order_id off its pattern
    }
}
