using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Application.Actions;
using Skybridge.Application.Ledger;
using Skybridge.Application.Manifests;
using Skybridge.Application.Tokens;
using Skybridge.Cli.Commands;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server;
using Skybridge.Server.Hosting;
using Skybridge.Storage;

namespace Skybridge.Cli.Tests.Commands;

/// <summary>
/// <c>skybridge approvals list|decide</c> against a real node, signed in as the refund approver with
/// <c>skybridge login</c>: what is pending, filtered; a rejection; an approval with edits; the refusals' codes.
/// </summary>
[Collection("session-environment")]
public sealed partial class ApprovalCommandTests
{

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("30m", 30)]
    [InlineData("2h", 120)]
    [InlineData("1d", 1440)]
    [InlineData("1w", 10080)]
    [InlineData("soon", null)]
    [InlineData("-5m", null)]
    public void ParseMinutes_Durations_AreMinutes(string text, int? minutes) => Assert.Equal(minutes, ApprovalCommands.ParseMinutes(text));

    [Fact]
    public async Task Approvals_ListAndDecide_AsTheSignedInApprover_WithEditsAndStableRefusals()
    {
        var data = CliRun.NewDataFolder();
        Environment.SetEnvironmentVariable("SKYBRIDGE_CONFIG", Path.Combine(data, "config"));
        await using var store = SkybridgeStores.OpenSqlite(data);
        await store.MigrateAsync(Ct);
        await store.RecordAutonomyGrantAsync(new AutonomyGrant
        {
            WorkflowId = "support-desk", Level = "L2-approve-consequential", GrantedBy = "test", GrantedAt = DateTimeOffset.UtcNow, Evidence = "test",
        }, Ct);
        await using (var ledger = new LedgerWriter(store, TimeProvider.System, "test"))
        {
            var yaml = (await File.ReadAllTextAsync(CliRun.SampleManifest, Ct)).Replace("level: L0-draft", "level: L2-approve-consequential", StringComparison.Ordinal);
            var published = await new ManifestService(store, TimeProvider.System, ledger).PublishAsync(yaml, "manifest.yaml", null, "test", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);
            Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
            var accounts = new AccountService(store, TimeProvider.System, ledger);
            await accounts.CreateUserAsync("test", "approver", "Approver", "a long enough passphrase", Ct);
            await accounts.GrantRoleAsync("test", "approver", "support-desk", Skybridge.Core.Access.WorkflowRole.Approver, Ct);
            // The sample's refund authority is group:support-leads.
            await new Skybridge.Application.Accounts.GroupService(store, ledger, TimeProvider.System).AddAsync("test", "support-leads", "approver", Ct);
        }

        await using var app = SkybridgeServer.Build(new SkybridgeServerOptions { Urls = "http://127.0.0.1:0", MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning }, store);
        await app.StartNodeAsync(Ct);
        await CliLogin.AsAsync(app, SkybridgeServer.ListeningAddresses(app)[0], "approver", Ct);
        // The proposing agent is registered: an edited call is proposed again with its role.
        var registered = await app.Services.GetRequiredService<Skybridge.Application.Agents.AgentService>().RegisterAsync("test", "support-desk", "responder-bot", "responder",
            Skybridge.Application.Agents.AgentKeyPair.Generate().PublicJwk, Ct);
        Assert.Equal(Skybridge.Application.Agents.AgentOutcome.Done, registered.Outcome);
        var first = await ProposeRefundAsync(app, store, 300);
        var second = await ProposeRefundAsync(app, store, 150); // the sample's daily refund budget is 500 EUR

        // Listed, oldest first, and filtered by action and age.
        var list = await CliRun.RunAsync("approvals", "list", "support-desk");
        Assert.True(list.ExitCode == 0, list.Error);
        Assert.Contains(first.ApprovalId!, list.Output, StringComparison.Ordinal);
        Assert.Contains(second.ApprovalId!, list.Output, StringComparison.Ordinal);
        Assert.True(list.Output.IndexOf(first.ApprovalId!, StringComparison.Ordinal) < list.Output.IndexOf(second.ApprovalId!, StringComparison.Ordinal));
        var json = await CliRun.RunAsync("approvals", "list", "support-desk", "--action", "refund", "--json");
        Assert.True(json.ExitCode == 0, json.Error);
        Assert.Equal([first.ApprovalId, second.ApprovalId], JsonNode.Parse(json.Output)!.AsArray().Select(a => (string?)a!["id"]));
        Assert.Contains("No pending approvals", (await CliRun.RunAsync("approvals", "list", "support-desk", "--action", "reply")).Output, StringComparison.Ordinal);
        Assert.Contains("No pending approvals", (await CliRun.RunAsync("approvals", "list", "support-desk", "--older-than", "1h")).Output, StringComparison.Ordinal);
        var badAge = await CliRun.RunAsync("approvals", "list", "support-desk", "--older-than", "soon");
        Assert.Equal(ExitCodes.InvalidInput, badAge.ExitCode);

        // A rejection.
        var rejected = await CliRun.RunAsync("approvals", "decide", first.ApprovalId!, "reject", "--comment", "not this order");
        Assert.True(rejected.ExitCode == 0, rejected.Error);
        Assert.Contains("Rejected", rejected.Output, StringComparison.Ordinal);
        Assert.Equal(ActionStatuses.Rejected, (await store.GetActionAsync(first.ActionId, Ct))!.Status);

        // Edits that do not fit the schema: every problem with its code, and nothing changes.
        var invalid = await CliRun.RunAsync("approvals", "decide", second.ApprovalId!, "approve", "--param", "amount=lots", "--param", "currency=USD");
        Assert.Equal(ExitCodes.InvalidInput, invalid.ExitCode);
        Assert.Contains("invalid_parameters", invalid.Error, StringComparison.Ordinal);
        Assert.Contains("amount", invalid.Error, StringComparison.Ordinal);
        Assert.Contains("currency", invalid.Error, StringComparison.Ordinal);
        Assert.Equal(ApprovalStatuses.Pending, (await store.GetApprovalAsync(second.ApprovalId!, Ct))!.Status);
        Assert.Equal(ExitCodes.InvalidInput, (await CliRun.RunAsync("approvals", "decide", second.ApprovalId!, "reject", "--param", "amount=200")).ExitCode);

        // Approved with edits: a new call that still needs approval, from someone else than its editor.
        var edited = await CliRun.RunAsync("approvals", "decide", second.ApprovalId!, "approve", "--param", "amount=200", "--comment", "200 covers it");
        Assert.True(edited.ExitCode == 0, edited.Error);
        Assert.True(edited.Output.Contains("Approved with edits", StringComparison.Ordinal), edited.Output);
        Assert.True(edited.Output.Contains("pending_approval", StringComparison.Ordinal), edited.Output);
        var pending = JsonNode.Parse((await CliRun.RunAsync("approvals", "list", "support-desk", "--json")).Output)!.AsArray();
        var successor = Assert.Single(pending)!;
        Assert.NotEqual(second.ApprovalId, (string?)successor["id"]);
        var successorAction = (await store.GetActionAsync((string)successor["actionId"]!, Ct))!;
        Assert.Equal("""{"amount":200,"currency":"EUR","order_id":"SO-000001"}""", successorAction.Parameters);

        var self = await CliRun.RunAsync("approvals", "decide", (string)successor["id"]!, "approve");
        Assert.Equal(ExitCodes.Failed, self.ExitCode);
        Assert.Contains("self_approval", self.Error, StringComparison.Ordinal);
        var twice = await CliRun.RunAsync("approvals", "decide", first.ApprovalId!, "approve");
        Assert.Contains("approval_already_decided", twice.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", list.Output + json.Output + edited.Output + self.Error, StringComparison.Ordinal);
        await app.StopAsync(Ct);
    }

    private static async Task<ActionAnswer> ProposeRefundAsync(WebApplication app, ISkybridgeStore store, int amount)
    {
        var caseId = "case-" + Guid.NewGuid().ToString("N")[..12];
        await store.SaveCaseAsync(new StoredCase(caseId, "support-desk", "test", "Please refund my order.", "{}", false, DateTimeOffset.UtcNow), Ct);
        var result = await app.Services.GetRequiredService<ActionPipeline>().ProposeAsync(new ActionProposal
        {
            WorkflowId = "support-desk",
            CaseId = caseId,
            Action = "refund",
            Parameters = JsonNode.Parse($$"""{"order_id":"SO-000001","amount":{{amount}},"currency":"EUR"}"""),
            IdempotencyKey = "k-" + caseId,
            Requester = "support-desk/responder-bot",
            RequesterRole = "responder",
            RequesterKey = "thumbprint-of-responder-key",
            Actors = [LedgerActor.Agent("support-desk/responder-bot")],
        }, Ct);
        Assert.True(result.Answer is { Status: ActionStatuses.PendingApproval }, result.Refusal?.Message ?? result.Answer?.Status);
        return result.Answer!;
    }

}
