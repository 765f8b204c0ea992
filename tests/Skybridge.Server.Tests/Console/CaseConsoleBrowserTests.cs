using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Skybridge.Application.Actions;
using Skybridge.Application.Approvals;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Core.Governance.Approvals;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server.Tests.Identity;
using Skybridge.Server.Tests.Support;
using Skybridge.Storage;

namespace Skybridge.Server.Tests.Console;

/// <summary>
/// The approvals node with its checkpoints signed only when a test asks (whether an event is in the newest signed
/// checkpoint is then the test's doing, never the timer's), and a refund budget the tests' many proposals stay under.
/// </summary>
public sealed class CaseConsoleServer : ApprovalsServer
{
    protected override SkybridgeServerOptions Adjust(SkybridgeServerOptions options) => options with { CheckpointInterval = TimeSpan.FromDays(1) };

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var manifests = Services.GetRequiredService<ManifestService>();
        var active = (await Store.GetWorkflowAsync(Workflow, default))!.ActiveVersion!.Value;
        var yaml = (await Store.GetVersionAsync(Workflow, active, default))!.Yaml
            .Replace("sum: amount, max: 500,", "sum: amount, max: 100000,", StringComparison.Ordinal);
        var published = await manifests.PublishAsync(yaml, "manifest.yaml", null, "seed", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), default);
        Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
    }
}

/// <summary>
/// The case list, the case page with its ledger trail (each event's proof checked against the signed checkpoint) and
/// the agents page with their recent activity, in a real browser over a node whose refunds above 50 EUR wait for
/// <c>user:approver</c>.
/// </summary>
public sealed class CaseConsoleBrowserTests : IClassFixture<CaseConsoleServer>
{
    private readonly CaseConsoleServer _server;

