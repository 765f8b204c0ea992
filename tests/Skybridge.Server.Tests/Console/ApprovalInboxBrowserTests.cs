using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Skybridge.Application.Actions;
using Skybridge.Application.Manifests;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server.Tests.Support;
using Skybridge.Storage;

namespace Skybridge.Server.Tests.Console;

/// <summary>
/// A node whose support-desk manifest runs at L2-approve-consequential, so a refund above 50 EUR proposed through the
/// action path waits for <c>group:support-leads</c>, which the approver account is in. No system of record runs here: an approved refund fails at the
/// connector, and the console must say so.
/// </summary>
public class ApprovalsServer : RunningServer
{
    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await Store.RecordAutonomyGrantAsync(new AutonomyGrant
        {
            WorkflowId = Workflow, Level = "L2-approve-consequential", GrantedBy = "seed", GrantedAt = DateTimeOffset.UtcNow, Evidence = "test fixture",
        }, default);
        var yaml = (await File.ReadAllTextAsync(RepoPaths.SampleManifest))
            .Replace("level: L0-draft", "level: L2-approve-consequential", StringComparison.Ordinal);
        // The node's own manifest service: the node sees the new level at once.
        var published = await Services.GetRequiredService<ManifestService>().PublishAsync(yaml, "manifest.yaml", null, "seed", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), default);
        Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
    }

    /// <summary>Stores a case whose draft cites a help-centre passage, and has the responder propose a refund for it; the approval's id.</summary>
    public async Task<(string ApprovalId, string CaseId)> ProposeRefundAsync(int amount)
    {
        var caseId = "case-" + Guid.NewGuid().ToString("N")[..12];
        var draft = new JsonObject
        {
            ["caseId"] = caseId,
            ["answer"] = "Orders can be refunded within 30 days of delivery.",
            ["abstained"] = false,
            ["reason"] = null,
            ["reasonDetail"] = null,
            ["citations"] = new JsonArray(new JsonObject
            {
                ["document"] = "policies/refunds.md", ["source"] = "knowledge-base", ["title"] = "Refund policy", ["version"] = "v-abc123",
                ["start"] = 10, ["end"] = 52, ["quote"] = "refunded within 30 days of delivery",
            }),
            ["claims"] = new JsonArray(),
        };
        await Store.SaveCaseAsync(new StoredCase(caseId, Workflow, "operator", "My tent arrived torn, order SO-123456. I want my money back.",
            draft.ToJsonString(), false, DateTimeOffset.UtcNow), default);
        var result = await Services.GetRequiredService<ActionPipeline>().ProposeAsync(new ActionProposal
        {
            WorkflowId = Workflow,
            CaseId = caseId,
            Action = "refund",
            // As the API receives them: parsed from JSON (the schema step reads JSON values, not CLR-typed nodes).
            Parameters = JsonNode.Parse($$"""{"order_id":"SO-123456","amount":{{amount}},"currency":"EUR"}"""),
            IdempotencyKey = "k-" + caseId,
            Requester = "responder-bot",
            RequesterRole = "responder",
            RequesterKey = "thumbprint-of-responder-key",
            Actors = [LedgerActor.Agent("responder-bot")],
        }, default);
        Assert.True(result.Answer is { Status: ActionStatuses.PendingApproval }, result.Refusal?.Message + result.Refusal?.Problems?.ToJsonString() ?? result.Answer?.Status);
        return (result.Answer!.ApprovalId!, caseId);
    }
}

/// <summary>The approver's path through the approvals inbox in a real browser, and what the other roles see there.</summary>
public sealed class ApprovalInboxBrowserTests : IClassFixture<ApprovalsServer>
{
    private readonly ApprovalsServer _server;

    public ApprovalInboxBrowserTests(ApprovalsServer server) => _server = server;

    private string Url(string path) => new Uri(_server.BaseAddress, path).ToString();

    private Task SignInAsync(IPage page, string userName) => Browser.SignInAsync(page, _server.BaseAddress.ToString(), userName, RunningServer.Password);


