using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Core.Access;
using Skybridge.Storage;

namespace HelpdeskBilling.Tests;

/// <summary>What the approve-with-edits tests share: a case, a proposal of the responder, a signed-in person, an order.</summary>
internal static class EditsKit
{
    public const string Password = "correct horse battery staple";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<string> CaseAsync(DeskFixture fixture)
    {
        var id = "case-" + Guid.NewGuid().ToString("N")[..12];
        await fixture.Store.SaveCaseAsync(new StoredCase(id, DeskFixture.Workflow, "seed", "The tent arrived torn; I want my money back.", "{}", false, DateTimeOffset.UtcNow), Ct);
        return id;
    }

    /// <summary>The responder proposes a refund for a new case over the action API; the pending answer.</summary>
    public static async Task<JsonElement> ProposeRefundAsync(DeskFixture fixture, DeskAgent agent, string orderId, decimal amount)
    {
        var token = await agent.TokenAsync(null, "actions:propose");
        var caseId = await CaseAsync(fixture);
        var url = fixture.Issuer + $"/api/cases/{caseId}/actions";
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(new { action = "refund", parameters = new { order_id = orderId, amount, currency = "EUR" }, idempotencyKey = "k-" + caseId }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
        request.Headers.Add("DPoP", DeskAgent.Proof(agent.DPoPKey, "POST", url, token));
        using var response = await http.SendAsync(request, Ct);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body.ToString());
        return body;
    }

    /// <summary>A person with <paramref name="role"/> in the workflow (created once per node).</summary>
    public static async Task PersonAsync(DeskFixture fixture, string userName, WorkflowRole role)
    {
        var accounts = fixture.SkybridgeServices.GetRequiredService<AccountService>();
        await accounts.CreateUserAsync("seed", userName, userName, Password, Ct);
        await accounts.GrantRoleAsync("seed", userName, DeskFixture.Workflow, role, Ct);
    }

    public static async Task<HttpClient> SignedInAsync(DeskFixture fixture, string userName, WorkflowRole role)
    {
        await PersonAsync(fixture, userName, role);
        var client = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(fixture.Issuer) };
        client.DefaultRequestHeaders.Add("Origin", fixture.Issuer);
        using var signIn = await client.PostAsJsonAsync("/api/auth/sign-in", new { userName, password = Password }, Ct);
        Assert.True(signIn.IsSuccessStatusCode, await signIn.Content.ReadAsStringAsync(Ct));
        return client;
    }

    /// <summary>The refunds the system of record made on an order, in euros.</summary>
    public static async Task<List<decimal>> RefundsAsync(DeskAgent agent, DeskFixture fixture, string orderId)
    {
        var token = await agent.TokenAsync(fixture.BillingAudience, "billing:read");
        using var response = await agent.CallAsync(HttpMethod.Get, "/billing/orders/" + orderId, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var order = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        return [.. order.GetProperty("refunds").EnumerateArray().Select(r => r.GetProperty("amount").GetDecimal())];
    }
}

/// <summary>
/// Approve-with-edits over real sockets: a person edits a pending refund through the decision endpoint, policy
/// decides the edited call again, and the sample system of record shows what ran.
/// </summary>
public sealed class ApproveWithEditsTests : IClassFixture<DeskFixture>
{
    private readonly DeskFixture _fixture;