    public CaseConsoleBrowserTests(CaseConsoleServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Url(string path) => new Uri(_server.BaseAddress, path).ToString();

    private Task SignInAsync(IPage page, string userName) => Browser.SignInAsync(page, _server.BaseAddress.ToString(), userName, RunningServer.Password);


    /// <summary>Signs a checkpoint of everything recorded so far, as the node's checkpoint service does on its interval.</summary>
    private async Task<long> CheckpointAsync() =>
        (await _server.Services.GetRequiredService<LedgerService>().CheckpointAsync(Ct))?.Size
        ?? (await _server.Store.GetLatestCheckpointAsync(Ct))!.Size;

    /// <summary>Changes stored ledger rows behind the node's back, as someone with access to the database file could.</summary>
    private async Task TamperAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_server.DataFolder, "skybridge.db")};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
    }

    /// <summary>A stored case with a small refund proposed by <paramref name="clientId"/> (allowed by policy, so it executes and fails: no system of record runs here).</summary>
    private async Task<string> ProposeSmallRefundAsync(string clientId)
    {
        var caseId = "case-" + Guid.NewGuid().ToString("N")[..12];
        await _server.Store.SaveCaseAsync(new StoredCase(caseId, RunningServer.Workflow, "operator", "Where is my order SO-654321?",
            new JsonObject { ["caseId"] = caseId, ["answer"] = null, ["abstained"] = true, ["reason"] = "no_evidence", ["reasonDetail"] = "Nothing in the sources answers it.", ["citations"] = new JsonArray(), ["claims"] = new JsonArray() }.ToJsonString(),
            true, DateTimeOffset.UtcNow), Ct);
        var result = await _server.Services.GetRequiredService<ActionPipeline>().ProposeAsync(new ActionProposal
        {
            WorkflowId = RunningServer.Workflow,
            CaseId = caseId,
            Action = "refund",
            Parameters = JsonNode.Parse("""{"order_id":"SO-654321","amount":20,"currency":"EUR"}"""),
            IdempotencyKey = "k-" + caseId,
            Requester = clientId,
            RequesterRole = "responder",
            RequesterKey = "thumbprint-of-" + clientId,
            Actors = [LedgerActor.Agent(clientId)],
        }, Ct);
        Assert.NotNull(result.Answer);
        return caseId;
    }

    [Fact]
    public async Task Auditor_OpensCaseListAndCase_SeesDraftActionDecisionAndTrailWithEveryProofChecked() =>
        await Browser.RunAsync("case-page", async page =>
        {
            var (approvalId, caseId) = await _server.ProposeRefundAsync(130);
            var digest = (await _server.Store.GetApprovalAsync(approvalId, Ct))!.CallDigest;
            var decided = await _server.Services.GetRequiredService<ApprovalService>().DecideAsync(
                approvalId, new Approver("approver", []), ApprovalVerdict.Approve, digest, "Photos attached.", null, Ct);
            Assert.True(decided.Succeeded);
            var checkpoint = await CheckpointAsync();
            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, "auditor");

            await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}"));
            await page.ClickAsync("#cases-link");
            var row = page.Locator($"#cases tr[data-case='{caseId}']");
            await Assertions.Expect(row.Locator(".submitter")).ToHaveTextAsync("operator");
            await Assertions.Expect(row.Locator(".draft-outcome")).ToHaveTextAsync("answered");
            await Assertions.Expect(row.Locator(".actions")).ToContainTextAsync("refund");
            await Assertions.Expect(row.Locator(".actions")).ToContainTextAsync(ActionStatuses.Failed);
            // The newest case is first.
            await Assertions.Expect(page.Locator("#cases tbody tr").First).ToHaveAttributeAsync("data-case", caseId);
            // Filters: it answered and its action ran (and failed), so it has neither a pending approval nor an executed action.
            await page.ClickAsync("a.filter[data-filter='abstained']");
            await Assertions.Expect(page.Locator("strong.filter.current")).ToHaveTextAsync("Abstained");
            await Assertions.Expect(page.Locator($"tr[data-case='{caseId}']")).ToHaveCountAsync(0);
            await page.ClickAsync("a.filter[data-filter='answered']");
            await Assertions.Expect(page.Locator($"tr[data-case='{caseId}']")).ToHaveCountAsync(1);
            await page.ClickAsync("a.filter[data-filter='pending']");
            await Assertions.Expect(page.Locator($"tr[data-case='{caseId}']")).ToHaveCountAsync(0);
            await page.ClickAsync("a.filter[data-filter='answered']");

            await page.ClickAsync($"tr[data-case='{caseId}'] a.case-link");
            await Assertions.Expect(page.Locator("#case-text")).ToContainTextAsync("My tent arrived torn");
            await Assertions.Expect(page.Locator("#draft-answer")).ToContainTextAsync("within 30 days");
            await Assertions.Expect(page.Locator("#citations a.citation")).ToHaveAttributeAsync("href",
                $"/workflows/{RunningServer.Workflow}/sources/knowledge-base/policies/refunds.md?version=v-abc123&start=10&end=52");
            await Assertions.Expect(page.Locator("#citations mark")).ToHaveTextAsync("refunded within 30 days of delivery");

            var action = page.Locator(".case-action");
            await Assertions.Expect(action).ToHaveCountAsync(1);
            await Assertions.Expect(action).ToHaveAttributeAsync("data-status", ActionStatuses.Failed);
            await Assertions.Expect(action.Locator("tr[data-parameter='amount'] .value")).ToHaveTextAsync("130");
            await Assertions.Expect(action.Locator(".requester")).ToContainTextAsync("responder-bot");
            await Assertions.Expect(action.Locator(".approval-status")).ToContainTextAsync(ApprovalStatuses.Approved);
            await Assertions.Expect(action.Locator(".votes")).ToContainTextAsync("approver approved");
            await Assertions.Expect(action.Locator(".votes")).ToContainTextAsync("Photos attached.");
            await Assertions.Expect(action.Locator(".result.failed")).ToBeVisibleAsync();

            // The trail: what the ledger holds for the case, each event proven against the signed checkpoint.
            var trail = page.Locator("#trail tbody tr");
            var types = await page.Locator("#trail tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.type)");
            Assert.Equal(
                [LedgerEventTypes.ActionProposed, LedgerEventTypes.PolicyDecided, LedgerEventTypes.ApprovalRequested, LedgerEventTypes.ApprovalDecided, LedgerEventTypes.ActionExecuted],
                types.Where(t => t != LedgerEventTypes.TokenIssued).Distinct());
            var stored = await _server.Store.ReadLedgerCaseAsync(caseId, Ct);
            await Assertions.Expect(trail).ToHaveCountAsync(stored.Count);
            await Assertions.Expect(page.Locator("#trail tr[data-proof='verified']")).ToHaveCountAsync(stored.Count);
            var signer = (await _server.Services.GetRequiredService<LedgerService>().StoredKeysAsync(Ct)).Single().Name;
            await Assertions.Expect(page.Locator("#trail .proof").First).ToHaveTextAsync($"✓ proof checked against checkpoint {checkpoint} (signed by {signer})");
            await Assertions.Expect(page.Locator("#trail-failed")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator($"#trail tr[data-type='{LedgerEventTypes.ApprovalDecided}'] .actors")).ToContainTextAsync("human:approver");
            await Assertions.Expect(page.Locator($"#trail tr[data-type='{LedgerEventTypes.ActionExecuted}'] .outcome")).ToHaveTextAsync("failed");

            // An event recorded after the checkpoint is shown as such, not as checked.
            await _server.Services.GetRequiredService<ILedger>().AppendAsync(new LedgerEntry
            {
                Type = LedgerEventTypes.ActionRechecked, Actors = [LedgerActor.System("test")], WorkflowId = RunningServer.Workflow, CaseId = caseId, Outcome = "noted",
            }, Ct);
            await page.ReloadAsync();
            await Assertions.Expect(page.Locator($"#trail tr[data-type='{LedgerEventTypes.ActionRechecked}'] .proof")).ToHaveTextAsync("not yet in a signed checkpoint");
            await Assertions.Expect(page.Locator("#trail tr[data-proof='verified']")).ToHaveCountAsync(stored.Count);
            Assert.Empty(violations);
        });

    [Fact]
    public async Task CasePage_LedgerRowChangedInTheDatabase_ShowsProofFailed() =>
        await Browser.RunAsync("case-tampered", async page =>
        {
            var (_, caseId) = await _server.ProposeRefundAsync(140);
            await CheckpointAsync();
            // Someone with the database file rewrites who proposed the refund; the row's JSON stays valid.
            var proposed = (await _server.Store.ReadLedgerCaseAsync(caseId, Ct)).Single(e => e.Type == LedgerEventTypes.ActionProposed);
            await TamperAsync("UPDATE ledger_events SET body = replace(body, 'responder-bot', 'someone-else') WHERE seq = $seq", ("$seq", proposed.Sequence));

            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, "owner");
            await page.GotoAsync(Url($"/cases/{caseId}"));
            await Assertions.Expect(page.Locator("#trail-failed")).ToContainTextAsync("PROOF FAILED");
            var tampered = page.Locator($"#trail tr[data-seq='{proposed.Sequence}']");
            await Assertions.Expect(tampered).ToHaveAttributeAsync("data-proof", "failed");
            await Assertions.Expect(tampered.Locator(".proof")).ToHaveTextAsync("PROOF FAILED");
            await Assertions.Expect(tampered.Locator(".actors")).ToContainTextAsync("agent:someone-else");
            // The other events of the case still prove.
            await Assertions.Expect(page.Locator("#trail tr[data-proof='failed']")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator($"#trail tr[data-type='{LedgerEventTypes.PolicyDecided}']")).ToHaveAttributeAsync("data-proof", "verified");
            Assert.Empty(violations);
        });

    [Fact]
    public async Task CasePage_CheckpointSignatureChangedInTheDatabase_ShowsProofFailed_NotUnchecked() =>
        await Browser.RunAsync("checkpoint-tampered", async page =>
        {
            var (_, caseId) = await _server.ProposeRefundAsync(150);
            var size = await CheckpointAsync();
            var note = (await _server.Store.GetLatestCheckpointAsync(Ct))!.Note;
            // The signature line now names a key this installation never had: the note is no longer signed by a ledger key.
            await TamperAsync("UPDATE ledger_checkpoints SET note = replace(note, $line, $forged) WHERE size = $size",
                ("$line", "\n\u2014 "), ("$forged", "\n\u2014 forged."), ("$size", size));
            try
            {
                await SignInAsync(page, "auditor");
                await page.GotoAsync(Url($"/cases/{caseId}"));
                await Assertions.Expect(page.Locator("#checkpoint-unverified")).ToContainTextAsync("PROOF FAILED");
                var events = (await _server.Store.ReadLedgerCaseAsync(caseId, Ct)).Count;
                await Assertions.Expect(page.Locator("#trail tr[data-proof='failed']")).ToHaveCountAsync(events);
                await Assertions.Expect(page.Locator("#trail tr[data-proof='verified']")).ToHaveCountAsync(0);
            }
            finally
            {
                await TamperAsync("UPDATE ledger_checkpoints SET note = $note WHERE size = $size", ("$note", note), ("$size", size));
            }
        });

    [Fact]
    public async Task CasePages_WithoutARoleOnTheWorkflow_AreRefused_AndSignedOutGoesToSignIn() =>
        await Browser.RunAsync("case-refused", async page =>
        {
            var (_, caseId) = await _server.ProposeRefundAsync(60);
            var signedOut = await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}/cases"));
            Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
            Assert.NotNull(signedOut);

            await SignInAsync(page, "outsider");
            foreach (var path in new[] { $"/workflows/{RunningServer.Workflow}/cases", $"/cases/{caseId}", $"/workflows/{RunningServer.Workflow}/agents" })
            {
                var response = await page.GotoAsync(Url(path));
                // No role on the workflow: it answers as if it did not exist, like the API.
                Assert.True(response!.Status == 404, $"{path}: {response.Status}");
                Assert.DoesNotContain(caseId, await page.ContentAsync(), StringComparison.Ordinal);
            }

            // Their own workflow's list opens, without the other workflow's case.
            var own = await page.GotoAsync(Url($"/workflows/{RunningServer.OtherWorkflow}/cases"));
            Assert.Equal(200, own!.Status);
            await Assertions.Expect(page.Locator($"tr[data-case='{caseId}']")).ToHaveCountAsync(0);
        });

    [Fact]
    public async Task CaseList_PagesOlderCasesByKeyset_NeitherRepeatingNorSkipping() =>
        await Browser.RunAsync("case-pages", async page =>
        {
            // billing-disputes, whose owner is "outsider": the other tests' cases are on support-desk.
            var at = DateTimeOffset.UtcNow;
            var ids = Enumerable.Range(0, ListPageSize + 3).Select(i => $"case-page-{i:D2}").ToList();
            foreach (var (id, i) in ids.Select((id, i) => (id, i)))
            {
                // Two cases share each moment: the order and the page boundary fall back on the id.
                await _server.Store.SaveCaseAsync(new StoredCase(id, RunningServer.OtherWorkflow, "operator", "Case " + id,
                    """{"answer":"Yes.","abstained":false,"citations":[],"claims":[]}""", false, at.AddSeconds(i / 2)), Ct);
            }

            var newestFirst = ids.OrderByDescending(id => ids.IndexOf(id) / 2).ThenByDescending(id => id, StringComparer.Ordinal).ToList();
            await SignInAsync(page, "outsider");
            await page.GotoAsync(Url($"/workflows/{RunningServer.OtherWorkflow}/cases"));
            Assert.Equal(newestFirst.Take(ListPageSize), await CaseIdsAsync(page));
            await Assertions.Expect(page.Locator("#newest")).ToHaveCountAsync(0);
            await page.ClickAsync("#older");
            Assert.Equal(newestFirst.Skip(ListPageSize), await CaseIdsAsync(page));
            await Assertions.Expect(page.Locator("#older")).ToHaveCountAsync(0);
            await page.ClickAsync("#newest");
            Assert.Equal(newestFirst.Take(ListPageSize), await CaseIdsAsync(page));

            // A cursor that is not one is refused, not guessed at.
            Assert.Equal(400, (await page.GotoAsync(Url($"/workflows/{RunningServer.OtherWorkflow}/cases?before=yesterday")))!.Status);
            Assert.Equal(400, (await page.GotoAsync(Url($"/workflows/{RunningServer.OtherWorkflow}/cases?status=everything")))!.Status);
        });

    private const int ListPageSize = Skybridge.Server.Console.Cases.ListModel.PageSize;

    private static async Task<List<string>> CaseIdsAsync(IPage page) =>
        [.. await page.Locator("#cases tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.case)")];

    [Fact]
    public async Task Reviewer_SeesTheCaseAndItsActions_ButNeitherTheTrailNorTheApprovalsDecisions() =>
        await Browser.RunAsync("case-reviewer", async page =>
        {
            var (_, caseId) = await _server.ProposeRefundAsync(70);
            await SignInAsync(page, "reviewer");
            await page.GotoAsync(Url($"/cases/{caseId}"));
            await Assertions.Expect(page.Locator("#draft-answer")).ToContainTextAsync("within 30 days");
            await Assertions.Expect(page.Locator(".case-action")).ToHaveAttributeAsync("data-status", ActionStatuses.PendingApproval);
            await Assertions.Expect(page.Locator(".approval-hidden")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#trail-hidden")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#trail")).ToHaveCountAsync(0);
        });

    [Fact]
    public async Task Owner_OpensAgentsPage_SeesEachAgentAndItsRecentEvents_LinkedToTheirCases() =>
        await Browser.RunAsync("agents-page", async page =>
        {
            var kit = await AgentKit.RegisterAsync(_server, "responder");
            var idle = await AgentKit.RegisterAsync(_server, "responder");
            Assert.Equal(Skybridge.Application.Agents.AgentOutcome.Done,
                (await _server.Services.GetRequiredService<Skybridge.Application.Agents.AgentService>().SetEnabledAsync("admin", idle.ClientId, false, Ct)).Outcome);
            using (var http = new HttpClient())
            {
                await kit.TokenAsync(http, AgentKit.NewKey());
            }

            var caseId = await ProposeSmallRefundAsync(kit.ClientId);
            var stored = (await _server.Store.GetAgentAsync(kit.ClientId, Ct))!;
            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, "owner");

            await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}"));
            await page.ClickAsync("#agents-link");
            var row = page.Locator($"#agents tr[data-agent='{kit.ClientId}']");
            await Assertions.Expect(row.Locator(".role")).ToHaveTextAsync("responder");
            await Assertions.Expect(row.Locator(".thumbprint")).ToHaveTextAsync(stored.Keys.Single().KeyId);
            await Assertions.Expect(row.Locator(".agent-status")).ToHaveTextAsync("enabled");
            await Assertions.Expect(page.Locator($"#agents tr[data-agent='{idle.ClientId}'] .agent-status")).ToHaveTextAsync("disabled");

            var activity = page.Locator($".agent-activity[data-agent='{kit.ClientId}']");
            var types = await activity.Locator("tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.type)");
            // Newest first, only events it acted in: the policy's decision on its proposal, the proposal, the token it
            // was issued (the execution that followed is the node's own event, not the agent's).
            Assert.Equal([LedgerEventTypes.PolicyDecided, LedgerEventTypes.ActionProposed, LedgerEventTypes.TokenIssued], types);
            await Assertions.Expect(page.Locator($".agent-activity[data-agent='{idle.ClientId}'] .no-activity")).ToBeVisibleAsync();
            // The nav leads to the cases from here too.
            await Assertions.Expect(page.Locator("#nav-cases")).ToHaveAttributeAsync("href", $"/workflows/{RunningServer.Workflow}/cases");

            await activity.Locator($"tr[data-type='{LedgerEventTypes.ActionProposed}'] a.case-link").ClickAsync();
            await Assertions.Expect(page.Locator("#draft-abstained")).ToContainTextAsync("Nothing in the sources answers it.");
            await Assertions.Expect(page.Locator(".case-action .requester")).ToContainTextAsync(kit.ClientId);
            Assert.EndsWith($"/cases/{caseId}", page.Url, StringComparison.Ordinal);
            Assert.Empty(violations);
        });
}
