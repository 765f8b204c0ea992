using System.Text;
using BenchmarkDotNet.Attributes;
using Skybridge.Core.Grounding;
using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;

namespace Skybridge.Benchmarks;

/// <summary>
/// A help centre of 30,000 passages (5,000 articles of 6 paragraphs, help-desk vocabulary), made deterministically.
/// Each paragraph is about 60 words, within the passage splitter's target, so one paragraph is one passage.
/// </summary>
internal static class SyntheticHelpCentre
{
    private static readonly string[] Topics =
    [
        "refund", "return", "warranty", "shipping", "tracking", "invoice", "payment", "voucher", "discount", "exchange",
        "tent", "stove", "headlamp", "jacket", "zipper", "boots", "harness", "helmet", "backpack", "sleeping",
        "customs", "parcel", "courier", "password", "account", "newsletter", "student", "rental", "preorder", "stock",
    ];

    private static readonly string[] Words =
    [
        "the", "customer", "order", "within", "days", "working", "our", "team", "please", "send", "photos", "form", "original",
        "packaging", "method", "delivery", "address", "label", "item", "items", "unused", "damaged", "defect", "manufacturing",
        "repair", "replace", "check", "battery", "seam", "fabric", "pole", "sleeve", "fuel", "valve", "strap", "buckle", "size",
        "fit", "colour", "price", "match", "offer", "code", "gift", "card", "bank", "transfer", "charge", "twice", "statement",
        "confirm", "email", "support", "queue", "logistics", "warehouse", "dispatch", "express", "cutoff", "weekend", "holiday",
        "europe", "germany", "switzerland", "norway", "kingdom", "duties", "taxes", "receipt", "account", "login", "reset", "link",
    ];

    public static List<SourceDocument> Make(int articles, int paragraphs = 6, int seed = 42)
    {
        var random = new Random(seed);
        var documents = new List<SourceDocument>(articles);
        for (var a = 0; a < articles; a++)
        {
            var topic = Topics[a % Topics.Length];
            var text = new StringBuilder($"# {char.ToUpperInvariant(topic[0])}{topic[1..]} help {a}\n\n");
            for (var p = 0; p < paragraphs; p++)
            {
                for (var s = 0; s < 5; s++)
                {
                    text.Append(char.ToUpperInvariant(topic[0])).Append(topic[1..]);
                    for (var w = 0; w < 11; w++)
                    {
                        text.Append(' ').Append(random.Next(4) == 0 ? Topics[random.Next(Topics.Length)] : Words[random.Next(Words.Length)]);
                    }

                    text.Append(' ').Append(random.Next(2, 31)).Append(" days. ");
                }

                text.Append("\n\n");
            }

            var body = text.ToString();
            documents.Add(new SourceDocument
            {
                Source = "kb", Path = $"{topic}/article-{a:D5}.md", Version = DocumentVersion.Of(body), Title = $"{topic} help {a}", Text = body, Id = $"article-{a:D5}",
            });
        }

        return documents;
    }

    public static readonly string[] Questions =
    [
        "How many days until my refund reaches the original payment method?",
        "The tent pole sleeve is damaged, is that a manufacturing defect under warranty?",
        "Where is my parcel, tracking shows nothing after dispatch",
        "I was charged twice on my bank statement for one order",
        "Do I pay customs duties when shipping to Switzerland?",
        "My stove fuel valve does not work, can you repair it?",
        "How do I reset my account password, the login link expired",
        "Can I use a student discount code together with a gift card?",
        "The headlamp battery lasts only two hours",
        "Is express delivery possible before the weekend cutoff?",
    ];
}

/// <summary>Indexing 30,000 passages into the BM25 index (Lucene.Net, English analysis).</summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3, invocationCount: 1)]
public class GroundingIndexBenchmarks
{
    private List<SourceDocument> _documents = [];

    [GlobalSetup]
    public void Setup() => _documents = SyntheticHelpCentre.Make(5_000);

    [Benchmark]
    public int Index30000Passages()
    {
        using var index = new PassageIndex();
        index.Upsert(_documents);
        if (index.PassageCount < 30_000)
        {
            throw new InvalidOperationException($"Only {index.PassageCount} passages.");
        }

        return index.PassageCount;
    }
}

/// <summary>Retrieval (top 5) and a whole built-in answer (retrieve, extract, verify every citation) over 30,000 passages.</summary>
[MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class GroundingQueryBenchmarks
{
    private PassageIndex _index = null!;
    private GroundedAnswerer _answerer = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _index = new PassageIndex();
        _index.Upsert(SyntheticHelpCentre.Make(5_000));
        var manifest = new WorkflowManifest
        {
            Id = "support-desk", Name = "Support desk", Owner = new Principal(PrincipalKind.User, "maria"), Authorities = new DecisionAuthorities(),
            Model = new ModelSettings { Provider = ModelProvider.BuiltinExtractive }, Autonomy = new AutonomySettings { Level = AutonomyLevel.L0Draft },
            // Thresholds at zero so every question runs the whole pipeline (engine and citation checks), never an early abstention.
            Retrieval = new RetrievalSettings { TopK = 5, MinScore = 0, AbstainBelow = 0 },
        };
        _answerer = new GroundedAnswerer(manifest, _index, new ExtractiveChatClient());
    }

    private string NextQuestion() => SyntheticHelpCentre.Questions[_next++ % SyntheticHelpCentre.Questions.Length];

    [Benchmark]
    public int Retrieve() => _index.Search(NextQuestion(), 5).Count;

    [Benchmark]
    public async Task<int> BuiltInAnswer()
    {
        var draft = await _answerer.AnswerAsync(NextQuestion(), CancellationToken.None);
        return draft.Abstained ? throw new InvalidOperationException("Abstained: " + draft.ReasonDetail) : draft.Citations.Count;
    }

    [GlobalCleanup]
    public void Cleanup() => _index.Dispose();
}
