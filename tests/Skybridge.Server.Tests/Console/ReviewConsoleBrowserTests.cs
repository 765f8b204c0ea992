using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Skybridge.Application.Accounts;
using Skybridge.Application.Evaluation;
using Skybridge.Application.Ledger;
using Skybridge.Core.Access;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Server.Tests.Support;
using Skybridge.Storage;

namespace Skybridge.Server.Tests.Console;

/// <summary>
/// The reviewer's path through the console in a real browser (queue, a sampled case, the review form, the summary),
/// what the people who may not review see there, and the evaluation runs' pages.
/// </summary>
public sealed class ReviewConsoleBrowserTests : IClassFixture<RunningServer>
{
    private readonly RunningServer _server;

    public ReviewConsoleBrowserTests(RunningServer server) => _server = server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Url(string path) => new Uri(_server.BaseAddress, path).ToString();

    private Task SignInAsync(IPage page, string userName) => Browser.SignInAsync(page, _server.BaseAddress.ToString(), userName, RunningServer.Password);

    /// <summary>
    /// The sample's review authority is group:support-qa: the reviewer account is put in it; bystander holds the
    /// reviewer role but is not in the authority.
    /// </summary>
    private async Task ReviewersAsync()
    {
        await _server.Services.GetRequiredService<GroupService>().AddAsync("seed", "support-qa", "reviewer", Ct);
        await _server.Services.GetRequiredService<AccountService>().GrantRoleAsync("seed", "bystander", RunningServer.Workflow, WorkflowRole.Reviewer, Ct);
    }

    /// <summary>A case with a cited draft, stored and queued for one review as the sampler queues it.</summary>
    private async Task<string> QueueAsync()
    {
        var caseId = "case-" + Guid.NewGuid().ToString("N")[..12];
        var draft = new JsonObject
        {
            ["caseId"] = caseId,
            ["answer"] = "Orders can be refunded within 30 days of delivery.",
            ["abstained"] = false,
            ["citations"] = new JsonArray(new JsonObject
            {
                ["document"] = "policies/refunds.md", ["source"] = "knowledge-base", ["title"] = "Refund policy", ["version"] = "v-abc123",
                ["start"] = 10, ["end"] = 52, ["quote"] = "refunded within 30 days of delivery",
            }),
            ["claims"] = new JsonArray(),
        };
        var now = DateTimeOffset.UtcNow;
        var stored = new StoredCase(caseId, RunningServer.Workflow, "user:owner", "Can I still return the tent I got three weeks ago?", draft.ToJsonString(), false, now);
        var item = new StoredReviewItem(caseId, RunningServer.Workflow, now, now.AddHours(24), 1, 1, "autonomy_level,low_confidence", 1);
        await _server.Services.GetRequiredService<ILedger>().AppendAsync(
            [new LedgerEntry { Type = LedgerEventTypes.CaseSampled, Actors = [LedgerActor.System("test")], WorkflowId = RunningServer.Workflow, CaseId = caseId }],
            [new CaseRecordedRow(stored), new ReviewEnqueuedRow(item)], Ct);
        return caseId;
    }

    private static async Task<int> NumberAsync(ILocator locator) => int.Parse(await locator.InnerTextAsync(), CultureInfo.InvariantCulture);

    [Fact]
    public async Task Reviewer_OpensQueue_ReviewsASampledCase_SeesItDoneAndTheSummaryUpdated_SecondSubmissionRefused() =>
        await Browser.RunAsync("reviewer-queue", async page =>
        {
            await ReviewersAsync();
            var caseId = await QueueAsync();
            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, "reviewer");

            await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}"));
            await page.ClickAsync("#reviews-link");
            await Assertions.Expect(page.Locator("#nav-reviews")).ToBeVisibleAsync();
            var row = page.Locator($"#queue tr[data-case='{caseId}']");
            await Assertions.Expect(row.Locator(".count")).ToHaveTextAsync("0 / 1");
            await Assertions.Expect(row.Locator(".reasons")).ToHaveTextAsync("autonomy_level, low_confidence");
            await Assertions.Expect(row.Locator("a.case-link")).ToHaveAttributeAsync("href", $"/cases/{caseId}");
            var reviewsBefore = await NumberAsync(page.Locator("#summary-reviews"));
            var doneBefore = await NumberAsync(page.Locator("#summary-done"));
            var correctBefore = await page.Locator("#production-metrics tr[data-metric='answer-correctness'] .of").InnerTextAsync();

