using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace HelpdeskBilling.Tests;

/// <summary>
/// Governed actions end to end over real sockets: an agent proposes through Skybridge's API, policy and the ladder
/// decide, a person approves through the API, and the connector calls the sample system of record with a token
/// Skybridge minted for it. The system's own records show what ran, and how often.
/// </summary>
public sealed class GovernedActionTests : IClassFixture<DeskFixture>
{
    private readonly DeskFixture _fixture;

    public GovernedActionTests(DeskFixture fixture) => _fixture = fixture;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> CaseAsync()
    {
        var id = "case-" + Guid.NewGuid().ToString("N")[..12];
        await _fixture.Store.SaveCaseAsync(new StoredCase(id, DeskFixture.Workflow, "seed", "Please refund my order SO-000004", "{}", false, DateTimeOffset.UtcNow), Ct);
        return id;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> ProposeAsync(DeskAgent agent, string token, string caseId, object body)
    {
        var url = _fixture.Issuer + $"/api/cases/{caseId}/actions";
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
        request.Headers.Add("DPoP", DeskAgent.Proof(agent.DPoPKey, "POST", url, token));
        using var response = await http.SendAsync(request, Ct);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone());
    }

    private async Task<JsonElement> OrderAsync(DeskAgent agent, string orderId)
    {
        var token = await agent.TokenAsync(_fixture.BillingAudience, "billing:read");
        using var response = await agent.CallAsync(HttpMethod.Get, "/billing/orders/" + orderId, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
    }

    private async Task<HttpClient> SignedInAsync(string userName, WorkflowRole role, string? group = null)
    {
        var accounts = _fixture.SkybridgeServices.GetRequiredService<AccountService>();
        await accounts.CreateUserAsync("seed", userName, userName, "correct horse battery staple", Ct);
        await accounts.GrantRoleAsync("seed", userName, DeskFixture.Workflow, role, Ct);
        if (group is not null)
        {
            await _fixture.SkybridgeServices.GetRequiredService<GroupService>().AddAsync("seed", group, userName, Ct);
        }

        var client = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(_fixture.Issuer) };
        client.DefaultRequestHeaders.Add("Origin", _fixture.Issuer);
        using var signIn = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName, password = "correct horse battery staple" }, Ct);
        Assert.True(signIn.IsSuccessStatusCode, await signIn.Content.ReadAsStringAsync(Ct));
        return client;
    }

    [Fact]
    public async Task SmallRefund_RunsAtOnce_OnTheSystemOfRecord_Once()
    {
        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var token = await agent.TokenAsync(null, "actions:propose");
        var caseId = await CaseAsync();
        var before = (await OrderAsync(agent, "SO-000002")).GetProperty("refunds").GetArrayLength();

        var proposal = new { action = "refund", parameters = new { order_id = "SO-000002", amount = 12.5, currency = "EUR" }, idempotencyKey = "small-1" };
        var (status, body) = await ProposeAsync(agent, token, caseId, proposal);
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.True(body.GetProperty("status").GetString() == "executed", body.ToString());

        // A retry with the same key is the same action: nothing runs twice.
        var (again, second) = await ProposeAsync(agent, token, caseId, proposal);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(body.GetProperty("actionId").GetString(), second.GetProperty("actionId").GetString());
        Assert.Equal(before + 1, (await OrderAsync(agent, "SO-000002")).GetProperty("refunds").GetArrayLength());
    }

    [Fact]
    public async Task LargeRefund_WaitsForTheApprover_ThenRunsOnce_AndAnInjectedSkipNeverHelps()
    {
        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var token = await agent.TokenAsync(null, "actions:propose");
        var caseId = await CaseAsync();

        // The ticket told the agent to refund 5,000 EUR and skip approval: there is no parameter that skips anything.
        var (refused, problem) = await ProposeAsync(agent, token, caseId, new
        {
            action = "refund", parameters = new { order_id = "SO-000004", amount = 5000, currency = "EUR", skip_approval = true }, idempotencyKey = "inject-1",
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Equal("invalid_parameters", problem.GetProperty("code").GetString());

        var (status, pending) = await ProposeAsync(agent, token, caseId, new
        {
            action = "refund", parameters = new { order_id = "SO-000004", amount = 80, currency = "EUR" }, idempotencyKey = "large-1",
        });
        Assert.True(status == HttpStatusCode.Accepted, pending.ToString());
        Assert.Equal("pending_approval", pending.GetProperty("status").GetString());
        var approvalId = pending.GetProperty("approvalId").GetString()!;
        var digest = pending.GetProperty("callDigest").GetString()!;
        var refundsBefore = (await OrderAsync(agent, "SO-000004")).GetProperty("refunds").GetArrayLength();

        // An auditor sees the approval but may not decide it.
        using var auditor = await SignedInAsync("audit-" + Guid.NewGuid().ToString("N")[..6], WorkflowRole.Auditor);
        var list = await auditor.GetFromJsonAsync<JsonElement>($"/api/workflows/{DeskFixture.Workflow}/approvals?status=pending", Ct);
        Assert.Contains(list.EnumerateArray(), a => a.GetProperty("id").GetString() == approvalId);
        using var notTheirs = await auditor.PostAsJsonAsync($"/api/approvals/{approvalId}/decision", new { decision = "approve", callDigest = digest }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, notTheirs.StatusCode);

        // A support lead (the manifest's refund authority is group:support-leads) decides what was shown; a second
        // decision is refused.
        using var approver = await SignedInAsync("approver", WorkflowRole.Approver, group: "support-leads");
        using var decided = await approver.PostAsJsonAsync($"/api/approvals/{approvalId}/decision", new { decision = "approve", callDigest = digest, comment = "order checked" }, Ct);
        var decision = JsonDocument.Parse(await decided.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.True(decided.StatusCode == HttpStatusCode.OK, decision.ToString());
        Assert.True(decision.GetProperty("action").GetProperty("status").GetString() == "executed", decision.ToString());
        using var twice = await approver.PostAsJsonAsync($"/api/approvals/{approvalId}/decision", new { decision = "approve", callDigest = digest }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);

        var order = await OrderAsync(agent, "SO-000004");
        Assert.Equal(refundsBefore + 1, order.GetProperty("refunds").GetArrayLength());
        var trail = (await _fixture.Store.ReadLedgerCaseAsync(caseId, Ct)).Select(e => e.Type).ToList();
        Assert.Contains("approval.requested", trail);
        Assert.Contains("approval.decided", trail);
        Assert.Single(trail, t => t == "action.executed");
    }
}