    public ApproveWithEditsTests(DeskFixture fixture) => _fixture = fixture;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, JsonElement Body)> DecideAsync(HttpClient person, string approvalId, object decision)
    {
        using var response = await person.PostAsJsonAsync($"/api/approvals/{approvalId}/decision", decision, Ct);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone());
    }

    [Fact]
    public async Task Decision_ApproveWithEditsDownTo40_RunsTheEditedRefundOnce_AndNeverTheOriginal()
    {
        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var pending = await EditsKit.ProposeRefundAsync(_fixture, agent, "SO-000016", 300);
        var before = await EditsKit.RefundsAsync(agent, _fixture, "SO-000016");
        using var approver = await EditsKit.SignedInAsync(_fixture, "approver", WorkflowRole.Approver);

        var edit = new
        {
            decision = "approve_with_edits", callDigest = pending.GetProperty("callDigest").GetString(),
            parameters = new { order_id = "SO-000016", amount = 40, currency = "EUR" }, comment = "40 EUR covers the torn fly sheet",
        };
        var (status, body) = await DecideAsync(approver, pending.GetProperty("approvalId").GetString()!, edit);

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal("approved_with_edits", body.GetProperty("approval").GetProperty("status").GetString());
        Assert.Equal(pending.GetProperty("actionId").GetString(), body.GetProperty("editedFrom").GetString());
        var successor = body.GetProperty("action");
        Assert.Equal("executed", successor.GetProperty("status").GetString());
        Assert.NotEqual(pending.GetProperty("actionId").GetString(), successor.GetProperty("actionId").GetString());
        Assert.Equal([.. before, 40m], await EditsKit.RefundsAsync(agent, _fixture, "SO-000016"));

        // The same decision sent again (a retry) is the same edited call: nothing runs twice.
        var (again, second) = await DecideAsync(approver, pending.GetProperty("approvalId").GetString()!, edit);
        Assert.True(again == HttpStatusCode.OK, second.ToString());
        Assert.Equal(successor.GetProperty("actionId").GetString(), second.GetProperty("action").GetProperty("actionId").GetString());
        Assert.Equal([.. before, 40m], await EditsKit.RefundsAsync(agent, _fixture, "SO-000016"));
        var original = await _fixture.Store.GetActionAsync(pending.GetProperty("actionId").GetString()!, Ct);
        Assert.Equal(ActionStatuses.Rejected, original!.Status);
    }

    [Fact]
    public async Task Decision_ApproveWithEditsTo200_NeedsAnotherPerson_TheEditorIsForbidden_TheLeadRunsIt()
    {
        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var pending = await EditsKit.ProposeRefundAsync(_fixture, agent, "SO-000005", 300);
        var before = await EditsKit.RefundsAsync(agent, _fixture, "SO-000005");
        using var approver = await EditsKit.SignedInAsync(_fixture, "approver", WorkflowRole.Approver);
        using var lead = await EditsKit.SignedInAsync(_fixture, "lead", WorkflowRole.Approver);

        var (status, body) = await DecideAsync(approver, pending.GetProperty("approvalId").GetString()!, new
        {
            decision = "approve_with_edits", callDigest = pending.GetProperty("callDigest").GetString(),
            parameters = new { order_id = "SO-000005", amount = 200, currency = "EUR" },
        });
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        var successor = body.GetProperty("action");
        Assert.Equal("pending_approval", successor.GetProperty("status").GetString());
        var newApproval = successor.GetProperty("approvalId").GetString()!;
        Assert.NotEqual(pending.GetProperty("approvalId").GetString(), newApproval);

        var approve = new { decision = "approve", callDigest = successor.GetProperty("callDigest").GetString() };
        var (self, refusal) = await DecideAsync(approver, newApproval, approve);
        Assert.Equal(HttpStatusCode.Forbidden, self);
        Assert.Equal("self_approval", refusal.GetProperty("code").GetString());
        Assert.Equal(before, await EditsKit.RefundsAsync(agent, _fixture, "SO-000005"));

        var (ok, decided) = await DecideAsync(lead, newApproval, approve);
        Assert.True(ok == HttpStatusCode.OK, decided.ToString());
        Assert.Equal("executed", decided.GetProperty("action").GetProperty("status").GetString());
        Assert.Equal([.. before, 200m], await EditsKit.RefundsAsync(agent, _fixture, "SO-000005"));
    }

    [Fact]
    public async Task Decision_ApproveWithEdits_Refusals_HaveStableCodes_AndChangeNothing()
    {
        var agent = await DeskAgent.RegisterAsync(_fixture, "responder");
        var pending = await EditsKit.ProposeRefundAsync(_fixture, agent, "SO-000004", 300);
        var approvalId = pending.GetProperty("approvalId").GetString()!;
        var digest = pending.GetProperty("callDigest").GetString();
        using var approver = await EditsKit.SignedInAsync(_fixture, "approver", WorkflowRole.Approver);
        using var outsider = await EditsKit.SignedInAsync(_fixture, "other-" + Guid.NewGuid().ToString("N")[..6], WorkflowRole.Approver);

        // Every schema problem, with its code; the approval stays pending.
        var (invalid, problem) = await DecideAsync(approver, approvalId, new
        {
            decision = "approve_with_edits", callDigest = digest, parameters = new { order_id = "12", amount = -5, currency = "USD" },
        });
        Assert.True(invalid == HttpStatusCode.BadRequest, problem.ToString());
        Assert.Equal("invalid_parameters", problem.GetProperty("code").GetString());
        Assert.Equal(3, problem.GetProperty("problems").GetArrayLength());
        Assert.Equal(ApprovalStatuses.Pending, (await _fixture.Store.GetApprovalAsync(approvalId, Ct))!.Status);

        // An approver of the workflow who is not in the action's approve authority.
        var (forbidden, notEligible) = await DecideAsync(outsider, approvalId, new
        {
            decision = "approve_with_edits", callDigest = digest, parameters = new { order_id = "SO-000004", amount = 40, currency = "EUR" },
        });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        Assert.Equal("approver_not_eligible", notEligible.GetProperty("code").GetString());
        Assert.Equal(ApprovalStatuses.Pending, (await _fixture.Store.GetApprovalAsync(approvalId, Ct))!.Status);

        // Parameters belong to an edit only.
        var (mixed, _) = await DecideAsync(approver, approvalId, new
        {
            decision = "approve", callDigest = digest, parameters = new { order_id = "SO-000004", amount = 40, currency = "EUR" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, mixed);

        // Decided once: an edit after a rejection is a conflict (the rejection also gives the reserved budget back).
        var (rejected, _) = await DecideAsync(approver, approvalId, new { decision = "reject", callDigest = digest });
        Assert.Equal(HttpStatusCode.OK, rejected);
        var (late, conflict) = await DecideAsync(approver, approvalId, new
        {
            decision = "approve_with_edits", callDigest = digest, parameters = new { order_id = "SO-000004", amount = 40, currency = "EUR" },
        });
        Assert.Equal(HttpStatusCode.Conflict, late);
        Assert.Equal("approval_already_decided", conflict.GetProperty("code").GetString());
        Assert.Single(await _fixture.Store.ListCaseActionsAsync(pending.GetProperty("actionId").GetString() is { } id
            ? (await _fixture.Store.GetActionAsync(id, Ct))!.CaseId : "", Ct));
    }
}
