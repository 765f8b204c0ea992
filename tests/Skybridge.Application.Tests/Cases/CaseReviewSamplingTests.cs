using Microsoft.Extensions.Time.Testing;
using Skybridge.Application.Accounts;
using Skybridge.Application.Cases;
using Skybridge.Application.Grounding;
using Skybridge.Application.Manifests;
using Skybridge.Application.Reviews;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Cases;

/// <summary>Drafted cases into the review queue over a real store: once per case, however often the step runs.</summary>
public sealed class CaseReviewSamplingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SampleFolder => Path.Combine(TestStore.RepoRoot, "samples", "support-desk");

    /// <summary>
    /// The stored active version at another level: a promotion gate (not this test's subject) is what lets a workflow
    /// publish above L0.
    /// </summary>
    private sealed class AtLevel(IActiveManifests inner, AutonomyLevel level) : IActiveManifests
    {
        public async ValueTask<ActiveManifest?> GetAsync(string workflowId, CancellationToken cancellationToken) =>
            await inner.GetAsync(workflowId, cancellationToken) is { } a ? a with { Manifest = a.Manifest with { Autonomy = a.Manifest.Autonomy with { Level = level } } } : null;
    }

    private sealed record Setup(CaseService Cases, ReviewService Reviews, IActiveManifests Manifests, string Workflow, GroundingService Grounding) : IDisposable
    {
        public void Dispose() => Grounding.Dispose();
    }

    private static async Task<Setup> SetUpAsync(TestStore test, TimeProvider time, AutonomyLevel level)
    {
        var yaml = File.ReadAllText(Path.Combine(SampleFolder, "manifest.yaml"));
        var manifests = new ManifestService(test.Store, time, test.Ledger);
        var published = await manifests.PublishAsync(yaml, "manifest.yaml", path => Path.Exists(Path.Combine(SampleFolder, path)), "owner", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);
        Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
        var grounding = new GroundingService(test.Store, test.Store, test.Ledger, time);
        Assert.NotNull(await grounding.IngestAsync(published.WorkflowId!, SampleFolder, "owner", Ct));
        var active = new AtLevel(new StoredActiveManifests(test.Store), level);
        var reviews = new ReviewService(test.Store, test.Store, active, new GroupService(test.Store, test.Ledger, time), test.Ledger, time);
        return new Setup(new CaseService(active, grounding, test.Ledger, time, reviews: reviews), reviews, active, published.WorkflowId!, grounding);
    }

    [Fact]
    public async Task Submit_AtL1_QueuesEveryCaseOnce_EvenWhenTheStepRunsAgain()
    {
        await using var test = await TestStore.OpenAsync();
        using var setup = await SetUpAsync(test, TimeProvider.System, AutonomyLevel.L1ApproveAll);

        var first = await setup.Cases.SubmitAsync(setup.Workflow, "How long does a refund take?", [LedgerActor.Human("dana")], "user:dana", halted: false, Ct);
        var second = await setup.Cases.SubmitAsync(setup.Workflow, "How long does a refund take?", [LedgerActor.Human("dana")], "user:dana", halted: false, Ct);

        // The same submission twice is two cases, each queued; the flow retried for one case adds nothing.
        var active = (await setup.Manifests.GetAsync(setup.Workflow, Ct))!;
        Assert.Equal(EnqueueOutcome.AlreadyQueued, await setup.Reviews.EnqueueAsync(active, first.CaseId!, first.Draft!, first.Proposal, Ct));
        Assert.Equal(EnqueueOutcome.AlreadyQueued, await setup.Reviews.EnqueueAsync(active, first.CaseId!, first.Draft!, first.Proposal, Ct));

        var open = await test.Store.ListReviewItemsAsync(setup.Workflow, ReviewStatus.Open, DateTimeOffset.UtcNow, 100, Ct);
        Assert.Equal(new[] { first.CaseId!, second.CaseId! }.Order(StringComparer.Ordinal), open.Select(i => i.CaseId).Order(StringComparer.Ordinal));
        Assert.All(open, i => Assert.Equal("autonomy_level", i.Reasons));
        var sampled = (await test.Store.ReadLedgerCaseAsync(first.CaseId!, Ct)).Count(e => e.Type == LedgerEventTypes.CaseSampled);
        Assert.Equal(1, sampled);
    }

    [Fact]
    public async Task Submit_AtL2_QueuesAShare_NotEveryCase()
    {
        await using var test = await TestStore.OpenAsync();
        using var setup = await SetUpAsync(test, TimeProvider.System, AutonomyLevel.L2ApproveConsequential);
        var yamlRate = (await setup.Manifests.GetAsync(setup.Workflow, Ct))!.Manifest.Autonomy.ReviewSampleRate;
        Assert.Equal(0.2, yamlRate);

        var results = new List<CaseResult>();
        for (var i = 0; i < 30; i++)
        {
            results.Add(await setup.Cases.SubmitAsync(setup.Workflow, "How long does a refund take after you receive my return?", [LedgerActor.Human("dana")], "user:dana", halted: false, Ct));
        }

        // Each case's verdict is its keyed draw against its rate: queued ones drew below it, the others drew at or
        // above the base rate (risk only raises a rate), and L2 does not queue by level.
        var salt = await test.Store.GetOrCreateReviewSaltAsync(setup.Workflow, new byte[32], Ct);
        var queued = (await test.Store.ListReviewItemsAsync(setup.Workflow, ReviewStatus.Open, DateTimeOffset.UtcNow, 100, Ct)).ToDictionary(i => i.CaseId);
        foreach (var r in results)
        {
            var draw = ReviewSampling.Draw(salt, "review:" + r.CaseId);
            if (queued.TryGetValue(r.CaseId!, out var item))
            {
                Assert.True(draw < item.Rate * ReviewSampling.Buckets, $"{r.CaseId} drew {draw} against {item.Rate}");
                Assert.DoesNotContain("autonomy_level", item.Reasons, StringComparison.Ordinal);
                Assert.Equal(Math.Min(1, 0.2 * item.Weight), item.Rate, 10);
            }
            else
            {
                Assert.True(draw >= 0.2 * ReviewSampling.Buckets, $"{r.CaseId} drew {draw} and was not queued");
            }
        }
    }

    [Fact]
    public async Task OverdueFlagger_TellsTheAuthorityOncePerCase()
    {
        await using var test = await TestStore.OpenAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 5, 9, 0, 0, TimeSpan.Zero));
        using var setup = await SetUpAsync(test, time, AutonomyLevel.L1ApproveAll);
        var result = await setup.Cases.SubmitAsync(setup.Workflow, "How long does a refund take?", [LedgerActor.Human("dana")], "user:dana", halted: false, Ct);
        var flagger = new ReviewOverdueFlagger(test.Store, setup.Manifests, test.Ledger, time);

        Assert.Equal(0, await flagger.RunOnceAsync(Ct));
        time.Advance(TimeSpan.FromHours(25));
        Assert.Equal(1, await flagger.RunOnceAsync(Ct));
        Assert.Equal(0, await flagger.RunOnceAsync(Ct));

        var overdue = (await test.Store.ReadLedgerCaseAsync(result.CaseId!, Ct)).Where(e => e.Type == LedgerEventTypes.ReviewOverdue).ToList();
        var e = Assert.Single(overdue);
        Assert.Contains("group:support-qa", e.Body, StringComparison.Ordinal);
        Assert.Equal(1, (await setup.Reviews.SummaryAsync(setup.Workflow, Ct)).Overdue);
    }
}
