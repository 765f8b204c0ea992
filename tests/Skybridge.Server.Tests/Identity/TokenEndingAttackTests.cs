using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Agents;
using Skybridge.Application.Governance;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Identity;

/// <summary>
/// What ends a token, for good: revoking it or a token it was exchanged from, disabling one of its agents (the subject
/// included), halting its workflow; and people revoking their own token. Each attack gets the right error, no working
/// token, and a ledger entry.
/// </summary>
public sealed class TokenEndingAttackTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;
    private readonly Refusals _refusals;

    public TokenEndingAttackTests(RunningServer server)
    {
        _server = server;
        _refusals = new Refusals(server);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The token no longer works at the agent API: 401 invalid_token, recorded as token.rejected.</summary>
    private async Task AssertDeadAsync(AgentKit holder, HttpClient http, string token, ECDsa key)
    {
        var from = await _refusals.LedgerSizeAsync();
        using var call = await holder.CallAsync(http, "/api/agent/whoami", token, key);
        Assert.Equal(HttpStatusCode.Unauthorized, call.StatusCode);
        Assert.Contains("error=\"invalid_token\"", call.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        await _refusals.AssertRecordedAsync(from, "token.rejected", "invalid_token");
    }

    private static async Task AssertWorksAsync(AgentKit holder, HttpClient http, string token, ECDsa key)
    {
        using var call = await holder.CallAsync(http, "/api/agent/whoami", token, key);
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
    }

    /// <summary>A responder's token, and a researcher's token exchanged from it (researchers act for role:responder).</summary>
    private async Task<(AgentKit Responder, string Subject, ECDsa SubjectKey, AgentKit Researcher, string Delegated, ECDsa DelegatedKey, HttpClient Http)> DelegationAsync()
    {
        var http = _server.Client();
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        var researcher = await AgentKit.RegisterAsync(_server, "researcher");
        var subjectKey = AgentKit.NewKey();
        var delegatedKey = AgentKit.NewKey();
        var subject = await responder.TokenAsync(http, subjectKey, scope: "cases:read");
        var exchanged = await researcher.ExchangeAsync(http, delegatedKey, subject);
        Assert.True(exchanged.Status == HttpStatusCode.OK, exchanged.Body.ToJsonString());
        await AssertWorksAsync(researcher, http, exchanged.AccessToken!, delegatedKey);
        return (responder, subject, subjectKey, researcher, exchanged.AccessToken!, delegatedKey, http);
    }

    [Fact]
    public async Task Exchange_DelegatedToken_EndsWhenTheSubjectAgentIsDisabled_AndStaysEndedAfterReEnable()
    {
        var (responder, subject, subjectKey, researcher, delegated, delegatedKey, http) = await DelegationAsync();
        var agents = _server.Services.GetRequiredService<AgentService>();
        Assert.Equal(AgentOutcome.Done, (await agents.SetEnabledAsync("admin", responder.ClientId, enabled: false, Ct)).Outcome);
        await AssertDeadAsync(researcher, http, delegated, delegatedKey);

        Assert.Equal(AgentOutcome.Done, (await agents.SetEnabledAsync("admin", responder.ClientId, enabled: true, Ct)).Outcome);
        await AssertDeadAsync(researcher, http, delegated, delegatedKey);
        await AssertDeadAsync(responder, http, subject, subjectKey);

        // Nothing new can be made of the old subject token either.
        var from = await _refusals.LedgerSizeAsync();
        var again = await researcher.ExchangeAsync(http, AgentKit.NewKey(), subject);
        Assert.Equal("invalid_grant", again.Error);
        Assert.Null(again.AccessToken);
        await _refusals.AssertRecordedAsync(from, "token.refused", "invalid_grant");
    }

    [Fact]
    public async Task Exchange_DelegatedToken_EndsWhenTheSubjectTokenIsRevoked()
    {
        var (responder, subject, subjectKey, researcher, delegated, delegatedKey, http) = await DelegationAsync();
        var from = await _refusals.LedgerSizeAsync();
        Assert.Equal(HttpStatusCode.OK, (await responder.RevokeAsync(http, subject)).Status);
        await _refusals.AssertRecordedAsync(from, "token.revoked", "revoked");

        await AssertDeadAsync(responder, http, subject, subjectKey);
        await AssertDeadAsync(researcher, http, delegated, delegatedKey);
    }

    [Fact]
    public async Task Exchange_DelegatedToken_EndsWhenTheActorTokenIsRevoked_AndNeverOutlivesIt()
    {
        using var http = _server.Client();
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        var researcher = await AgentKit.RegisterAsync(_server, "researcher");
        using var subjectKey = AgentKit.NewKey();
        using var actorKey = AgentKit.NewKey();
        using var delegatedKey = AgentKit.NewKey();
        var subject = await responder.TokenAsync(http, subjectKey, scope: "cases:read");
        var actorToken = await researcher.TokenAsync(http, actorKey);
        var exchanged = await researcher.ExchangeAsync(http, delegatedKey, subject, extra: new Dictionary<string, string>
        {
            ["actor_token"] = actorToken,
            ["actor_token_type"] = "urn:ietf:params:oauth:token-type:access_token",
        });
        Assert.True(exchanged.Status == HttpStatusCode.OK, exchanged.Body.ToJsonString());
        var delegated = exchanged.AccessToken!;
        await AssertWorksAsync(researcher, http, delegated, delegatedKey);
        Assert.True((long)AgentKit.Claims(delegated)["exp"]! <= (long)AgentKit.Claims(actorToken)["exp"]!);

        var from = await _refusals.LedgerSizeAsync();
        Assert.Equal(HttpStatusCode.OK, (await researcher.RevokeAsync(http, actorToken)).Status);
        await _refusals.AssertRecordedAsync(from, "token.revoked", "revoked");
        await AssertDeadAsync(researcher, http, delegated, delegatedKey);
    }

    [Fact]
    public async Task DisabledAgent_OldTokenStaysDead_AfterReEnable()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var old = await agent.TokenAsync(http, key);
        var agents = _server.Services.GetRequiredService<AgentService>();
        Assert.Equal(AgentOutcome.Done, (await agents.SetEnabledAsync("admin", agent.ClientId, enabled: false, Ct)).Outcome);
        Assert.Equal(AgentOutcome.Done, (await agents.SetEnabledAsync("admin", agent.ClientId, enabled: true, Ct)).Outcome);

        await AssertDeadAsync(agent, http, old, key);
        await AssertWorksAsync(agent, http, await agent.TokenAsync(http, key), key);
    }

    [Fact]
    public async Task HaltedWorkflow_OldTokensStayDead_AfterResume()
    {
        // Its own workflow: halting support-desk would disturb the other tests of this class.
        var agent = await AgentKit.RegisterAsync(_server, "responder", workflow: RunningServer.OtherWorkflow);
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var old = await agent.TokenAsync(http, key);
        var killSwitch = _server.Services.GetRequiredService<KillSwitch>();
        Assert.True(await killSwitch.HaltAsync("operator", RunningServer.OtherWorkflow, "refunds misfiring", Ct));
        Assert.True(await killSwitch.ResumeAsync("operator", RunningServer.OtherWorkflow, "fixed", Ct));

        await AssertDeadAsync(agent, http, old, key);
        await AssertWorksAsync(agent, http, await agent.TokenAsync(http, key), key);
    }

    /// <summary>A person's token as the device grant issues it (sub user:NAME, client skybridge-cli, no workflow or role).</summary>
    private string PersonToken(string userName, ECDsa key) => AgentKit.Forge(_server, p =>
    {
        p["sub"] = "user:" + userName;
        p["client_id"] = "skybridge-cli";
        p["scope"] = "cases:read cases:write";
        p.Remove("workflow");
        p.Remove("role");
    }, key, "skybridge-cli");

    private async Task<AgentKit.Answer> RevokeAsPublicClientAsync(HttpClient http, string token) =>
        await AgentKit.PostFormAsync(http, _server.BaseAddress + "oauth/revoke", new Dictionary<string, string>
        {
            ["token"] = token, ["token_type_hint"] = "access_token", ["client_id"] = "skybridge-cli",
        }, null);

    [Fact]
    public async Task Revoke_PersonToken_ByThePublicCliClient_EndsItAndEveryTokenExchangedFromIt()
    {
        using var http = _server.Client();
        using var cliKey = AgentKit.NewKey();
        var person = PersonToken("operator", cliKey);
        var cli = new AgentKit(_server, "skybridge-cli", cliKey);
        await AssertWorksAsync(cli, http, person, cliKey);

        // The responder acts for people holding a role on its workflow (acts_for user:*).
        var responder = await AgentKit.RegisterAsync(_server, "responder");
        using var agentKey = AgentKit.NewKey();
        var delegated = await responder.ExchangeAsync(http, agentKey, person, scope: "cases:read");
        Assert.Equal(HttpStatusCode.OK, delegated.Status);

        var from = await _refusals.LedgerSizeAsync();
        var answer = await RevokeAsPublicClientAsync(http, person);
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body.ToJsonString());
        await _refusals.AssertRecordedAsync(from, "token.revoked", "revoked", mentions: "\"operator\"");

        await AssertDeadAsync(cli, http, person, cliKey);
        await AssertDeadAsync(responder, http, delegated.AccessToken!, agentKey);
    }

    [Fact]
    public async Task Revoke_AgentToken_ByThePublicCliClient_RevokesNothing()
    {
        var agent = await AgentKit.RegisterAsync(_server, "responder");
        using var http = _server.Client();
        using var key = AgentKit.NewKey();
        var token = await agent.TokenAsync(http, key);
        var from = await _refusals.LedgerSizeAsync();

        // 200 as for any token (RFC 7009 section 2.2), but an agent's token is not the public client's to revoke.
        Assert.Equal(HttpStatusCode.OK, (await RevokeAsPublicClientAsync(http, token)).Status);
        var events = await _server.Store.ReadLedgerEventsAsync(from, 1000, Ct);
        Assert.DoesNotContain(events, e => e.Type == "token.revoked");
        await AssertWorksAsync(agent, http, token, key);
    }

    [Fact]
    public async Task Metadata_NamesThePublicClientMethodForRevocation()
    {
        using var http = _server.Client();
        var metadata = JsonNode.Parse(await http.GetStringAsync("/.well-known/oauth-authorization-server", Ct))!;
        Assert.Contains("none", metadata["revocation_endpoint_auth_methods_supported"]!.AsArray().Select(m => (string?)m));
    }
}
