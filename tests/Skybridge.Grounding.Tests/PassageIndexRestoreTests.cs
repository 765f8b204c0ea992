using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>A words index saved to a folder and restored in a later process: the same hits, and a mismatch refused.</summary>
public sealed class PassageIndexRestoreTests(GroundingFixture kb) : IClassFixture<GroundingFixture>, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "skybridge-words-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Restore_FindsWhatTheSavedIndexFound()
    {
        using var built = new PassageIndex();
        built.Upsert(kb.Report.Documents);
        built.SaveWords(_folder);

        using var restored = PassageIndex.Restore(_folder, kb.Report.Documents, dense: null);

        Assert.Equal(built.PassageCount, restored.PassageCount);
        var question = "How long do I have to return unused items?";
        Assert.Equal(built.Search(question, 5).Select(h => (h.Document.Path, h.Span, h.Score)), restored.Search(question, 5).Select(h => (h.Document.Path, h.Span, h.Score)));
    }

    [Fact]
    public void Restore_Throws_WhenTheDocumentsAreNotTheSavedOnes()
    {
        using (var built = new PassageIndex())
        {
            built.Upsert(kb.Report.Documents);
            built.SaveWords(_folder);
        }

        var dropped = kb.Report.Documents.First(d => !d.IsOutdated);
        Assert.Throws<InvalidDataException>(() => PassageIndex.Restore(_folder, kb.Report.Documents.Where(d => d != dropped), dense: null));
    }

    [Fact]
    public async Task Restore_FindsEveryPassagesVectorAgain_WithoutEmbeddingOne()
    {
        // The vectors are found by each passage's digest: a digest restored wrong is a passage embedded again.
        var model = new CountingEmbedder();
        using (var built = new PassageIndex(new DenseRetrieval(model)))
        {
            await built.UpsertAsync(kb.Report.Documents, TestContext.Current.CancellationToken);
            built.SaveWords(_folder);
            Assert.True(built.VectorCount > 0);
        }

        var embeddedWhenBuilt = model.Texts;
        using var restored = PassageIndex.Restore(_folder, kb.Report.Documents, new DenseRetrieval(model));
        await restored.EmbedPendingAsync(TestContext.Current.CancellationToken);

        Assert.Equal(embeddedWhenBuilt, model.Texts);
        Assert.Equal(restored.PassageCount, restored.VectorCount);
        Assert.Equal(RetrievalModes.Fused, restored.Mode);
    }

    [Fact]
    public void Restore_Throws_WhenTheSavedPassagesAreCutShort()
    {
        using (var built = new PassageIndex())
        {
            built.Upsert(kb.Report.Documents);
            built.SaveWords(_folder);
        }

        var passages = Path.Combine(_folder, "passages");
        var bytes = File.ReadAllBytes(passages);
        File.WriteAllBytes(passages, bytes[..(bytes.Length - 10)]);

        Assert.ThrowsAny<IOException>(() => PassageIndex.Restore(_folder, kb.Report.Documents, dense: null));
    }

    [Fact]
    public void Restore_Throws_WhenASavedPassageRunsPastItsDocumentsText()
    {
        using (var built = new PassageIndex())
        {
            built.Upsert(kb.Report.Documents);
            built.SaveWords(_folder);
        }

        // The same paths with shorter texts: the saved spans no longer fit them.
        var shortened = kb.Report.Documents.Select(d => d with { Text = d.Text[..(d.Text.Length / 2)] }).ToList();

        Assert.Throws<InvalidDataException>(() => PassageIndex.Restore(_folder, shortened, dense: null));
    }

    /// <summary>A stand-in model that counts the texts it embeds: words hashed into 32 buckets, normalised.</summary>
    private sealed class CountingEmbedder : ISentenceEmbedder
    {
        private int _texts;

        public int Texts => Volatile.Read(ref _texts);

        public string ModelId { get; } = "counting-" + Guid.NewGuid().ToString("N");

        public int Dimension => 32;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _texts, texts.Count);
            return [.. texts.Select(t =>
            {
                var v = new float[32];
                foreach (var word in t.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    v[(word.GetHashCode(StringComparison.Ordinal) & 0x7fffffff) % 32] += 1;
                }

                var norm = MathF.Sqrt(v.Sum(x => x * x));
                return norm == 0 ? v : [.. v.Select(x => x / norm)];
            })];
        }
    }
}
