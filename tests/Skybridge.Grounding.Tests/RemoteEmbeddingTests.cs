using Microsoft.Extensions.Time.Testing;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// Retrieval by meaning from an OpenAI-compatible embeddings endpoint a manifest declares (<c>retrieval.embedding</c>),
/// through the OpenAI client library, against a local server that speaks the protocol over a socket.
/// </summary>
public sealed class RemoteEmbeddingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The refund passage shares no word with the question: only meaning finds it.
    private static SourceDocument[] Corpus => FusedRetrievalTests.Corpus;

    private const string Question = FusedRetrievalTests.Question;

    private static EmbeddingSettings Declared(LocalEmbeddingServer server, int dimensions = 384) => new()
    {
        Provider = EmbeddingProvider.OpenAICompatible, Endpoint = server.Endpoint, Model = "all-minilm-remote", Dimensions = dimensions,
    };

    private static DenseRetrieval Node(List<string>? warnings = null, TimeProvider? time = null) =>
        new(MiniLmSentenceEmbedder.Instance, warn: warnings is null ? null : warnings.Add, time: time);

    [Fact]
    public async Task Search_ByADeclaredEndpoint_FindsWhatTheBuiltInModelFinds_AndSendsItThePassagesAndTheQuestion()
    {
        await using var server = await LocalEmbeddingServer.StartAsync();
        var node = Node();
        var remote = node.For(Declared(server));
        Assert.NotNull(remote);
        Assert.NotSame(node, remote);
        Assert.StartsWith("openai-compatible:all-minilm-remote@http://127.0.0.1:", remote.Embedder.ModelId, StringComparison.Ordinal);

        using var byEndpoint = new PassageIndex(remote);
        await byEndpoint.UpsertAsync(Corpus, Ct);
        using var builtin = new PassageIndex(node);
        await builtin.UpsertAsync(Corpus, Ct);
        var hits = byEndpoint.Search(Question, 3);
        var expected = builtin.Search(Question, 3);

        Assert.Equal(RetrievalModes.Fused, byEndpoint.Mode);
        Assert.Equal(expected.Select(h => h.Document.Path), hits.Select(h => h.Document.Path));
        Assert.Contains(hits, h => h.Document.Path == "billing/payouts.md");
        // The server sends vectors three times unit length: normalised, the similarities are the built-in model's.
        Assert.All(hits.Zip(expected), p => Assert.Equal(p.Second.Similarity!.Value, p.First.Similarity!.Value, 3));
        Assert.Contains(Question, server.Texts);
        Assert.Contains(Corpus[0].Text, server.Texts);
    }

    [Fact]
    public void For_NamesOneRetrievalPerDeclaredEndpoint_TheNodesOwnForBuiltinOrNothing_AndNoneForNone()
    {
        var node = Node();
        var declared = new EmbeddingSettings { Provider = EmbeddingProvider.OpenAICompatible, Endpoint = new Uri("https://embed.example.internal/v1"), Model = "bge-large", Dimensions = 1024 };

        Assert.Same(node, node.For(null));
        Assert.Same(node, node.For(new EmbeddingSettings { Provider = EmbeddingProvider.Builtin }));
        Assert.Null(node.For(new EmbeddingSettings { Provider = EmbeddingProvider.None }));
        // Two workflows declaring the same endpoint share its state: an outage is found out, and said, once.
        Assert.Same(node.For(declared), node.For(declared with { }));
        Assert.NotSame(node.For(declared), node.For(declared with { Model = "bge-small", Dimensions = 384 }));
        // The model's name is logged and stored with its vectors: credentials in the endpoint's address stay out of it.
        Assert.Equal("openai-compatible:bge-large@https://embed.example.internal/v1",
            node.For(declared with { Endpoint = new Uri("https://svc:s3cret@embed.example.internal/v1/?key=s3cret") })!.Embedder.ModelId);
    }

    [Fact]
    public async Task Embed_SendsAtMost32TextsARequest_WithTheKeyAsABearerToken()
    {
        await using var server = await LocalEmbeddingServer.StartAsync();
        var embedder = new OpenAICompatibleEmbedder(Declared(server), apiKey: "sk-local-test");

        var vectors = embedder.Embed([.. Enumerable.Range(1, 70).Select(i => $"Passage number {i} about returns.")], Ct);

        Assert.Equal(70, vectors.Count);
        Assert.Equal([32, 32, 6], server.Batches);
        Assert.All(server.Authorizations, a => Assert.Equal("Bearer sk-local-test", a));
        Assert.All(vectors, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 4));
    }

    [Fact]
    public async Task Embed_ReadsVectorsSentAsNumbers_AsWellAsBase64()
    {
        await using var server = await LocalEmbeddingServer.StartAsync();
        var embedder = new OpenAICompatibleEmbedder(Declared(server), apiKey: "none");
        var asBase64 = embedder.Embed(["Refunds reach the original payment method."], Ct);

        server.NumbersOnly = true;
        var asNumbers = embedder.Embed(["Refunds reach the original payment method."], Ct);

        Assert.Equal(asBase64[0], asNumbers[0]);
        Assert.Equal(MiniLmSentenceEmbedder.Instance.Embed(["Refunds reach the original payment method."], Ct)[0].Select(v => Math.Round(v, 5)), asNumbers[0].Select(v => Math.Round(v, 5)));
    }

    [Fact]
    public async Task Ingest_RidesOutOneFailedRequest_WithNoWarning()
    {
        await using var server = await LocalEmbeddingServer.StartAsync();
        var warnings = new List<string>();
        server.FailNext(1);

        using var index = new PassageIndex(Node(warnings).For(Declared(server)));
        await index.UpsertAsync(Corpus, Ct);

        Assert.Equal(RetrievalModes.Fused, index.Mode);
        Assert.False(index.VectorsIncomplete);
        Assert.Empty(warnings);
        Assert.Contains(index.Search(Question, 3), h => h.Document.Path == "billing/payouts.md");
    }

    [Fact]
    public async Task WhileTheEndpointIsDown_RetrievalIsByWords_SaidOnce_AndByMeaningAgainOnceItAnswers()
    {
        await using var server = await LocalEmbeddingServer.StartAsync();
        var warnings = new List<string>();
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var back = new List<string>();
        var dense = new DenseRetrieval(MiniLmSentenceEmbedder.Instance, warn: warnings.Add, time: time) { Back = back.Add }.For(Declared(server))!;
        using var index = new PassageIndex(dense);
        // Down for the first request and both of its retries.
        server.FailNext(3);

        await index.UpsertAsync(Corpus, Ct);
        var asked = server.Authorizations.Count;

        Assert.Equal(3, asked);
        Assert.Equal(RetrievalModes.Words, index.Mode);
        Assert.True(index.VectorsIncomplete);
        Assert.False(index.MeaningUsable);
        var warning = Assert.Single(warnings);
        Assert.Contains("all-minilm-remote", warning, StringComparison.Ordinal);
        Assert.Contains("by words only (BM25) until it answers again (tried again after 30 s)", warning, StringComparison.Ordinal);
        // Within the pause a question is answered by words, without waiting on the endpoint.
        Assert.DoesNotContain(index.Search(Question, 3), h => h.Document.Path == "billing/payouts.md");
        await index.EmbedPendingAsync(Ct);
        Assert.Equal(asked, server.Authorizations.Count);

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(index.MeaningUsable);
        await index.EmbedPendingAsync(Ct);

        Assert.False(index.VectorsIncomplete);
        Assert.Equal(RetrievalModes.Fused, index.Mode);
        Assert.Contains(index.Search(Question, 3), h => h.Document.Path == "billing/payouts.md");
        // The return is told apart from the failure (a node logs it as information, not as a warning).
        Assert.Single(warnings);
        Assert.Contains("answers again; retrieval is by words and meaning", Assert.Single(back), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AQuestion_DoesNotWaitOnAnEndpointThatHangs_ItIsAnsweredByWords()
    {
        await using var server = await LocalEmbeddingServer.StartAsync();
        var warnings = new List<string>();
        var dense = new DenseRetrieval(MiniLmSentenceEmbedder.Instance, warn: warnings.Add) { QuestionTimeout = TimeSpan.FromMilliseconds(500) }.For(Declared(server))!;
        using var index = new PassageIndex(dense);
        await index.UpsertAsync(Corpus, Ct);
        Assert.Equal(RetrievalModes.Fused, index.Mode);

        // The endpoint now hangs for a minute on every request (each retry included).
        server.Delay = TimeSpan.FromMinutes(1);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var hits = index.Search(Question, 3);
        started.Stop();

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the question waited {started.Elapsed}");
        Assert.NotEmpty(hits);
        Assert.Equal(RetrievalModes.Words, index.Mode);
        var warning = Assert.Single(warnings);
        Assert.Contains("did not answer a question within 0.5 s; retrieval is by words only (BM25) until it answers again", warning, StringComparison.Ordinal);
        server.Delay = null;
    }

    [Fact]
    public async Task AClaimsCheck_DoesNotWaitOnAnEndpointThatHangs_TheRulesAloneApply()
    {
        await using var server = await LocalEmbeddingServer.StartAsync();
        server.Delay = TimeSpan.FromMinutes(1);
        var warnings = new List<string>();
        var support = new Skybridge.Grounding.Answering.EvidenceClaimSupport(new OpenAICompatibleEmbedder(Declared(server), apiKey: "none"), warn: warnings.Add);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var verdict = await support.CheckAsync("Your refund arrives within 14 days of the return reaching the warehouse.", ["within 14 days of the return reaching our warehouse"], Ct);

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the check waited {started.Elapsed}");
        Assert.True(verdict.Supported);
        Assert.Equal("rules", support.Method);
        Assert.Contains("claims are checked by the rules alone", Assert.Single(warnings), StringComparison.Ordinal);
        server.Delay = null;
    }

    [Fact]
    public async Task AnEndpointThatAnswersWithAnotherModelsVectors_IsRefused_AndRetrievalIsByWords()
    {
        await using var server = await LocalEmbeddingServer.StartAsync();
        server.Truncate = 100;
        var warnings = new List<string>();

        using var index = new PassageIndex(Node(warnings).For(Declared(server)));
        await index.UpsertAsync(Corpus, Ct);

        Assert.Equal(RetrievalModes.Words, index.Mode);
        var warning = Assert.Single(warnings);
        Assert.Contains("the endpoint returned vectors of 100 dimensions, but the manifest declares 384", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-", warning, StringComparison.Ordinal);
    }
}
