using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skybridge.Application.Accounts;
using Skybridge.Application.Ledger;
using Skybridge.Core.Access;
using Skybridge.Core.Ledger.Events;
using Skybridge.Server.Tests.Support;
using Skybridge.Storage;

namespace Skybridge.Server.Tests.Reviews;

/// <summary>Live review over real sockets: who may review, once each, never their own case; and the summary's numbers.</summary>
public sealed class ReviewApiTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public ReviewApiTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A case as the case path stores it, queued for review as the sampler queues it.</summary>
    private async Task QueueAsync(string caseId, string submittedBy, int requiredReviews)
    {
        var now = DateTimeOffset.UtcNow;
        var stored = new StoredCase(caseId, RunningServer.Workflow, submittedBy, "Where is my parcel?", "{}", false, now);
        var item = new StoredReviewItem(caseId, RunningServer.Workflow, now, now.AddHours(24), 1, 1, "autonomy_level", requiredReviews);
        await _server.Services.GetRequiredService<ILedger>().AppendAsync(
            [new LedgerEntry { Type = LedgerEventTypes.CaseSampled, Actors = [LedgerActor.System("test")], WorkflowId = RunningServer.Workflow, CaseId = caseId }],
            [new CaseRecordedRow(stored), new ReviewEnqueuedRow(item)], Ct);
    }

    private async Task ReviewersAsync()
    {
        // The sample's review authority is group:support-qa.
        var groups = _server.Services.GetRequiredService<GroupService>();
        await groups.AddAsync("seed", "support-qa", "reviewer", Ct);
        await groups.AddAsync("seed", "support-qa", "admin", Ct);
        await _server.Services.GetRequiredService<AccountService>().GrantRoleAsync("seed", "bystander", RunningServer.Workflow, WorkflowRole.Reviewer, Ct);
    }

    private static object Grades(string correctness = "correct", string citations = "ok", string action = "none_needed", string? comment = "checked against the help page") =>
        new { correctness, citations, action, comment };

    private static async Task<string> CodeOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("code").GetString()!;

    [Fact]
    public async Task SubmitReview_ReviewerOnce_SecondPersonToo_ThenSummaryCountsThem()
    {
        await ReviewersAsync();
        await QueueAsync("case-rv-double", "user:owner", requiredReviews: 2);
        using var reviewer = await _server.SignedInClientAsync("reviewer");
        using var admin = await _server.SignedInClientAsync("admin");

        using var first = await reviewer.PostAsJsonAsync("/api/reviews/case-rv-double", Grades(), Ct);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var again = await reviewer.PostAsJsonAsync("/api/reviews/case-rv-double", Grades("wrong"), Ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("already_reviewed", await CodeOf(again));
        using var second = await admin.PostAsJsonAsync("/api/reviews/case-rv-double", Grades("partly", "missing"), Ct);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await second.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("slot").GetInt32());

        var reviews = await _server.Store.ListCaseReviewsAsync("case-rv-double", Ct);
        Assert.Equal(["reviewer", "admin"], reviews.Select(r => r.Reviewer));
        var events = (await _server.Store.ReadLedgerCaseAsync("case-rv-double", Ct)).Where(e => e.Type == LedgerEventTypes.ReviewSubmitted).ToList();
        Assert.Equal(2, events.Count);
        Assert.DoesNotContain(events, e => e.Body.Contains("checked against", StringComparison.Ordinal));

        using var done = await reviewer.GetAsync($"/api/workflows/{RunningServer.Workflow}/reviews?status=done", Ct);
        Assert.Contains("case-rv-double", await done.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var summary = await reviewer.GetAsync($"/api/workflows/{RunningServer.Workflow}/reviews/summary", Ct);
        Assert.Equal(HttpStatusCode.OK, summary.StatusCode);
        var root = JsonDocument.Parse(await summary.Content.ReadAsStringAsync(Ct)).RootElement;
        var correctness = root.GetProperty("answerCorrectness");
        Assert.Equal(root.GetProperty("reviews").GetInt32(), correctness.GetProperty("total").GetInt32());
        Assert.True(correctness.GetProperty("lower").GetDouble() <= correctness.GetProperty("value").GetDouble());
        Assert.True(root.GetProperty("agreement").GetProperty("correctness").GetProperty("cases").GetInt32() >= 1);
        Assert.True(root.GetProperty("overdue").GetInt32() >= 0);
    }

    [Fact]
    public async Task SubmitReview_Refused_ForNonReviewersSelfReviewAndBadVerdicts()
    {
        await ReviewersAsync();
        await QueueAsync("case-rv-own", "user:reviewer", requiredReviews: 1);
        await QueueAsync("case-rv-other", "user:owner", requiredReviews: 1);
        using var reviewer = await _server.SignedInClientAsync("reviewer");
        using var approver = await _server.SignedInClientAsync("approver");
        using var bystander = await _server.SignedInClientAsync("bystander");

        // No review permission on the workflow.
        using var noRole = await approver.PostAsJsonAsync("/api/reviews/case-rv-other", Grades(), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, noRole.StatusCode);
        // The reviewer role, but not in the manifest's review authority.
        using var notAuthority = await bystander.PostAsJsonAsync("/api/reviews/case-rv-other", Grades(), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, notAuthority.StatusCode);
        Assert.Equal("not_a_reviewer", await CodeOf(notAuthority));
        using var own = await reviewer.PostAsJsonAsync("/api/reviews/case-rv-own", Grades(), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
        Assert.Equal("self_review", await CodeOf(own));
        using var bad = await reviewer.PostAsJsonAsync("/api/reviews/case-rv-other", Grades(citations: "fine"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("invalid_verdict", await CodeOf(bad));
        using var status = await reviewer.GetAsync($"/api/workflows/{RunningServer.Workflow}/reviews?status=later", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, status.StatusCode);

        Assert.Empty(await _server.Store.ListCaseReviewsAsync("case-rv-other", Ct));
        Assert.Empty(await _server.Store.ListCaseReviewsAsync("case-rv-own", Ct));
    }
}
