using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Client.Tests.Support;
using Skybridge.Server.Endpoints;
using Skybridge.Application.Tokens;
using Skybridge.Application.Agents;
using Skybridge.Server.Authentication;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Client.Tests;

/// <summary>People on the device authorization grant (RFC 8628): the polling rules, then a real node end to end.</summary>
public sealed class DeviceSignInTests : IClassFixture<RunningServer>
{
    private const string Start = """
        {"device_code":"dc-secret","user_code":"BCDF-GHJK","verification_uri":"https://sky.example:8443/device",
         "verification_uri_complete":"https://sky.example:8443/device?user_code=BCDF-GHJK","expires_in":600,"interval":5}
        """;

    private readonly RunningServer _server;

    public DeviceSignInTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpResponseMessage Error(string error, string? nonce = null) =>
        ScriptedServer.Json(HttpStatusCode.BadRequest, $$"""{"error":"{{error}}"}""", nonce);

    [Fact]
    public async Task WaitForApproval_KeepsTheIntervalSlowsDownAndAnswersANonce_ThenHasTheToken()
    {
        var server = new ScriptedServer((request, i) => i switch
        {
            0 => ScriptedServer.Json(HttpStatusCode.OK, Start),
            1 => Error("use_dpop_nonce", nonce: "n-1"),
            2 => Error("authorization_pending"),
            3 => Error("slow_down"),
            4 => Error("authorization_pending"),
            _ => ScriptedServer.Token("person-token", expiresIn: 3600),
        });
        using var signIn = new SkybridgeDeviceSignIn(new Uri("https://sky.example:8443/"), http: new HttpClient(server));
        var waits = new List<TimeSpan>();
        signIn.Delay = (wait, _) =>
        {
            waits.Add(wait);
            return Task.CompletedTask;
        };

        var code = await signIn.StartAsync("cases:read", Ct);
        Assert.Equal("BCDF-GHJK", code.UserCode);
        Assert.Equal(new Uri("https://sky.example:8443/device"), code.VerificationUri);
        Assert.Equal(TimeSpan.FromSeconds(5), code.Interval);
        Assert.DoesNotContain("dc-secret", code.ToString(), StringComparison.Ordinal);
        Assert.Equal("skybridge-cli", server.Requests[0].Form["client_id"]);
        Assert.Equal("cases:read", server.Requests[0].Form["scope"]);

        var token = await signIn.WaitForApprovalAsync(code, Ct);
        Assert.Equal("person-token", token.AccessToken);
        // First poll after the interval; the nonce retry at once; slow_down adds five seconds for good (RFC 8628 3.5).
        Assert.Equal(new[] { 5, 0, 5, 10, 10 }.Select(s => TimeSpan.FromSeconds(s)), waits);
        var polls = server.Requests.Skip(1).ToList();
        Assert.All(polls, p =>
        {
            Assert.Equal("urn:ietf:params:oauth:grant-type:device_code", p.Form["grant_type"]);
            Assert.Equal("dc-secret", p.Form["device_code"]);
            Assert.Equal("https://sky.example:8443/oauth/token", p.ProofPayload.GetProperty("htu").GetString());
        });
        Assert.False(polls[0].ProofPayload.TryGetProperty("nonce", out _));
        Assert.Equal("n-1", polls[1].ProofPayload.GetProperty("nonce").GetString());
        Assert.Equal("person-token", await signIn.GetAccessTokenAsync(Ct));
    }