            await row.Locator("a.review-link").ClickAsync();
            await Assertions.Expect(page.Locator("#case-text")).ToHaveTextAsync("Can I still return the tent I got three weeks ago?");
            await Assertions.Expect(page.Locator("#draft-answer")).ToContainTextAsync("within 30 days");
            await Assertions.Expect(page.Locator("#citations a.citation")).ToHaveAttributeAsync("href",
                $"/workflows/{RunningServer.Workflow}/sources/knowledge-base/policies/refunds.md?version=v-abc123&start=10&end=52");
            await Assertions.Expect(page.Locator("#no-action")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#review-status")).ToHaveAttributeAsync("data-status", "open");

            // A second tab holds the same form: once the first review is in, the second is refused, not counted twice.
            var stale = await page.Context.NewPageAsync();
            await stale.GotoAsync(page.Url);
            await Assertions.Expect(stale.Locator("#submit-review")).ToBeVisibleAsync();

            await page.CheckAsync("#correctness-correct");
            await page.CheckAsync("#citations-ok");
            await page.CheckAsync("#action-none_needed");
            await page.FillAsync("#comment", "Matches the refund page.");
            await page.ClickAsync("#submit-review");
            await Assertions.Expect(page.Locator("#review-result")).ToContainTextAsync("Your review is recorded");
            await Assertions.Expect(page.Locator("#review-status")).ToHaveAttributeAsync("data-status", "done");
            await Assertions.Expect(page.Locator("#review-form")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator("#reviews tr[data-reviewer='reviewer'] .correctness")).ToHaveTextAsync("correct");
            await Assertions.Expect(page.Locator("#reviews tr[data-reviewer='reviewer'] .comment")).ToHaveTextAsync("Matches the refund page.");
            var review = Assert.Single(await _server.Store.ListCaseReviewsAsync(caseId, Ct));
            Assert.Equal(("reviewer", "correct", "ok", "none_needed"), (review.Reviewer, review.Correctness, review.Citations, review.Action));

            await page.ClickAsync("#queue-link");
            await Assertions.Expect(page.Locator($"#queue tr[data-case='{caseId}']")).ToHaveCountAsync(0);
            await page.ClickAsync("a.filter[data-filter='done']");
            await Assertions.Expect(page.Locator($"#queue tr[data-case='{caseId}'] .count")).ToHaveTextAsync("1 / 1");
            Assert.Equal(reviewsBefore + 1, await NumberAsync(page.Locator("#summary-reviews")));
            Assert.Equal(doneBefore + 1, await NumberAsync(page.Locator("#summary-done")));
            Assert.NotEqual(correctBefore, await page.Locator("#production-metrics tr[data-metric='answer-correctness'] .of").InnerTextAsync());
            await Assertions.Expect(page.Locator("#production-metrics tr[data-metric='answer-correctness'] .interval")).ToContainTextAsync("[");

            await stale.CheckAsync("#correctness-wrong");
            await stale.CheckAsync("#citations-missing");
            await stale.CheckAsync("#action-none_needed");
            var response = await stale.RunAndWaitForResponseAsync(() => stale.ClickAsync("#submit-review"), r => r.Request.Method == "POST");
            Assert.Equal(409, response.Status);
            await Assertions.Expect(stale.Locator("#refusal-code")).ToHaveTextAsync(ReviewCodesAlreadyReviewed);
            await Assertions.Expect(stale.Locator("#review-result")).ToContainTextAsync($"reviewer reviewed case {caseId} already");
            await Assertions.Expect(stale.Locator("#review-form")).ToHaveCountAsync(0);
            Assert.Equal("correct", Assert.Single(await _server.Store.ListCaseReviewsAsync(caseId, Ct)).Correctness);
            Assert.Empty(violations);
        });

    private const string ReviewCodesAlreadyReviewed = Skybridge.Application.Reviews.ReviewCodes.AlreadyReviewed;

    [Theory]
    [InlineData("auditor", "Your role lets you see this review, not give one.")]
    [InlineData("bystander", "You are not in this workflow's review authority")]
    public async Task NonReviewer_SeesNoForm_AndAForgedPostIsRefused(string userName, string why) =>
        await Browser.RunAsync("non-reviewer-" + userName, async page =>
        {
            await ReviewersAsync();
            var caseId = await QueueAsync();
            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, userName);
            await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}/reviews"));
            await page.ClickAsync($"#queue tr[data-case='{caseId}'] a.review-link");
            await Assertions.Expect(page.Locator("#case-text")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#review-form")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator("#no-form")).ToContainTextAsync(why);

            // Even a hand-made post with a valid antiforgery token is refused.
            var token = await page.Locator("input[name='__RequestVerificationToken']").First.GetAttributeAsync("value");
            var form = page.Context.APIRequest.CreateFormData();
            foreach (var (name, value) in new[] { ("__RequestVerificationToken", token!), ("correctness", "wrong"), ("citations", "ok"), ("action", "none_needed") })
            {
                form.Set(name, value);
            }

            var response = await page.APIRequest.PostAsync(Url($"/reviews/{caseId}"), new APIRequestContextOptions
            {
                Headers = new Dictionary<string, string> { ["Origin"] = _server.BaseAddress.GetLeftPart(UriPartial.Authority) },
                Form = form,
            });
            Assert.Equal(403, response.Status);
            Assert.Empty(await _server.Store.ListCaseReviewsAsync(caseId, Ct));
            Assert.Empty(violations);
        });

    /// <summary>A run of 40 golden cases, 10 of which miss a fact, against a bar of answer accuracy at least 0.9: below the bar.</summary>
    private static EvaluationRun FailingRun(int failing = 10)
    {
        var cases = Enumerable.Range(1, 40).Select(i =>
        {
            var passed = i > failing;
            var check = new CheckResult(CheckKind.Fact, "within 30 days", passed, passed ? "stated" : $"the answer of gc-{i:000} does not state 'within 30 days'");
            return new EvaluatedCase
            {
                CaseId = $"gc-{i:000}",
                Score = new CaseScore
                {
                    CaseId = $"gc-{i:000}", Tags = [i % 2 == 0 ? "typo" : "ugly"], Passed = passed, Checks = [check], Expected = ExpectedOutcome.Answer,
                    FactsExpected = 1, FactsFound = passed ? 1 : 0, LatencyMs = 3 + (i % 5),
                },
                Repeats = 1,
                Passes = passed ? 1 : 0,
                Output = new EvaluatedOutput { Abstained = false, Answer = "Refunds are possible.", LatencyMs = 3 + (i % 5) },
            };
        }).ToList();
        IReadOnlyList<AcceptanceCriterion> bar = [new AcceptanceCriterion { Metric = Metrics.AnswerAccuracy, Min = 0.9 }];
        var scores = cases.Select(c => c.Score).ToList();
        var metrics = EvaluationMetrics.Compute(scores);
        var now = DateTimeOffset.UtcNow;
        return new EvaluationRun
        {
            Id = EvaluationRunner.NewRunId(), WorkflowId = RunningServer.Workflow, Version = 1, ManifestHash = new string('a', 64), GoldenSetHash = new string('b', 64),
            Bar = bar, Cases = cases, Metrics = metrics, Verdict = BarVerdict.Evaluate(bar, metrics), PassK = PassKResult.Combine([scores]), Repeat = 1,
            StartedAt = now.AddSeconds(-2), FinishedAt = now,
        };
    }

    [Fact]
    public async Task EvaluationRuns_ListAndRunPage_ShowTheVerdictPerCriterionAndAFailedCasesReason() =>
        await Browser.RunAsync("evaluation-runs", async page =>
        {
            var run = FailingRun();
            Assert.False(run.Verdict.Clears);
            await EvaluationEvidence.RecordAsync(_server.Services.GetRequiredService<ILedger>(), run, "owner", Ct);
            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, "auditor");

            await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}"));
            await page.ClickAsync("#evaluations-link");
            var row = page.Locator($"#runs tr[data-run='{run.Id}']");
            await Assertions.Expect(row.Locator(".version")).ToHaveTextAsync("v1");
            await Assertions.Expect(row.Locator(".cases")).ToHaveTextAsync("40");
            await Assertions.Expect(row.Locator(".passed")).ToHaveTextAsync("30");
            await Assertions.Expect(row.Locator(".verdict")).ToHaveTextAsync("below the bar");

            await row.Locator("a.run-link").ClickAsync();
            await Assertions.Expect(page.Locator("#stored-verdict")).ToHaveAttributeAsync("data-verdict", StoredEvaluationRun.Fails);
            await Assertions.Expect(page.Locator("#verdict-differs")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator("#report h1")).ToContainTextAsync("below the bar");
            var criterion = page.Locator("#report tr", new PageLocatorOptions { HasText = Metrics.AnswerAccuracy });
            await Assertions.Expect(criterion).ToContainTextAsync("0.750");
            await Assertions.Expect(criterion).ToContainTextAsync("failed");
            // The 95% Wilson interval of 30/40 is [0.598, 0.858]: its lower end is what the bar's 0.9 is held against.
            await Assertions.Expect(criterion).ToContainTextAsync("[0.598, 0.858]");
            await Assertions.Expect(page.Locator("#report")).ToContainTextAsync("fact within 30 days: the answer of gc-003 does not state 'within 30 days'");
            Assert.Empty(violations);
        });

    [Fact]
    public async Task EvaluationRuns_Compared_ShowTheNewlyFailingCases_AndASignificantDrop() =>
        await Browser.RunAsync("evaluation-compare", async page =>
        {
            var ledger = _server.Services.GetRequiredService<ILedger>();
            var baseline = FailingRun(failing: 0);
            await EvaluationEvidence.RecordAsync(ledger, baseline, "owner", Ct);
            var candidate = FailingRun(failing: 10);
            await EvaluationEvidence.RecordAsync(ledger, candidate, "owner", Ct);
            var violations = Browser.WatchCsp(page);
            await SignInAsync(page, "auditor");

            await page.GotoAsync(Url($"/workflows/{RunningServer.Workflow}/evaluations"));
            await page.SelectOptionAsync("#compare-a", baseline.Id);
            await page.SelectOptionAsync("#compare-b", candidate.Id);
            await page.ClickAsync("#compare-go");

            await Assertions.Expect(page.Locator("#newly-failing-count")).ToHaveTextAsync("10");
            await Assertions.Expect(page.Locator("#newly-passing-count")).ToHaveTextAsync("0");
            await Assertions.Expect(page.Locator("#newly-failing")).ToContainTextAsync("gc-001");
            // Ten discordant cases all one way: the exact two-sided p is 2 x 0.5^10 = 0.0020.
            await Assertions.Expect(page.Locator("#p-value")).ToHaveTextAsync("0.0020");
            await Assertions.Expect(page.Locator("#significance")).ToHaveAttributeAsync("data-worse", "true");
            await Assertions.Expect(page.Locator($"#deltas tr[data-metric='{Metrics.AnswerAccuracy}'] .delta")).ToHaveTextAsync("-0.250");
            Assert.Empty(violations);
        });
}
