using System.Text.Json;
using Skybridge.Application.Cases;
using Skybridge.Application.Grounding;
using Skybridge.Application.Manifests;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Ledger.Events;

namespace Skybridge.Application.Tests.Cases;

/// <summary>The case path over a real store: the version a case records is the version that answered it.</summary>
public sealed class CaseServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SampleFolder => Path.Combine(TestStore.RepoRoot, "samples", "support-desk");

    /// <summary>
    /// The sample manifest with another retrieval floor: the sample's answers the question, an unreachable one retrieves
    /// nothing and so abstains.
    /// </summary>
    private static string SampleWith(double minScore)
    {
        var yaml = File.ReadAllText(Path.Combine(SampleFolder, "manifest.yaml"));
        Assert.Contains("min_score: 0.2", yaml, StringComparison.Ordinal);
        return yaml.Replace("min_score: 0.2", FormattableString.Invariant($"min_score: {minScore}"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_RecordsTheVersionThatAnswered_WhileVersionsAreActivatedConcurrently()
    {
        await using var test = await TestStore.OpenAsync();
        var manifests = new ManifestService(test.Store, TimeProvider.System, test.Ledger);
        var probe = (Func<string, bool>)(path => Path.Exists(Path.Combine(SampleFolder, path)));
        var answering = await manifests.PublishAsync(SampleWith(0.2), "manifest.yaml", probe, "owner", activate: true, new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);
        var abstaining = await manifests.PublishAsync(SampleWith(1000), "manifest.yaml", probe, "owner", activate: false, Ct);
        Assert.True(answering.IsValid && abstaining.IsValid, string.Join("\n", answering.Diagnostics.Concat(abstaining.Diagnostics)));
        var workflow = answering.WorkflowId!;
        var (v1, v2) = (answering.Published!.Version.Version, abstaining.Published!.Version.Version);

        using var grounding = new GroundingService(test.Store, test.Store, test.Ledger, TimeProvider.System);
        Assert.NotNull(await grounding.IngestAsync(workflow, SampleFolder, "owner", Ct));
        var cases = new CaseService(new StoredActiveManifests(test.Store), grounding, test.Ledger, TimeProvider.System);

        // One task flips the active version as fast as it can while cases are answered.
        using var stop = new CancellationTokenSource();
        var flipper = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await manifests.ActivateAsync(workflow, i % 2 == 0 ? v2 : v1, "owner", new ActivationOverride("fixture flips versions without an evaluation run", LocalSetup: true), Ct);
            }
        }, Ct);

        var results = new List<CaseResult>();
        for (var i = 0; i < 80; i++)
        {
            results.Add(await cases.SubmitAsync(workflow, "How long does a refund take after you receive my return?", [LedgerActor.Agent("support-desk/responder")], "support-desk/responder", halted: false, Ct));
        }

        await stop.CancelAsync();
        await flipper;

        foreach (var result in results)
        {
            Assert.Equal(CaseOutcome.Drafted, result.Outcome);
            var trail = await test.Store.ReadLedgerCaseAsync(result.CaseId!, Ct);
            var versions = trail.Select(e => JsonDocument.Parse(e.Body).RootElement.GetProperty("workflow").GetProperty("version").GetInt32()).Distinct().ToList();
            var recorded = Assert.Single(versions);
            Assert.Equal(result.Version, recorded);
            // The version that answered decides the outcome: v1 answers, v2 abstains.
            Assert.Equal(recorded == v2, result.Draft!.Abstained);
            Assert.NotNull(await test.Store.GetCaseAsync(result.CaseId!, Ct));
        }

        Assert.Contains(results, r => r.Version == v1);
        Assert.Contains(results, r => r.Version == v2);
    }
}
