using Microsoft.Extensions.Time.Testing;
using Skybridge.Application.Cases;
using Skybridge.Application.Grounding;
using Skybridge.Application.Manifests;
using Skybridge.Application.Tests.Support;
using Skybridge.Core.Ledger.Events;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;
using Skybridge.Grounding.Tests;

namespace Skybridge.Application.Tests.Grounding;

/// <summary>
/// A node's cases retrieved by meaning with the embedding endpoint the active manifest declares, its vectors kept in the
/// store; an endpoint that goes down means answers by words, and meaning comes back on the first case after it answers.
/// </summary>
public sealed class DeclaredEmbeddingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SampleFolder => Path.Combine(TestStore.RepoRoot, "samples", "support-desk");

    private const string Ticket = "How long does a refund take after you receive my return?";

    private static string SampleDeclaring(Uri endpoint)
    {
        var yaml = File.ReadAllText(Path.Combine(SampleFolder, "manifest.yaml"));
        Assert.Contains("  top_k: 5\n", yaml, StringComparison.Ordinal);
        return yaml.Replace("  top_k: 5\n", $"  top_k: 5\n  embedding:\n    provider: openai-compatible\n    endpoint: {endpoint}\n    model: minilm-served\n    dimensions: 384\n    trains_on_data: false\n", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cases_AreRetrievedByTheDeclaredEndpoint_ByWordsWhileItIsDown_AndByMeaningOnceItAnswersAgain()
    {
        await using var server = await LocalEmbeddingServer.StartAsync();
        await using var test = await TestStore.OpenAsync();
        var manifests = new ManifestService(test.Store, TimeProvider.System, test.Ledger);
        var probe = (Func<string, bool>)(path => Path.Exists(Path.Combine(SampleFolder, path)));
        var published = await manifests.PublishAsync(SampleDeclaring(server.Endpoint), "manifest.yaml", probe, "owner", activate: true,
            new ActivationOverride("fixture set up without an evaluation run", LocalSetup: true), Ct);
        Assert.True(published.IsValid, string.Join("\n", published.Diagnostics));
        var workflow = published.WorkflowId!;

        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var warnings = new List<string>();
        // The node runs the built-in model; the manifest's declaration takes its place for this workflow.
        var node = new DenseRetrieval(MiniLmSentenceEmbedder.Instance, new StoreVectorCache(test.Store), warnings.Add, time: time);
        using var grounding = new GroundingService(test.Store, test.Store, test.Ledger, TimeProvider.System, node);
        Assert.NotNull(await grounding.IngestAsync(workflow, SampleFolder, "owner", Ct));
        var cases = new CaseService(new StoredActiveManifests(test.Store), grounding, test.Ledger, TimeProvider.System);
        Task<CaseResult> Submit() => cases.SubmitAsync(workflow, Ticket, [LedgerActor.Agent("support-desk/responder")], "support-desk/responder", halted: false, Ct);

        // Down for the first request and both of its retries: the case is answered, by words, and the node says why once.
        server.FailNext(3);
        var down = await Submit();

        Assert.Equal(CaseOutcome.Drafted, down.Outcome);
        Assert.Equal(RetrievalModes.Words, down.Draft!.Retrieval);
        Assert.Contains(warnings, w => w.Contains("until it answers again", StringComparison.Ordinal));
        Assert.Empty(server.Texts);

        time.Advance(TimeSpan.FromSeconds(31));
        var back = await Submit();

        Assert.Equal(RetrievalModes.Fused, back.Draft!.Retrieval);
        Assert.False(back.Draft.Abstained);
        Assert.Contains(back.Draft.Citations, c => c.Document == "returns/refund-timeline.md" || c.Document == "returns/refund-policy.md");
        Assert.Contains(Ticket, server.Texts);
        // The ledger says which ranking found each case's passages, and with which model: the endpoint is where its text went.
        var declared = new EmbeddingSettings { Provider = EmbeddingProvider.OpenAICompatible, Endpoint = server.Endpoint, Model = "minilm-served", Dimensions = 384 };
        var model = node.For(declared)!.Embedder.ModelId;
        Assert.Equal(model, back.Draft.EmbeddingModel);
        Assert.Null(down.Draft.EmbeddingModel);
        async Task<System.Text.Json.JsonElement> RetrievalEvent(string caseId) =>
            System.Text.Json.JsonDocument.Parse((await test.Store.ReadLedgerCaseAsync(caseId, Ct)).Single(e => e.Type == "retrieval").Body).RootElement.GetProperty("content");
        var recorded = await RetrievalEvent(back.CaseId!);
        Assert.Equal("fused", recorded.GetProperty("mode").GetString());
        Assert.Equal(model, recorded.GetProperty("embedding_model").GetString());
        Assert.Equal("words", (await RetrievalEvent(down.CaseId!)).GetProperty("mode").GetString());

        // Every passage's vector is kept in the store under the endpoint's model: a restarted node asks it for nothing again.
        var index = await grounding.IndexAsync(workflow, declared, Ct);
        var digests = index.Documents.Values.Where(d => !d.IsOutdated)
            .SelectMany(d => Skybridge.Core.Grounding.PassageSplitter.Split(d.Text).Select(s => Skybridge.Core.Ledger.TextDigest.Sha256(s.Of(d.Text)))).Distinct().ToList();
        Assert.NotEmpty(digests);
        Assert.Equal(digests.Count, (await test.Store.GetPassageVectorsAsync(model, digests, Ct)).Count);
        Assert.Empty(await test.Store.GetPassageVectorsAsync(MiniLmSentenceEmbedder.Instance.ModelId, digests, Ct));
    }
}