    [Fact]
    public async Task Approver_OpensInbox_SeesExactCallAndExplanation_Approves_SeesTheSystemsAnswer() =>
        await Browser.RunAsync("approver-inbox", async page =>
        {
            var (approvalId, caseId) = await _server.ProposeRefundAsync(120);
            var digest = (await _server.Store.GetApprovalAsync(approvalId))!.CallDigest;
            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, "approver");

            await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}"));
            Assert.True(int.Parse(await page.Locator("#approvals-pending").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
            await page.ClickAsync("#approvals-link");

            var card = page.Locator($"#approval-{approvalId}");
            await Assertions.Expect(card).ToBeVisibleAsync();
            await Assertions.Expect(card.Locator(".action-name")).ToHaveTextAsync("refund");
            // The parameters as stored, which is what the connector sends and the digest covers.
            await Assertions.Expect(card.Locator("tr[data-parameter='amount'] .value")).ToHaveTextAsync("120");
            await Assertions.Expect(card.Locator("tr[data-parameter='order_id'] .value")).ToHaveTextAsync("\"SO-123456\"");
            await Assertions.Expect(card.Locator("tr[data-parameter='currency'] .value")).ToHaveTextAsync("\"EUR\"");
            await Assertions.Expect(card.Locator(".digest")).ToHaveAttributeAsync("title", digest);
            await Assertions.Expect(card.Locator(".requester")).ToHaveTextAsync("responder-bot");
            await Assertions.Expect(card.Locator(".case")).ToHaveTextAsync(caseId);
            await Assertions.Expect(card.Locator(".eligible")).ToHaveTextAsync("group:support-leads");
            await Assertions.Expect(card.Locator(".required")).ToContainTextAsync("1");
            await Assertions.Expect(card.Locator(".expiry")).ToContainTextAsync("in ");
            await Assertions.Expect(card.Locator(".rules")).ToContainTextAsync("refund-large");

            await page.ClickAsync($"a.open[href='/approvals/{approvalId}']");
            await Assertions.Expect(page.Locator("#draft-answer")).ToContainTextAsync("within 30 days");
            var citation = page.Locator("#citations a.citation");
            await Assertions.Expect(citation).ToHaveAttributeAsync("href",
                $"/workflows/{RunningServer.Workflow}/sources/knowledge-base/policies/refunds.md?version=v-abc123&start=10&end=52");
            await Assertions.Expect(page.Locator("#decision-form input[name='callDigest']")).ToHaveValueAsync(digest);

            // A second tab holds the same form: once the first decides, its decision is refused, not taken twice.
            var stale = await page.Context.NewPageAsync();
            await stale.GotoAsync(page.Url);
            await Assertions.Expect(stale.Locator("#approve")).ToBeVisibleAsync();

            await page.FillAsync("#comment", "Torn tent, photos on the ticket.");
            await page.ClickAsync("#approve");
            var result = page.Locator("#decision-result");
            // No system of record runs beside this node: the approved call is tried once and fails, and the page says so.
            await Assertions.Expect(result).ToContainTextAsync("Approved, but the system of record did not do it");
            await Assertions.Expect(page.Locator($"#approval-{approvalId}")).ToHaveAttributeAsync("data-status", ApprovalStatuses.Approved);
            await Assertions.Expect(page.Locator(".result.failed")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator(".votes")).ToContainTextAsync("approver approved");
            await Assertions.Expect(page.Locator(".votes")).ToContainTextAsync("Torn tent, photos on the ticket.");
            await Assertions.Expect(page.Locator("#decision-form")).ToHaveCountAsync(0);
            var action = (await _server.Store.GetActionAsync((await _server.Store.GetApprovalAsync(approvalId))!.ActionId))!;
            Assert.Equal(ActionStatuses.Failed, action.Status);

            await stale.FillAsync("#comment", "Me too.");
            await stale.ClickAsync("#reject");
            await Assertions.Expect(stale.Locator("#refusal-code")).ToHaveTextAsync("approval_already_decided");
            Assert.Equal(ActionStatuses.Failed, (await _server.Store.GetActionAsync(action.Id))!.Status);

            // Back in the inbox it is among the decided ones, no longer pending.
            await page.ClickAsync("#inbox");
            await Assertions.Expect(page.Locator($"#approval-{approvalId}")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator($"#decided tr[data-approval='{approvalId}']")).ToContainTextAsync("approved");
            Assert.Empty(violations);
        });

    [Fact]
    public async Task Auditor_SeesTheInboxAndTheApproval_ButGetsNoDecisionForm_AndCannotPostOne() =>
        await Browser.RunAsync("auditor-inbox", async page =>
        {
            var (approvalId, _) = await _server.ProposeRefundAsync(75);
            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, "auditor");
            await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}/approvals"));
            await Assertions.Expect(page.Locator($"#approval-{approvalId} tr[data-parameter='amount'] .value")).ToHaveTextAsync("75");
            await page.ClickAsync($"a.open[href='/approvals/{approvalId}']");
            await Assertions.Expect(page.Locator($"#approval-{approvalId}")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#decision-form")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator("#no-decision")).ToBeVisibleAsync();

            // Even a hand-made post with a valid antiforgery token is refused by the page's permission.
            var token = await page.Locator("input[name='__RequestVerificationToken']").First.GetAttributeAsync("value");
            var digest = (await _server.Store.GetApprovalAsync(approvalId))!.CallDigest;
            var response = await page.APIRequest.PostAsync(Url($"/approvals/{approvalId}"), new APIRequestContextOptions
            {
                Headers = new Dictionary<string, string> { ["Origin"] = _server.BaseAddress.GetLeftPart(UriPartial.Authority) },
                Form = FormOf(page, ("__RequestVerificationToken", token!), ("decision", "approve"), ("callDigest", digest)),
            });
            Assert.Equal(403, response.Status);
            Assert.Equal(ApprovalStatuses.Pending, (await _server.Store.GetApprovalAsync(approvalId))!.Status);
            Assert.Empty(violations);
        });

    [Fact]
    public async Task Approver_OnAHaltedWorkflow_SeesTheApprovalFrozen_AndNoForm() =>
        await Browser.RunAsync("approver-frozen", async page =>
        {
            var (approvalId, _) = await _server.ProposeRefundAsync(90);
            var killSwitch = _server.Services.GetRequiredService<Skybridge.Application.Governance.KillSwitch>();
            Assert.True(await killSwitch.HaltAsync("operator", RunningServer.Workflow, "refund incident", default));
            try
            {
                await SignInAsync(page, "approver");
                await page.GotoAsync(Url($"/approvals/{approvalId}"));
                await Assertions.Expect(page.Locator($"#approval-{approvalId} .status")).ToHaveTextAsync("frozen");
                await Assertions.Expect(page.Locator("#frozen")).ToBeVisibleAsync();
                await Assertions.Expect(page.Locator("#decision-form")).ToHaveCountAsync(0);
                await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}/approvals"));
                await Assertions.Expect(page.Locator("#halted")).ToContainTextAsync("refund incident");
            }
            finally
            {
                Assert.True(await killSwitch.ResumeAsync("operator", RunningServer.Workflow, "incident over", default));
            }
        });

    private static IFormData FormOf(IPage page, params (string Name, string Value)[] fields)
    {
        var form = page.Context.APIRequest.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }

        return form;
    }
}
