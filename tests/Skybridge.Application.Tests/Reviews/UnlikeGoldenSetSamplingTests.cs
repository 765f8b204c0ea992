using Skybridge.Application.Accounts;
using Skybridge.Application.Cases;
using Skybridge.Application.Evaluation;
using Skybridge.Application.Grounding;
using Skybridge.Application.Manifests;
using Skybridge.Application.Reviews;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Evaluation;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Storage;

namespace Skybridge.Application.Tests.Reviews;

/// <summary>
/// The <c>unlike_golden_set</c> signal on a node, over a real store: live cases are compared with the golden cases of
/// the evaluation run the active version's activation names, and a version with no run says the signal is unknown.
/// </summary>
public sealed class UnlikeGoldenSetSamplingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SampleFolder => Path.Combine(TestStore.RepoRoot, "samples", "support-desk");

    private const string Unlike = "Quel temps fera-t-il demain à Lyon ? Parapluie ou lunettes de soleil ?";

    /// <summary>The stored active version at L2 with every case sampled, so each case's reasons and weight are visible.</summary>
    private sealed class AtL2(IActiveManifests inner) : IActiveManifests
    {
        public async ValueTask<ActiveManifest?> GetAsync(string workflowId, CancellationToken cancellationToken) =>
            await inner.GetAsync(workflowId, cancellationToken) is { } a
                ? a with { Manifest = a.Manifest with { Autonomy = a.Manifest.Autonomy with { Level = AutonomyLevel.L2ApproveConsequential, ReviewSampleRate = 1 } } }
                : null;
    }

    private sealed record Setup(CaseService Cases, string Workflow, GroundingService Grounding, GoldenSet Golden) : IDisposable
    {
        public void Dispose() => Grounding.Dispose();
    }

    /// <summary>Publishes the sample (after storing a real run of it when <paramref name="withRun"/>) and activates it by the set-up override.</summary>
    private static async Task<Setup> SetUpAsync(TestStore test, bool withRun)
    {
        var time = TimeProvider.System;
        var yaml = File.ReadAllText(Path.Combine(SampleFolder, "manifest.yaml"));
        var prepared = EvaluationSubjects.FromManifestText(yaml, "manifest.yaml", SampleFolder);
        Assert.True(prepared.Subject is not null, string.Join("\n", prepared.Problems));
        if (withRun)
        {
            var run = await EvaluationRunner.RunAsync(prepared.Subject!, new EvaluationOptions(), time, null, Ct);
            await EvaluationEvidence.RecordAsync(test.Ledger, run, "qa", Ct);
        }

        var manifests = new ManifestService(test.Store, time, test.Ledger);
        var published = await manifests.PublishAsync(yaml, "manifest.yaml", path => Path.Exists(Path.Combine(SampleFolder, path)), "owner", activate: true,
            new ActivationOverride("fixture set up on the sample's own run", LocalSetup: true), Ct);
        Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
        var grounding = new GroundingService(test.Store, test.Store, test.Ledger, time);
        Assert.NotNull(await grounding.IngestAsync(published.WorkflowId!, SampleFolder, "owner", Ct));
        var active = new AtL2(new StoredActiveManifests(test.Store));
        // As the node wires it: the golden cases come from the store, through the activation's run.
        var reviews = new ReviewService(test.Store, test.Store, active, new GroupService(test.Store, test.Ledger, time), test.Ledger, time,
            golden: new GoldenReferences(test.Store, test.Store));
        return new Setup(new CaseService(active, grounding, test.Ledger, time, reviews: reviews), published.WorkflowId!, grounding, prepared.Subject!.GoldenSet);
    }

    private static async Task<StoredReviewItem> SampledAsync(TestStore test, Setup setup, string text)
    {
        var result = await setup.Cases.SubmitAsync(setup.Workflow, text, [LedgerActor.Human("dana")], "user:dana", halted: false, Ct);
        Assert.Equal(CaseOutcome.Drafted, result.Outcome);
        var item = await test.Store.GetReviewItemAsync(result.CaseId!, Ct);
        Assert.NotNull(item);
        return item;
    }

    private static double WeightOf(IEnumerable<string> reasons) => reasons.Aggregate(1.0, (w, r) => w * r switch
    {
        "consequential_action" => ReviewSampling.ConsequentialWeight,
        "abstained" => ReviewSampling.AbstainedWeight,
        "low_confidence" => ReviewSampling.LowConfidenceWeight,
        "unlike_golden_set" => ReviewSampling.UnlikeGoldenWeight,
        _ => 1,
    });

    [Fact]
    public async Task Enqueue_CaseUnlikeEveryGoldenCase_IsSampledWithTheDoubleWeight_OnTheActivationsRun()
    {
        await using var test = await TestStore.OpenAsync();
        using var setup = await SetUpAsync(test, withRun: true);

        var item = await SampledAsync(test, setup, Unlike);

        var reasons = item.Reasons.Split(',');
        Assert.Contains(GoldenReference.Signal, reasons);
        Assert.DoesNotContain(reasons, r => r.Contains("unknown", StringComparison.Ordinal));
        Assert.Equal(WeightOf(reasons), item.Weight);
        Assert.True(item.Weight >= ReviewSampling.UnlikeGoldenWeight);
        var sampled = Assert.Single(await test.Store.ReadLedgerCaseAsync(item.CaseId, Ct), e => e.Type == LedgerEventTypes.CaseSampled);
        var runId = Assert.Single(await test.Store.ListActivationsAsync(setup.Workflow, Ct)).Basis!.RunId;
        Assert.NotNull(runId);
        Assert.Contains($"\"golden_run\":\"{runId}\"", sampled.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_CaseLikeAGoldenCase_IsNotFlagged()
    {
        await using var test = await TestStore.OpenAsync();
        using var setup = await SetUpAsync(test, withRun: true);

        // A live case worded like one of the golden cases (its own words, as a customer would repeat them).
        var item = await SampledAsync(test, setup, setup.Golden.Cases.First(c => GoldenSimilarity.Terms(c.Input).Count >= 4).Input);

        var reasons = item.Reasons.Split(',');
        Assert.DoesNotContain(reasons, r => r.StartsWith(GoldenReference.Signal, StringComparison.Ordinal));
        Assert.Equal(WeightOf(reasons), item.Weight);
    }

    [Fact]
    public async Task Enqueue_VersionWithNoRun_DoesNotFlag_AndSaysTheSignalIsUnknown()
    {
        await using var test = await TestStore.OpenAsync();
        using var setup = await SetUpAsync(test, withRun: false);

        var item = await SampledAsync(test, setup, Unlike);

        var reasons = item.Reasons.Split(',');
        Assert.DoesNotContain(GoldenReference.Signal, reasons);
        Assert.Contains("unlike_golden_set: unknown (no evaluation run)", reasons);
        Assert.Equal(WeightOf(reasons), item.Weight);
        var sampled = Assert.Single(await test.Store.ReadLedgerCaseAsync(item.CaseId, Ct), e => e.Type == LedgerEventTypes.CaseSampled);
        Assert.Contains("unlike_golden_set: unknown (no evaluation run)", sampled.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GoldenReferences_LoadedOncePerVersion_ReloadedWhenAnotherVersionIsActive()
    {
        await using var test = await TestStore.OpenAsync();
        using var setup = await SetUpAsync(test, withRun: false);
        var golden = new GoldenReferences(test.Store, test.Store);
        var manifests = new ManifestService(test.Store, TimeProvider.System, test.Ledger);
        var v1 = (await new StoredActiveManifests(test.Store).GetAsync(setup.Workflow, Ct))!;
        Assert.Equal("no evaluation run", (await golden.GetAsync(v1, Ct)).UnknownReason);

        // Version 2 (one more comment line) is run on its exact text and activated on that run.
        var yaml = File.ReadAllText(Path.Combine(SampleFolder, "manifest.yaml")) + "\n# version 2: same workflow, new text\n";
        var prepared = EvaluationSubjects.FromManifestText(yaml, "manifest.yaml", SampleFolder);
        var run = await EvaluationRunner.RunAsync(prepared.Subject!, new EvaluationOptions(), TimeProvider.System, null, Ct);
        await EvaluationEvidence.RecordAsync(test.Ledger, run, "qa", Ct);
        var published = await manifests.PublishAsync(yaml, "manifest.yaml", path => Path.Exists(Path.Combine(SampleFolder, path)), "owner", activate: true,
            new ActivationOverride("fixture set up on the sample's own run", LocalSetup: true), Ct);
        Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
        var v2 = (await new StoredActiveManifests(test.Store).GetAsync(setup.Workflow, Ct))!;
        Assert.Equal(2, v2.Version);

        var reference = await golden.GetAsync(v2, Ct);
        Assert.True(reference.Known, reference.UnknownReason);
        Assert.Equal(run.Id, reference.RunId);
        Assert.Equal(prepared.Subject!.GoldenSet.Cases.Count, reference.Cases.Count);
        Assert.Same(reference, await golden.GetAsync(v2, Ct));
    }
}
