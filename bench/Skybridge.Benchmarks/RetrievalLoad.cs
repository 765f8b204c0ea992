using System.Diagnostics;
using System.Globalization;
using Skybridge.Application.Grounding;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;
using Skybridge.Storage;

namespace Skybridge.Benchmarks;

/// <summary>
/// <c>retrieval-load [ARTICLES] [--cache DIR | --sqlite DIR] [--questions N]</c>: the synthetic help centre (ARTICLES x 6
/// passages; 5,000 gives 30,000) indexed by words and meaning with the built-in model, its vectors kept in a cache
/// folder (as <c>skybridge ask MANIFEST</c> does) or a SQLite store (as a node does); then N built-in answers, fused.
/// Run it twice with the same DIR: the first run is the first ingest, the second the unchanged one (a new process, so
/// nothing comes from memory). <c>--prefill</c> fills the cache with random unit vectors instead (to time the unchanged
/// path at full size). Targets: first ingest of 30,000 passages <= 10 min, unchanged <= 30 s, answer median
/// <= 50 ms and p95 <= 200 ms on 2 cores.
/// </summary>
internal static class RetrievalLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var articles = args.Length > 1 && int.TryParse(args[1], CultureInfo.InvariantCulture, out var n) ? n : 5_000;
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var questions = int.Parse(Value("--questions") ?? "200", CultureInfo.InvariantCulture);
        var sqlite = Value("--sqlite");
        var folder = Value("--cache") ?? Path.Combine(Path.GetTempPath(), "skybridge-retrieval-load");
        await using var store = sqlite is null ? null : SkybridgeStores.OpenSqlite(sqlite);
        if (store is not null)
        {
            await store.MigrateAsync();
        }

        IPassageVectorCache cache = store is null ? new FolderVectorCache(folder) : new StoreVectorCache(store);
        var counting = new CountingEmbedder(MiniLmSentenceEmbedder.Instance);
        var documents = SyntheticHelpCentre.Make(articles);

        if (Array.IndexOf(args, "--prefill") >= 0)
        {
            // Times the unchanged path at full size without the first ingest's hours: the cache is filled with random
            // unit vectors under the model's id. Ingest and search cost the same whatever the vectors' values; the
            // answers' quality on such an index means nothing and is not measured.
            var random = new Random(7);
            var digests = documents.SelectMany(d => Skybridge.Core.Grounding.PassageSplitter.Split(d.Text).Select(s => Skybridge.Core.Ledger.TextDigest.Sha256(s.Of(d.Text)))).Distinct();
            foreach (var chunk in digests.Chunk(2_000))
            {
                await cache.PutAsync(MiniLmSentenceEmbedder.Instance.ModelId, chunk.ToDictionary(d => d, _ =>
                {
                    var v = Enumerable.Range(0, 384).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
                    var norm = MathF.Sqrt(v.Sum(x => x * x));
                    return v.Select(x => x / norm).ToArray();
                }), CancellationToken.None);
            }

            Console.WriteLine("cache prefilled with random unit vectors (timing only)");
            return 0;
        }

        var clock = Stopwatch.StartNew();
        MiniLmSentenceEmbedder.Instance.Embed(["warm up"], CancellationToken.None);
        var load = clock.Elapsed;
        clock.Restart();
        using var index = new PassageIndex(new DenseRetrieval(counting, cache, Console.Error.WriteLine));
        await index.UpsertAsync(documents, CancellationToken.None);
        var ingest = clock.Elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ingest: {index.PassageCount} passages, {index.VectorCount} vectors, {counting.Texts} computed, {ingest.TotalSeconds:0.0} s ({(counting.Texts == 0 ? 0 : ingest.TotalMilliseconds / counting.Texts):0.0} ms per computed passage); model load {load.TotalSeconds:0.0} s; cache {(store is null ? folder : sqlite)}"));

        var manifest = new WorkflowManifest
        {
            Id = "support-desk", Name = "Support desk", Owner = new Principal(PrincipalKind.User, "maria"), Authorities = new DecisionAuthorities(),
            Model = new ModelSettings { Provider = ModelProvider.BuiltinExtractive }, Autonomy = new AutonomySettings { Level = AutonomyLevel.L0Draft },
            Retrieval = new RetrievalSettings { TopK = 5, MinScore = 0, AbstainBelow = 0 },
        };
        var answerer = new GroundedAnswerer(manifest, index, new ExtractiveChatClient());
        var times = new List<double>(questions);
        for (var q = 0; q < questions + 5; q++)
        {
            clock.Restart();
            var draft = await answerer.AnswerAsync(SyntheticHelpCentre.Questions[q % SyntheticHelpCentre.Questions.Length] + (q >= 10 ? " " + q.ToString(CultureInfo.InvariantCulture) : ""), CancellationToken.None);
            if (q >= 5)
            {
                times.Add(clock.Elapsed.TotalMilliseconds);
            }

            if (draft.Retrieval != RetrievalModes.Fused)
            {
                Console.Error.WriteLine("warning: answered by words only");
            }
        }

        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"answers ({questions}, fused, top 5): median {times[times.Count / 2]:0.0} ms, p95 {times[(int)(times.Count * 0.95)]:0.0} ms, max {times[^1]:0.0} ms"));
        return 0;
    }

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
}
