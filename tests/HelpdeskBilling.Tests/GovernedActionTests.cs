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


    private async Task<JsonElement> OrderAsync(DeskAgent agent, string orderId)
    {
        var token = await agent.TokenAsync(_fixture.BillingAudience, "billing:read");
        using var response = await agent.CallAsync(HttpMethod.Get, "/billing/orders/" + orderId, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
    }


    [Fact]
    public async Task SmallRefund_RunsAtOnce_OnTheSystemOfRecord_Once()
    {
        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var token = await agent.TokenAsync(null, "actions:propose");
        var caseId = await CaseAsync();
        var before = (await OrderAsync(agent, "SO-000002")).GetProperty("refunds").GetArrayLength();

        var proposal = new { action = "refund", parameters = new { order_id = "SO-000002", amount = 12.5, currency = "EUR" }, idempotencyKey = "small-1" };
        var (status, body) = await agent.ProposeAsync(token, caseId, proposal);
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.True(body.GetProperty("status").GetString() == "executed", body.ToString());

        // A retry with the same key is the same action: nothing runs twice.
        var (again, second) = await agent.ProposeAsync(token, caseId, proposal);
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
        var (refused, problem) = await agent.ProposeAsync(token, caseId, new
        {
            action = "refund", parameters = new { order_id = "SO-000004", amount = 5000, currency = "EUR", skip_approval = true }, idempotencyKey = "inject-1",
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Equal("invalid_parameters", problem.GetProperty("code").GetString());

        var (status, pending) = await agent.ProposeAsync(token, caseId, new
        {
            action = "refund", parameters = new { order_id = "SO-000004", amount = 80, currency = "EUR" }, idempotencyKey = "large-1",
        });
        Assert.True(status == HttpStatusCode.Accepted, pending.ToString());
        Assert.Equal("pending_approval", pending.GetProperty("status").GetString());
        var approvalId = pending.GetProperty("approvalId").GetString()!;
        var digest = pending.GetProperty("callDigest").GetString()!;
        var refundsBefore = (await OrderAsync(agent, "SO-000004")).GetProperty("refunds").GetArrayLength();

        // An auditor sees the approval but may not decide it.
        using var auditor = await _fixture.SignedInAsync("audit-" + Guid.NewGuid().ToString("N")[..6], WorkflowRole.Auditor);
        var list = await auditor.GetFromJsonAsync<JsonElement>($"/api/workflows/{DeskFixture.Workflow}/approvals?status=pending", Ct);
        Assert.Contains(list.EnumerateArray(), a => a.GetProperty("id").GetString() == approvalId);
        using var notTheirs = await auditor.PostAsJsonAsync($"/api/approvals/{approvalId}/decision", new { decision = "approve", callDigest = digest }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, notTheirs.StatusCode);

        // A support lead (the manifest's refund authority is group:support-leads) decides what was shown; a second
        // decision is refused.
        using var approver = await _fixture.SignedInAsync("approver", WorkflowRole.Approver, group: "support-leads");
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

    [Fact]
    public async Task RetryStorm_OverHttp_WithOneKey_IsOneAction_AndOneRefund()
    {
        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var token = await agent.TokenAsync(null, "actions:propose");
        var caseId = await CaseAsync();
        var before = (await OrderAsync(agent, "SO-000007")).GetProperty("refunds").GetArrayLength();

        // A client that times out and retries at once, twenty times, all in flight together.
        var proposal = new { action = "refund", parameters = new { order_id = "SO-000007", amount = 9.5, currency = "EUR" }, idempotencyKey = "storm-1" };
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => agent.ProposeAsync(token, caseId, proposal)));

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.OK, a.Body.ToString()));
        Assert.Single(answers.Select(a => a.Body.GetProperty("actionId").GetString()).Distinct());
        Assert.Equal(before + 1, (await OrderAsync(agent, "SO-000007")).GetProperty("refunds").GetArrayLength());
        Assert.Single((await _fixture.Store.ReadLedgerCaseAsync(caseId, Ct)), e => e.Type == "action.executed");
    }

    [Fact]
    public async Task TwoApprovers_OverHttp_AtTheSameMoment_OneWins_AndTheRefundRunsOnce()
    {
        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var token = await agent.TokenAsync(null, "actions:propose");
        var caseId = await CaseAsync();
        var before = (await OrderAsync(agent, "SO-000008")).GetProperty("refunds").GetArrayLength();
        var (status, pending) = await agent.ProposeAsync(token, caseId, new
        {
            action = "refund", parameters = new { order_id = "SO-000008", amount = 61, currency = "EUR" }, idempotencyKey = "race-1",
        });
        Assert.True(status == HttpStatusCode.Accepted, pending.ToString());
        var approvalId = pending.GetProperty("approvalId").GetString()!;
        var digest = pending.GetProperty("callDigest").GetString()!;

        using var first = await _fixture.SignedInAsync("race-lead-1", WorkflowRole.Approver, group: "support-leads");
        using var second = await _fixture.SignedInAsync("race-lead-2", WorkflowRole.Approver, group: "support-leads");
        var decisions = await Task.WhenAll(new[] { first, second }.Select(async c =>
        {
            using var r = await c.PostAsJsonAsync($"/api/approvals/{approvalId}/decision", new { decision = "approve", callDigest = digest }, Ct);
            return r.StatusCode;
        }));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], decisions.Order());
        Assert.Equal(before + 1, (await OrderAsync(agent, "SO-000008")).GetProperty("refunds").GetArrayLength());
        // Both decisions are in the ledger: one approved, the other refused as already decided.
        var decided = (await _fixture.Store.ReadLedgerCaseAsync(caseId, Ct)).Where(e => e.Type == "approval.decided").Select(e => JsonDocument.Parse(e.Body).RootElement.GetProperty("outcome").GetString()).Order().ToList();
        Assert.Equal(["approved", "refused"], decided);
        Assert.Single((await _fixture.Store.ReadLedgerCaseAsync(caseId, Ct)), e => e.Type == "action.executed");
    }

    [Fact]
    public async Task TwoParallelProposals_InOneCase_DecidedInTheOppositeOrder_EachRunsItsOwnCall_AndDigestsNeverCross()
    {
        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var token = await agent.TokenAsync(null, "actions:propose");
        var caseId = await CaseAsync();
        var proposals = await Task.WhenAll(
            agent.ProposeAsync(token, caseId, new { action = "refund", parameters = new { order_id = "SO-000009", amount = 62, currency = "EUR" }, idempotencyKey = "par-a" }),
            agent.ProposeAsync(token, caseId, new { action = "refund", parameters = new { order_id = "SO-000010", amount = 63, currency = "EUR" }, idempotencyKey = "par-b" }));
        Assert.All(proposals, p => Assert.True(p.Status == HttpStatusCode.Accepted, p.Body.ToString()));
        var (a, b) = (proposals[0].Body, proposals[1].Body);
        Assert.NotEqual(a.GetProperty("approvalId").GetString(), b.GetProperty("approvalId").GetString());

        using var lead = await _fixture.SignedInAsync("parallel-lead", WorkflowRole.Approver, group: "support-leads");
        // The digest of one call never opens the other's approval.
        using var crossed = await lead.PostAsJsonAsync($"/api/approvals/{a.GetProperty("approvalId").GetString()}/decision",
            new { decision = "approve", callDigest = b.GetProperty("callDigest").GetString() }, Ct);
        Assert.False(crossed.IsSuccessStatusCode);

        // The second proposal is decided first, then the first.
        foreach (var p in new[] { b, a })
        {
            using var decided = await lead.PostAsJsonAsync($"/api/approvals/{p.GetProperty("approvalId").GetString()}/decision",
                new { decision = "approve", callDigest = p.GetProperty("callDigest").GetString() }, Ct);
            var body = JsonDocument.Parse(await decided.Content.ReadAsStringAsync(Ct)).RootElement;
            Assert.True(decided.StatusCode == HttpStatusCode.OK, body.ToString());
            Assert.Equal(p.GetProperty("actionId").GetString(), body.GetProperty("action").GetProperty("actionId").GetString());
        }

        // Each order got its own call's amount, once.
        var nine = (await OrderAsync(agent, "SO-000009")).GetProperty("refunds");
        var ten = (await OrderAsync(agent, "SO-000010")).GetProperty("refunds");
        Assert.Equal(62m, Assert.Single(nine.EnumerateArray()).GetProperty("amount").GetDecimal());
        Assert.Equal(63m, Assert.Single(ten.EnumerateArray()).GetProperty("amount").GetDecimal());
    }
}