    [Theory]
    [InlineData("access_denied")]
    [InlineData("expired_token")]
    [InlineData("invalid_grant")]
    public async Task WaitForApproval_ARefusal_EndsTheWaitWithItsCode(string error)
    {
        var server = new ScriptedServer((_, i) => i == 0 ? ScriptedServer.Json(HttpStatusCode.OK, Start) : Error(i == 1 ? "authorization_pending" : error));
        using var signIn = new SkybridgeDeviceSignIn(new Uri("https://sky.example:8443"), http: new HttpClient(server)) { Delay = (_, _) => Task.CompletedTask };
        var code = await signIn.StartAsync(cancellationToken: Ct);

        var refused = await Assert.ThrowsAsync<SkybridgeTokenException>(() => signIn.WaitForApprovalAsync(code, Ct));
        Assert.Equal(error, refused.Error);
        Assert.Equal(3, server.Requests.Count);
        var notSignedIn = await Assert.ThrowsAsync<SkybridgeTokenException>(() => signIn.GetAccessTokenAsync(Ct).AsTask());
        Assert.Equal("expired_token", notSignedIn.Error);
    }

    [Fact]
    public async Task Start_Refused_CarriesTheRfcError()
    {
        var server = new ScriptedServer((_, _) => ScriptedServer.Json(HttpStatusCode.Unauthorized, """{"error":"invalid_client","error_description":"Only the Skybridge CLI uses the device grant."}"""));
        using var signIn = new SkybridgeDeviceSignIn(new Uri("https://sky.example:8443"), "someone-else", new HttpClient(server));
        var refused = await Assert.ThrowsAsync<SkybridgeTokenException>(() => signIn.StartAsync(cancellationToken: Ct));
        Assert.Equal("invalid_client", refused.Error);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
    }

    /// <summary>
    /// A person signs in on the real node, an agent acts for them, a sub-agent for the agent: whoami shows the person
    /// as the subject and the chain of actors, newest first (RFC 8693 section 4.1).
    /// </summary>
    [Fact]
    public async Task PersonThenAgentThenSubAgent_OnARealNode_CarryTheWholeChain()
    {
        var issuer = _server.BaseAddress.ToString().TrimEnd('/');
        using var signIn = new SkybridgeDeviceSignIn(_server.BaseAddress) { Delay = (_, _) => Task.CompletedTask };
        var code = await signIn.StartAsync(cancellationToken: Ct);
        Assert.StartsWith(issuer + "/device", code.VerificationUri.ToString(), StringComparison.Ordinal);
        // The person approves in the console (here through the service the /device page uses).
        Assert.Equal(DeviceApproval.Approved, await _server.Services.GetRequiredService<DeviceAuthorizationService>().ApproveAsync(code.UserCode, "owner", approve: true, Ct));
        var person = await signIn.WaitForApprovalAsync(code, Ct);
        Assert.InRange(person.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(60));

        var responder = await RegisterAsync("responder");
        var researcher = await RegisterAsync("researcher");
        using var responderTokens = new SkybridgeTokenClient(responder);
        using var agent = SkybridgeAgent.CreateDelegatedHttpClient(researcher,
            async ct => (await responderTokens.ExchangeAsync(await signIn.GetAccessTokenAsync(ct), "cases:read cases:write", cancellationToken: ct)).AccessToken,
            scope: "cases:read");

        var me = await agent.GetFromJsonAsync<JsonElement>("/api/agent/whoami", Ct);
        Assert.Equal("user:owner", me.GetProperty("subject").GetString());
        Assert.Equal(researcher.ClientId, me.GetProperty("clientId").GetString());
        Assert.Equal([researcher.ClientId, responder.ClientId], me.GetProperty("actors").EnumerateArray().Select(a => a.GetString()).ToArray());
        Assert.Equal("cases:read", me.GetProperty("scope").GetString());
    }

    private async Task<SkybridgeAgentCredentials> RegisterAsync(string role)
    {
        var pair = AgentKeyPair.Generate();
        var result = await _server.Services.GetRequiredService<AgentService>().RegisterAsync("admin", RunningServer.Workflow, role + "-" + Guid.NewGuid().ToString("N")[..6], role, pair.PublicJwk, Ct);
        Assert.Equal(AgentOutcome.Done, result.Outcome);
        return SkybridgeAgentCredentials.Parse(pair.CredentialsJson(_server.BaseAddress.ToString().TrimEnd('/'), result.Agent!.ClientId, RunningServer.Workflow, role, ""));
    }
}
