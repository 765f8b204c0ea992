using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Actions;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Governance;

/// <summary>
/// <c>POST /api/workflows/{id}/policy/replay</c> over HTTP: decisions the node recorded, decided again under a
/// candidate manifest sent as the body; who may ask; what a bad candidate gets back.
/// </summary>
public sealed class PolicyReplayApiTests : IAsyncLifetime
{
    private readonly RunningServer _server = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Url => $"/api/workflows/{RunningServer.Workflow}/policy/replay";

    public ValueTask InitializeAsync() => _server.InitializeAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static async Task<string> CandidateAsync(int threshold) =>
        (await File.ReadAllTextAsync(RepoPaths.SampleManifest, Ct))
            .Replace("{ amount: { lte: 50 } }", $"{{ amount: {{ lte: {threshold} }} }}", StringComparison.Ordinal)
            .Replace("{ amount: { gt: 50 } }", $"{{ amount: {{ gt: {threshold} }} }}", StringComparison.Ordinal);

    /// <summary>Refunds proposed through the node's own action path, as its agent would.</summary>
    private async Task<string> ProposeRefundAsync(double amount)
    {
        var caseId = await HeldActions.CaseAsync(_server);
        var result = await _server.Services.GetRequiredService<ActionPipeline>().ProposeAsync(new ActionProposal
        {
            WorkflowId = RunningServer.Workflow,
            CaseId = caseId,
            Action = "refund",
            Parameters = new JsonObject { ["order_id"] = "SO-000004", ["amount"] = amount, ["currency"] = "EUR" },
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            Requester = "support-desk/responder",
            RequesterRole = "responder",
            RequesterKey = "jkt-responder",
            Actors = [LedgerActor.Agent("support-desk/responder")],
        }, Ct);
        Assert.True(result.Answer is not null, result.Refusal?.Message);
        return result.Answer.ActionId;
    }

    private static StringContent Yaml(string text) => new(text, Encoding.UTF8, "application/yaml");

    [Fact]
    public async Task Replay_LowerThreshold_ListsTheFlippedRefund_ForTheOwner()
    {
        await ProposeRefundAsync(20);
        var middle = await ProposeRefundAsync(40);
        using var owner = await _server.SignedInClientAsync("owner");

        using var response = await owner.PostAsync(Url + "?since=1d", Yaml(await CandidateAsync(30)), Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal(2, doc.RootElement.GetProperty("totals").GetProperty("redecided").GetInt32());
        Assert.Equal(1, doc.RootElement.GetProperty("totals").GetProperty("flipped").GetInt32());
        var change = Assert.Single(doc.RootElement.GetProperty("changes").EnumerateArray());
        Assert.Equal(middle, change.GetProperty("action_id").GetString());
        Assert.Equal("allow", change.GetProperty("old_outcome").GetString());
        Assert.Equal("require_approval", change.GetProperty("new_outcome").GetString());
        // The running sample drafts (L0): whatever the policy says, the proposal is recorded for a person.
        Assert.Equal("record_proposal", change.GetProperty("new_disposition").GetString());
    }

    [Fact]
    public async Task Replay_WithoutThePermission_Is403_AndBadCandidatesAreRefusedWithACode()
    {
        await ProposeRefundAsync(40);
        using var approver = await _server.SignedInClientAsync("approver");
        using var auditor = await _server.SignedInClientAsync("auditor");

        using var forbidden = await approver.PostAsync(Url, Yaml(await CandidateAsync(30)), Ct);
        using var invalid = await auditor.PostAsync(Url, Yaml((await CandidateAsync(30)).Replace("effect: permit", "effect: allow", StringComparison.Ordinal)), Ct);
        using var other = await auditor.PostAsync(Url, Yaml((await CandidateAsync(30)).Replace("id: support-desk", "id: other-desk", StringComparison.Ordinal)), Ct);
        using var since = await auditor.PostAsync(Url + "?since=forever", Yaml(await CandidateAsync(30)), Ct);
        using var xml = await auditor.PostAsync(Url, new StringContent("<manifest/>", Encoding.UTF8, "application/xml"), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("invalid_manifest", problem.GetProperty("code").GetString());
        var diagnostic = problem.GetProperty("diagnostics")[0];
        Assert.Equal("SB1006", diagnostic.GetProperty("code").GetString());
        Assert.True(diagnostic.GetProperty("line").GetInt32() > 1);
        Assert.Equal(15, diagnostic.GetProperty("column").GetInt32());
        Assert.Equal("workflow_id_mismatch", (await other.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, since.StatusCode);
        Assert.Equal("invalid_since", (await since.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, xml.StatusCode);
    }
}
