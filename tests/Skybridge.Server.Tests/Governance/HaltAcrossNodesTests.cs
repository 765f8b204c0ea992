using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Actions;
using Skybridge.Server.Tests.Identity;
using Skybridge.Storage;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Governance;

/// <summary>
/// Two nodes on one PostgreSQL database: a halt pressed on node A is enforced by node B within one second. B refuses
/// the agent's proposal (its token stops working), issues no new token, and its outbox holds a queued action instead of
/// running it.
/// </summary>
public sealed class HaltAcrossNodesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Halt_OnNodeA_IsEnforcedOnNodeB_WithinOneSecond()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var a = new PostgresNode(database.ConnectionString, "node-a");
        await a.InitializeAsync();
        await using var b = new PostgresNode(database.ConnectionString, "node-b", a);
        await b.InitializeAsync();

        var registered = await AgentKit.RegisterAsync(a, "responder");
        var agentOnB = new AgentKit(b, registered.ClientId, registered.Key);
        var dpop = AgentKit.NewKey();
        using var http = new HttpClient();
        string? token = null;
        // B learns of the agent A registered at its next refresh.
        Assert.NotNull(await HeldActions.WithinAsync(TimeSpan.FromSeconds(5), async () =>
        {
            var answer = await agentOnB.RequestTokenAsync(http, dpop, new Dictionary<string, string> { ["scope"] = "actions:propose" });
            token = answer.AccessToken;
            return answer.Status == HttpStatusCode.OK;
        }));
        var caseId = await HeldActions.CaseAsync(a);
        var n = 0;
        Task<HttpResponseMessage> ProposeOnB()
        {
            var url = agentOnB.Issuer + $"/api/cases/{caseId}/actions";
            var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = JsonContent.Create(new { action = "refund", parameters = new { order_id = "SO-000004", amount = 12, currency = "EUR" }, idempotencyKey = "k-" + n++ }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
            request.Headers.Add("DPoP", AgentKit.Proof(dpop, "POST", url, accessToken: token));
            return http.SendAsync(request, Ct);
        }

        using (var before = await ProposeOnB())
        {
            Assert.True(before.IsSuccessStatusCode, await before.Content.ReadAsStringAsync(Ct));
        }

        using var operatorOnA = await a.SignedInClientAsync("operator");
        using var halt = await operatorOnA.PostAsJsonAsync($"/api/workflows/{RunningServer.Workflow}/halt", new { reason = "refunds misfiring" }, Ct);
        Assert.Equal(HttpStatusCode.OK, halt.StatusCode);

        // From the moment A answered: B refuses the proposal (the agent's token no longer works) and issues no token.
        string? refusal = null;
        var seen = await HeldActions.WithinAsync(TimeSpan.FromSeconds(1), async () =>
        {
            using var response = await ProposeOnB();
            refusal = response.Headers.WwwAuthenticate.ToString();
            return response.StatusCode == HttpStatusCode.Unauthorized;
        });
        Assert.True(seen is not null, "node B still accepted the agent's proposal one second after the halt on node A");
        Assert.Contains("invalid_token", refusal, StringComparison.Ordinal);
        Assert.Contains("halted", refusal, StringComparison.Ordinal);
        var newToken = await agentOnB.RequestTokenAsync(http, AgentKit.NewKey(), new Dictionary<string, string> { ["scope"] = "actions:propose" });
        // Said plainly when it fails (the answer's member names only, never the token itself).
        Assert.True(newToken.Status != HttpStatusCode.OK,
            $"node B issued a token for the halted workflow right after refusing its proposal ({refusal}); the answer's members: {string.Join(", ", newToken.Body.AsObject().Select(m => m.Key))}");
        Assert.Contains("halted", newToken.Body.ToJsonString(), StringComparison.Ordinal);

        // An approval decided on B just before B learnt of the halt left a queued action: B's outbox holds it.
        var queued = await HeldActions.ActionAsync(b, caseId, registered.ClientId, ActionStatuses.Approved, 20);
        var onB = await b.Services.GetRequiredService<ActionExecutor>().ExecuteAsync(queued.Id, Ct);
        Assert.Equal(ActionStatuses.Held, onB!.Status);
        var trail = await b.Store.ReadLedgerCaseAsync(caseId, Ct);
        Assert.Contains(trail, e => e.Type == "action.held");
        Assert.DoesNotContain(trail, e => e.Type == "action.executed");
    }
}
