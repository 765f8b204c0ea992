using System.Globalization;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// Reciprocal rank fusion reads each ranking deep enough that a passage one ranking puts far down still gets that
/// ranking's share: cut at 50, the passage words put second and meaning 100th scored as if meaning had never seen it.
/// </summary>
public sealed class FusionDepthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // 200 pages without the question's words, each at a set closeness in meaning: page k is the k-th closest.
    private static readonly SourceDocument[] Fillers =
        [.. Enumerable.Range(1, 200).Select(k => GroundingFixture.Doc($"notes/note-{k:000}.md", $"Depot note m{k:000}: route {k} leaves on time."))];

    // Words rank the warehouse page first and the answering page second; meaning puts them 180th and 100th.
    private static readonly SourceDocument Answering = GroundingFixture.Doc("returns/labels.md", "Return label alpha beta: printed at the desk. m100x");
    private static readonly SourceDocument Warehouse = GroundingFixture.Doc("warehouse/gate.md", "Alpha beta gate. m180x");

    [Fact]
    public async Task Search_GivesAPassageMeaningRanks100th_ItsShareOfMeaning_AboveOneMeaningRanks180th()
    {
        using var index = new PassageIndex(new DenseRetrieval(new RankEmbedder()));
        await index.UpsertAsync([.. Fillers, Answering, Warehouse], Ct);

        var hits = index.Search("alpha beta?", 3);

        // Fused over 50 candidates, the warehouse page (first by words) and note 1 (first by meaning) outranked it.
        Assert.Equal("returns/labels.md", hits[0].Document.Path);
        Assert.Equal("warehouse/gate.md", hits[1].Document.Path);
    }

    /// <summary>
    /// Vectors by a marker in the text, so that the question's cosine with page <c>mNNN</c> falls with NNN: meaning
    /// ranks the pages in the order of their marker.
    /// </summary>
    private sealed class RankEmbedder : ISentenceEmbedder
    {
        public string ModelId => "test-rank-embedder-1";

        public int Dimension => 2;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
            [.. texts.Select(Vector)];

        private static float[] Vector(string text)
        {
            var at = text.IndexOf(" m", StringComparison.Ordinal);
            var marker = at >= 0 && at + 5 <= text.Length && int.TryParse(text.AsSpan(at + 2, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k : 0;
            if (marker == 0)
            {
                return [1f, 0f]; // the question
            }

            // Distinct angles, closest first; a page marked "xNNNx" sits just after page NNN.
            var angle = (marker + (text.Contains($"m{marker:000}x", StringComparison.Ordinal) ? 0.5 : 0)) * 0.005;
            return [(float)Math.Cos(angle), (float)Math.Sin(angle)];
        }
    }
}
