using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Evaluation;
using Skybridge.Application.Ledger;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server.Tests.Support;

namespace Skybridge.Server.Tests.Governance;

/// <summary>
/// The evaluation gate on activation, attacked over HTTP: a version becomes active only on a stored run of its exact
/// text, on the golden set it pins, that cleared its bar; or by its owner's override with a reason, which then shows
/// wherever the version is shown. Each workflow here is owned by the group gate-owners, whose only member is the
/// account "owner"; admin holds every permission but is not the owner.
/// </summary>
public sealed class ActivationGateAttackTests : IClassFixture<RunningServer>
{
    private const string Reason = "pilot kick-off; the support leads agree the golden set next week";
    private readonly RunningServer _server;

    public ActivationGateAttackTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SampleFolder => Path.GetDirectoryName(RepoPaths.SampleManifest)!;

    /// <summary>The sample as workflow <paramref name="id"/>, owned by group:gate-owners, with <paramref name="bar"/> as its acceptance bar.</summary>
    private static async Task<string> ManifestAsync(string id, string bar = "  - { metric: abstention_recall, min: 0.5 }\n")
    {
        var yaml = (await File.ReadAllTextAsync(RepoPaths.SampleManifest, Ct))
            .Replace("id: support-desk", $"id: {id}", StringComparison.Ordinal)
            .Replace("owner: user:maria.lopez", "owner: group:gate-owners", StringComparison.Ordinal);
        var start = yaml.IndexOf("acceptance_bar:", StringComparison.Ordinal);
        var end = yaml.IndexOf("# Pinned:", StringComparison.Ordinal);
        return yaml[..start] + "acceptance_bar:\n" + bar + "\n" + yaml[end..];
    }

    /// <summary>Publishes <paramref name="yaml"/> as admin and lets the account "owner" act on it (role and owner group).</summary>
    private async Task<(HttpClient Admin, HttpClient Owner)> PublishAsync(string id, string yaml)
    {
        var admin = await _server.SignedInClientAsync("admin");
        using var published = await admin.PostAsync($"/api/workflows/{id}/versions", new StringContent(yaml, Encoding.UTF8, "application/yaml"), Ct);
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        using var role = await admin.PostAsJsonAsync($"/api/workflows/{id}/roles", new { userName = "owner", role = "owner" }, Ct);
        Assert.True(role.IsSuccessStatusCode, await role.Content.ReadAsStringAsync(Ct));
        using var member = await admin.PostAsJsonAsync("/api/groups/gate-owners/members", new { userName = "owner" }, Ct);
        Assert.True(member.IsSuccessStatusCode, await member.Content.ReadAsStringAsync(Ct));
        return (admin, await _server.SignedInClientAsync("owner"));
    }

