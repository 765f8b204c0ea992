using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Core.Access;
using Skybridge.Storage;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Governance;

/// <summary>
/// The kill switch over HTTP on one node: only the manifest's halt authority presses it, a halt freezes approvals and
/// holds queued actions, and a resume decides held actions again against the current policy and ladder.
/// </summary>
public sealed class KillSwitchApiTests : IAsyncLifetime
{
    private readonly RunningServer _server = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static string Url(string verb) => $"/api/workflows/{RunningServer.Workflow}/{verb}";

    [Fact]
    public async Task Halt_ByARoleHolderOutsideTheHaltAuthority_Is403_AndChangesNothing()
    {
        // night.ops holds the operator role (the permission to halt) but the manifest does not name them.
        var accounts = _server.Services.GetRequiredService<AccountService>();
        await accounts.CreateUserAsync("seed", "night.ops", "Night ops", RunningServer.Password, Ct);
        await accounts.GrantRoleAsync("seed", "night.ops", RunningServer.Workflow, WorkflowRole.Operator, Ct);
        using var outsider = await _server.SignedInClientAsync("night.ops");

        using var refused = await outsider.PostAsJsonAsync(Url("halt"), new { reason = "looks odd" }, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("not_halt_authority", problem.GetProperty("code").GetString());
        Assert.Contains("group:support-ops", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Empty(await _server.Store.ListHaltsAsync(Ct));
        var state = await outsider.GetFromJsonAsync<JsonElement>(Url("halt"), Ct);
        Assert.False(state.GetProperty("mayPress").GetBoolean());
        Assert.Contains("user:maria.lopez", state.GetProperty("authority").EnumerateArray().Select(a => a.GetString()));

        // The authority may; then the outsider may not resume either: it is the same switch.
        using var operatorClient = await _server.SignedInClientAsync("operator");
        using var halted = await operatorClient.PostAsJsonAsync(Url("halt"), new { reason = "refunds misfiring" }, Ct);
        Assert.Equal(HttpStatusCode.OK, halted.StatusCode);
        using var resumeRefused = await outsider.PostAsJsonAsync(Url("resume"), new { reason = "fine now" }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, resumeRefused.StatusCode);
        var after = await outsider.GetFromJsonAsync<JsonElement>(Url("halt"), Ct);
        Assert.True(after.GetProperty("halted").GetBoolean());
        Assert.Equal("operator", after.GetProperty("haltedBy").GetString());
        Assert.Equal("refunds misfiring", after.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Halt_FreezesPendingApprovals_409_AndHoldsQueuedActions_ThenResumeRechecksThem()
    {
        var caseId = await HeldActions.CaseAsync(_server);
        var agent = await Identity.AgentKit.RegisterAsync(_server, "responder");
        var pending = await HeldActions.ActionAsync(_server, caseId, agent.ClientId, ActionStatuses.PendingApproval);
        using var operatorClient = await _server.SignedInClientAsync("operator");
        using var approver = await _server.SignedInClientAsync("approver");

        // Queued a moment before the halt (approved, not yet claimed by the outbox).
        var queued = await HeldActions.ActionAsync(_server, caseId, agent.ClientId, ActionStatuses.Approved, 20);
        using var halt = await operatorClient.PostAsJsonAsync(Url("halt"), new { reason = "refunds misfiring" }, Ct);
        Assert.Equal(HttpStatusCode.OK, halt.StatusCode);

        Assert.Equal(ActionStatuses.Held, (await _server.Store.GetActionAsync(queued.Id, Ct))!.Status);
        using var frozen = await approver.PostAsJsonAsync($"/api/approvals/{pending.ApprovalId}/decision", new { decision = "approve", callDigest = pending.CallDigest }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, frozen.StatusCode);
        Assert.Equal("approval_frozen", (await frozen.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        Assert.Equal(ApprovalStatuses.Pending, (await _server.Store.GetApprovalAsync(pending.ApprovalId!, Ct))!.Status);

        using var resume = await operatorClient.PostAsJsonAsync(Url("resume"), new { reason = "connector fixed" }, Ct);
        Assert.Equal(HttpStatusCode.OK, resume.StatusCode);

        // The outbox decides the held refund again under the CURRENT ladder: the sample runs at L0-draft, so it is
        // recorded for a person, not run; the trail says so.
        StoredAction? after = null;
        Assert.NotNull(await HeldActions.WithinAsync(TimeSpan.FromSeconds(10), async () =>
            (after = await _server.Store.GetActionAsync(queued.Id, Ct))!.Status != ActionStatuses.Held));
        Assert.Equal(ActionStatuses.Recorded, after!.Status);
        var trail = (await _server.Store.ReadLedgerCaseAsync(caseId, Ct)).Select(e => e.Type).ToList();
        Assert.Contains("action.held", trail);
        Assert.Contains("action.rechecked", trail);
        Assert.DoesNotContain("action.executed", trail);

        // The frozen approval was kept and can be decided now.
        using var decided = await approver.PostAsJsonAsync($"/api/approvals/{pending.ApprovalId}/decision", new { decision = "reject", callDigest = pending.CallDigest, comment = "not now" }, Ct);
        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
    }
}
