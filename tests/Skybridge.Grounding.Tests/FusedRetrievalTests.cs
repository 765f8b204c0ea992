using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>Retrieval by words and by meaning, fused; the vector cache; the fall back to words when the model fails.</summary>
public sealed class FusedRetrievalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SourceDocument Doc(string path, string text) => GroundingFixture.Doc(path, text, source: "kb", classification: "internal");

    internal static readonly SourceDocument[] Corpus =
    [
        Doc("billing/payouts.md", "Refunds reach the original payment method within five business days of approval."),
        Doc("shipping/returns-desk.md", "Returned parcels are scanned at the warehouse gate and stored for inspection."),
        Doc("account/password.md", "To change your password open Settings, choose Security and follow the link we e-mail you."),
        Doc("shipping/zones.md", "We ship to every country in the European Union and to Switzerland and Norway."),
    ];

    // The refund passage shares no word with the question (cash, return); the warehouse one does (returned).
    internal const string Question = "When will my cash be returned?";

    [Fact]
    public async Task Search_FindsAPassageThatMatchesByMeaning_ButSharesNoWordWithTheQuestion()
    {
        using var words = new PassageIndex();
        words.Upsert(Corpus);
        Assert.DoesNotContain(words.Search(Question, 3), h => h.Document.Path == "billing/payouts.md");

        using var fused = new PassageIndex(new DenseRetrieval(MiniLmSentenceEmbedder.Instance));
        await fused.UpsertAsync(Corpus, Ct);
        var hits = fused.Search(Question, 3);

        Assert.Equal(RetrievalModes.Fused, fused.Mode);
        var refund = Assert.Single(hits, h => h.Document.Path == "billing/payouts.md");
        Assert.Equal(0, refund.Score);
        // By meaning it is the closest passage of all; its word coverage stays what it is (none): confidence keeps its meaning.
        Assert.Equal(hits.Max(h => h.Similarity), refund.Similarity);
        Assert.Equal(0, refund.Coverage);
        Assert.All(hits, h => Assert.InRange(h.Similarity!.Value, -1.0, 1.0001));
    }

    [Fact]
    public async Task Search_IsByWordsOnly_WithOneWarning_WhenTheModelFails()
    {
        var warnings = new List<string>();
        var throwing = new ThrowingEmbedder();
        using var index = new PassageIndex(new DenseRetrieval(throwing, warn: warnings.Add));
        using var words = new PassageIndex();
        words.Upsert(Corpus);

        await index.UpsertAsync(Corpus, Ct);
        var hits = index.Search(Question, 3);
        await index.UpsertAsync([Doc("extra.md", "Another page about returned parcels.")], Ct);
        index.Search("returned parcels", 3);

        Assert.Equal(words.Search(Question, 3).Select(h => (h.Document.Path, h.Span)), hits.Select(h => (h.Document.Path, h.Span)));
        Assert.All(hits, h => Assert.Null(h.Similarity));
        Assert.Equal(RetrievalModes.Words, index.Mode);
        var warning = Assert.Single(warnings);
        Assert.Contains("broken-model", warning, StringComparison.Ordinal);
        Assert.Contains("words only", warning, StringComparison.Ordinal);
        Assert.Equal(warning, index.WordsOnlyReason);
        // Tried once: a model that failed is not loaded again on every passage or question.
        Assert.Equal(1, throwing.Calls);
    }

    [Fact]
    public async Task Search_IsByWordsOnly_WhenTheModelIsUnknown()
    {
        var warnings = new List<string>();
        using var index = new PassageIndex(new DenseRetrieval(SentenceEmbedders.Create("/models/missing.onnx")!, warn: warnings.Add));
        await index.UpsertAsync(Corpus, Ct);

        Assert.NotEmpty(index.Search("returned parcels warehouse", 3));
        Assert.Single(warnings);
        Assert.Null(SentenceEmbedders.Create(SentenceEmbedders.None));
    }

    [Fact]
    public async Task UpsertAsync_StoppedHalfWay_KeepsTheChunksItEmbedded_AndTheNextRunEmbedsOnlyTheRest()
    {
        var folder = Path.Combine(Path.GetTempPath(), "skybridge-vectors-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Ten pages, embedded four at a time; the run is stopped (Ctrl-C, a closed terminal) during the second chunk.
            var pages = Enumerable.Range(0, 10).Select(i => Doc($"kb/page-{i}.md", $"Page {i} says parcels number {i} travel by lorry {i} times.")).ToList();
            var model = new HashingEmbedder("hashing-" + Guid.NewGuid().ToString("N"));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var stopping = new StoppingEmbedder(model, stop, onCall: 2);
            var reported = new List<EmbeddingProgress>();
            using (var first = new PassageIndex(new DenseRetrieval(stopping, new FolderVectorCache(folder), progress: reported.Add) { ChunkSize = 4 }))
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.UpsertAsync(pages, stop.Token));
            }

            Assert.Equal([new EmbeddingProgress(0, 10), new EmbeddingProgress(4, 10)], reported);
            var digests = pages.Select(d => Skybridge.Core.Ledger.TextDigest.Sha256(d.Text)).ToList();
            Assert.Equal(4, (await new FolderVectorCache(folder).GetAsync(model.ModelId, digests, Ct)).Count);

            // The next run reads the four back and embeds the six others.
            var counting = new CountingEmbedder(model);
            reported.Clear();
            using var second = new PassageIndex(new DenseRetrieval(counting, new FolderVectorCache(folder), progress: reported.Add) { ChunkSize = 4 });
            await second.UpsertAsync(pages, Ct);

            Assert.Equal(6, counting.Texts);
            Assert.Equal(10, second.VectorCount);
            Assert.Equal([new EmbeddingProgress(0, 6), new EmbeddingProgress(4, 6), new EmbeddingProgress(6, 6)], reported);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task UpsertAsync_UnchangedDocuments_ComputeNoVectorTheSecondTime()
    {
        var folder = Path.Combine(Path.GetTempPath(), "skybridge-vectors-" + Guid.NewGuid().ToString("N"));
        try
        {
            var counting = new CountingEmbedder(new HashingEmbedder("hashing-" + Guid.NewGuid().ToString("N")));
            using (var first = new PassageIndex(new DenseRetrieval(counting, new FolderVectorCache(folder))))
            {
                await first.UpsertAsync(Corpus, Ct);
                Assert.Equal(Corpus.Length, first.VectorCount);
            }

            Assert.Equal(Corpus.Length, counting.Texts);

            // A second index (a second `skybridge ask`) over the same documents: every vector from the cache.
            using (var second = new PassageIndex(new DenseRetrieval(counting, new FolderVectorCache(folder))))
            {
                await second.UpsertAsync(Corpus, Ct);
                Assert.Equal(Corpus.Length, second.VectorCount);
                Assert.Equal(RetrievalModes.Fused, second.Mode);
            }

            Assert.Equal(Corpus.Length, counting.Texts);

            // The folder alone (a new process has no memory cache) holds them all.
            var digests = Corpus.Select(d => Skybridge.Core.Ledger.TextDigest.Sha256(d.Text)).ToList();
            Assert.Equal(Corpus.Length, (await new FolderVectorCache(folder).GetAsync(counting.ModelId, digests, Ct)).Count);

            // One document changed: only its passage is embedded.
            using var third = new PassageIndex(new DenseRetrieval(counting, new FolderVectorCache(folder)));
            await third.UpsertAsync(Corpus.Select(d => d.Path == "shipping/zones.md" ? Doc(d.Path, d.Text + " And to Iceland.") : d), Ct);
            Assert.Equal(Corpus.Length + 1, counting.Texts);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void MiniLm_EmptyAndHugeTexts_GiveUnitVectors()
    {
        var vectors = MiniLmSentenceEmbedder.Instance.Embed(["", "   ", new string('x', 1_000_000), string.Concat(Enumerable.Repeat("refund ", 100_000))], Ct);

        Assert.Equal(4, vectors.Count);
        Assert.All(vectors, v =>
        {
            Assert.Equal(384, v.Length);
            Assert.InRange(Math.Sqrt(v.Sum(x => (double)x * x)), 0.99, 1.01);
        });
    }

    [Fact]
    public async Task Search_EmptyAndHugeQuestions_DoNotThrow()
    {
        using var index = new PassageIndex(new DenseRetrieval(new HashingEmbedder("hashing-" + Guid.NewGuid().ToString("N"))));
        await index.UpsertAsync(Corpus, Ct);

        Assert.Empty(index.Search("", 3));
        Assert.NotEmpty(index.Search(string.Concat(Enumerable.Repeat("returned parcels warehouse ", 50_000)), 3));
        Assert.Empty(new PassageIndex(new DenseRetrieval(new HashingEmbedder("h"))).Search("returned", 3));
    }

    private sealed class ThrowingEmbedder : ISentenceEmbedder
    {
        public int Calls { get; private set; }

        public string ModelId => "broken-model";

        public int Dimension => 384;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
        {
            Calls++;
            throw new InvalidDataException("Protobuf parsing failed: the model file is corrupt.");
        }
    }

    /// <summary>Stops the run (cancels it, as Ctrl-C does) on its <c>onCall</c>-th call.</summary>
    private sealed class StoppingEmbedder(ISentenceEmbedder inner, CancellationTokenSource stop, int onCall) : ISentenceEmbedder
    {
        private int _calls;

        public string ModelId => inner.ModelId;

        public int Dimension => inner.Dimension;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
        {
            if (++_calls == onCall)
            {
                stop.Cancel();
                cancellationToken.ThrowIfCancellationRequested();
            }

            return inner.Embed(texts, cancellationToken);
        }
    }

    /// <summary>Counts the texts its model was asked to embed.</summary>
    private sealed class CountingEmbedder(ISentenceEmbedder inner) : ISentenceEmbedder
    {
        private int _texts;

        public int Texts => _texts;

        public string ModelId => inner.ModelId;

        public int Dimension => inner.Dimension;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _texts, texts.Count);
            return inner.Embed(texts, cancellationToken);
        }
    }

    /// <summary>A stand-in model: words hashed into 64 buckets, normalised. Deterministic and instant.</summary>
    private sealed class HashingEmbedder(string modelId) : ISentenceEmbedder
    {
        public string ModelId => modelId;

        public int Dimension => 64;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken) => texts.Select(t =>
        {
            var v = new float[64];
            foreach (var word in t.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                v[(int)((uint)StringComparer.Ordinal.GetHashCode(word) % 64)] += 1;
            }

            var norm = MathF.Sqrt(v.Sum(x => x * x));
            return norm == 0 ? v.Select((_, i) => i == 0 ? 1f : 0f).ToArray() : v.Select(x => x / norm).ToArray();
        }).ToList();
    }
}