    /// <summary>Runs the golden set on <paramref name="yaml"/> exactly as `skybridge eval run` does and stores the run through the node's ledger.</summary>
    private async Task<EvaluationRun> StoreRunAsync(string yaml)
    {
        var prepared = EvaluationSubjects.FromManifestText(yaml, "manifest.yaml", SampleFolder);
        Assert.True(prepared.Subject is not null, string.Join("\n", prepared.Problems));
        var run = await EvaluationRunner.RunAsync(prepared.Subject!, new EvaluationOptions(), TimeProvider.System, null, Ct);
        await EvaluationEvidence.RecordAsync(_server.Services.GetRequiredService<ILedger>(), run, "qa", Ct);
        return run;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

    private async Task<int?> ActiveVersionAsync(string id) => (await _server.Store.GetWorkflowAsync(id, Ct))!.ActiveVersion;

    private async Task<int> LedgerCountAsync(string type, string id) =>
        (await _server.Store.ReadLedgerEventsAsync(0, 100_000, Ct)).Count(e => e.Type == type && e.WorkflowId == id);

    [Fact]
    public async Task Activate_NoStoredRun_Is409EvaluationRequired_RecordsTheRefusal_AndChangesNothing()
    {
        const string id = "gate-none";
        var (admin, owner) = await PublishAsync(id, await ManifestAsync(id));
        using (admin)
        using (owner)
        {
            using var response = await owner.PostAsJsonAsync($"/api/workflows/{id}/activate", new { version = 1 }, Ct);

            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            var problem = await JsonAsync(response);
            Assert.Equal("evaluation_required", problem.GetProperty("code").GetString());
            Assert.Contains("group:gate-owners", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Null(await ActiveVersionAsync(id));
            Assert.Equal(1, await LedgerCountAsync(LedgerEventTypes.WorkflowActivationRefused, id));
            Assert.Equal(0, await LedgerCountAsync(LedgerEventTypes.WorkflowActivated, id));
        }
    }

    [Fact]
    public async Task Publish_WithActivate_AndNoRun_StoresTheVersion_ButSaysWhyItIsNotActive()
    {
        const string id = "gate-publish";
        using var admin = await _server.SignedInClientAsync("admin");

        using var response = await admin.PostAsync($"/api/workflows/{id}/versions?activate=true", new StringContent(await ManifestAsync(id), Encoding.UTF8, "application/yaml"), Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.False(body.GetProperty("activated").GetBoolean());
        Assert.Equal("evaluation_required", body.GetProperty("activation_refused").GetProperty("code").GetString());
        Assert.Null(await ActiveVersionAsync(id));
    }

    [Fact]
    public async Task Activate_OverrideByAnAdminWhoIsNotTheOwner_Is403_AndChangesNothing()
    {
        const string id = "gate-admin";
        var (admin, owner) = await PublishAsync(id, await ManifestAsync(id));
        using (admin)
        using (owner)
        {
            using var response = await admin.PostAsJsonAsync($"/api/workflows/{id}/activate", new { version = 1, overrideReason = Reason }, Ct);

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("override_not_owner", (await JsonAsync(response)).GetProperty("code").GetString());
            Assert.Null(await ActiveVersionAsync(id));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("ok")]
    [InlineData("          ")]
    public async Task Activate_OwnerOverrideWithoutAReason_Is400(string reason)
    {
        var id = "gate-reason-" + reason.Length;
        var (admin, owner) = await PublishAsync(id, await ManifestAsync(id));
        using (admin)
        using (owner)
        {
            using var response = await owner.PostAsJsonAsync($"/api/workflows/{id}/activate", new { version = 1, overrideReason = reason }, Ct);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("override_reason_required", (await JsonAsync(response)).GetProperty("code").GetString());
            Assert.Null(await ActiveVersionAsync(id));
        }
    }

    [Fact]
    public async Task Activate_OwnerOverrideWithAReason_Activates_AndTheReasonShowsInTheApiTheLedgerAndTheConsole()
    {
        const string id = "gate-override";
        var (admin, owner) = await PublishAsync(id, await ManifestAsync(id));
        using (admin)
        using (owner)
        {
            using var response = await owner.PostAsJsonAsync($"/api/workflows/{id}/activate", new { version = 1, overrideReason = Reason }, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(1, await ActiveVersionAsync(id));

            using var versions = await owner.GetAsync($"/api/workflows/{id}/versions", Ct);
            var gate = (await JsonAsync(versions))[0].GetProperty("gate");
            Assert.Equal("override", gate.GetProperty("basis").GetString());
            Assert.Equal(Reason, gate.GetProperty("reason").GetString());
            Assert.Equal("owner", gate.GetProperty("by").GetString());

            var activated = (await _server.Store.ReadLedgerEventsAsync(0, 100_000, Ct)).Single(e => e.Type == LedgerEventTypes.WorkflowActivated && e.WorkflowId == id);
            Assert.Contains(Reason, activated.Body, StringComparison.Ordinal);

            var page = await owner.GetStringAsync($"/workflows/{id}", Ct);
            Assert.Contains("owner&#x27;s override", page, StringComparison.Ordinal);
            Assert.Contains("pilot kick-off", page, StringComparison.Ordinal);
            var version = await owner.GetStringAsync($"/workflows/{id}/versions/1", Ct);
            Assert.Contains("pilot kick-off", version, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Activate_ARunOfThisExactText_ThatClears_Activates_AndNamesTheRun_WithoutAnyOverride()
    {
        const string id = "gate-cleared";
        var yaml = await ManifestAsync(id);
        var (admin, owner) = await PublishAsync(id, yaml);
        using (admin)
        using (owner)
        {
            var run = await StoreRunAsync(yaml);
            Assert.True(run.Verdict.Clears);

            using var response = await owner.PostAsJsonAsync($"/api/workflows/{id}/activate", new { version = 1 }, Ct);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(1, await ActiveVersionAsync(id));
            using var versions = await owner.GetAsync($"/api/workflows/{id}/versions", Ct);
            var gate = (await JsonAsync(versions))[0].GetProperty("gate");
            Assert.Equal("evaluation", gate.GetProperty("basis").GetString());
            Assert.Equal(run.Id, gate.GetProperty("run").GetString());
            Assert.Equal(JsonValueKind.Null, gate.GetProperty("reason").ValueKind);
        }
    }

    [Fact]
    public async Task Activate_AClearingRunOfAnotherText_DoesNotCarryOver_ToAVersionThatChangedOneWord()
    {
        const string id = "gate-changed";
        var evaluated = await ManifestAsync(id);
        var (admin, owner) = await PublishAsync(id, evaluated);
        using (admin)
        using (owner)
        {
            Assert.True((await StoreRunAsync(evaluated)).Verdict.Clears);
            var changed = evaluated.Replace("Never promise a refund.", "Promise refunds when asked.", StringComparison.Ordinal);
            using var v2 = await admin.PostAsync($"/api/workflows/{id}/versions", new StringContent(changed, Encoding.UTF8, "application/yaml"), Ct);
            Assert.Equal(HttpStatusCode.Created, v2.StatusCode);

            using var response = await owner.PostAsJsonAsync($"/api/workflows/{id}/activate", new { version = 2 }, Ct);

            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("evaluation_required", (await JsonAsync(response)).GetProperty("code").GetString());
            Assert.Null(await ActiveVersionAsync(id));
        }
    }

    [Fact]
    public async Task Activate_ARunThatIsBelowTheBar_Is409BelowTheBar_NamingTheRun()
    {
        const string id = "gate-below";
        var yaml = await ManifestAsync(id, "  - { metric: answer_accuracy, min: 0.99 }\n");
        var (admin, owner) = await PublishAsync(id, yaml);
        using (admin)
        using (owner)
        {
            var run = await StoreRunAsync(yaml);
            Assert.False(run.Verdict.Clears);

            using var response = await owner.PostAsJsonAsync($"/api/workflows/{id}/activate", new { version = 1 }, Ct);

            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            var problem = await JsonAsync(response);
            Assert.Equal("evaluation_below_bar", problem.GetProperty("code").GetString());
            Assert.Equal(run.Id, problem.GetProperty("run").GetString());
        }
    }

    [Fact]
    public async Task Activate_AVersionThatPinsNoGoldenSet_CannotBeClearedByARun()
    {
        const string id = "gate-unpinned";
        var pinned = await ManifestAsync(id);
        var unpinned = Regex.Replace(pinned, "^golden_set:.*$", "golden_set: golden-set.yaml", RegexOptions.Multiline);
        var (admin, owner) = await PublishAsync(id, unpinned);
        using (admin)
        using (owner)
        {
            Assert.True((await StoreRunAsync(unpinned)).Verdict.Clears);

            using var response = await owner.PostAsJsonAsync($"/api/workflows/{id}/activate", new { version = 1 }, Ct);

            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            var problem = await JsonAsync(response);
            Assert.Equal("evaluation_required", problem.GetProperty("code").GetString());
            Assert.Contains("pins no golden set", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Rollback_IsNotGated_AndReturnsToTheVersionThatPassed()
    {
        const string id = "gate-rollback";
        var yaml = await ManifestAsync(id);
        var (admin, owner) = await PublishAsync(id, yaml);
        using (admin)
        using (owner)
        {
            Assert.True((await StoreRunAsync(yaml)).Verdict.Clears);
            Assert.Equal(HttpStatusCode.OK, (await owner.PostAsJsonAsync($"/api/workflows/{id}/activate", new { version = 1 }, Ct)).StatusCode);
            using var v2 = await admin.PostAsync($"/api/workflows/{id}/versions", new StringContent(yaml + "\n# v2\n", Encoding.UTF8, "application/yaml"), Ct);
            Assert.Equal(HttpStatusCode.OK, (await owner.PostAsJsonAsync($"/api/workflows/{id}/activate", new { version = 2, overrideReason = Reason }, Ct)).StatusCode);

            using var rollback = await owner.PostAsync($"/api/workflows/{id}/rollback", null, Ct);

            Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
            Assert.Equal(1, await ActiveVersionAsync(id));
        }
    }
}
