using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Grounding.Tests;

/// <summary>
/// Retrieval reads a ticket as a support agent does: what it asks (its questions and its requests) is the evidence that
/// must be found; the story around it (the product, the city, what happened) is context. A request without a question
/// mark is an ask, and by meaning the ticket is searched by its ask.
/// </summary>
public sealed class ChattyTicketRetrievalTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SourceDocument Doc(string path, string text) => GroundingFixture.Doc(path, text, source: "kb", classification: "internal");

    private static readonly SourceDocument[] Corpus =
    [
        Doc("orders/out-of-stock.md", "If an item goes out of stock after you ordered, we tell you by e-mail. You can wait for it, or we refund the item within 5 working days."),
        Doc("returns/refund-policy.md", "You can return unused items within 30 days of delivery. Refunds go to the original payment method."),
        Doc("care/harness.md", "Check the stitching of a climbing harness before every season and retire it after five years."),
        Doc("shipping/tracking.md", "Every parcel gets a tracking link by e-mail on the day it leaves the warehouse."),
        Doc("account/password.md", "To change your password open Settings, choose Security and follow the link we e-mail you."),
    ];

    // A story and a request, no question mark: the request is what the ticket asks.
    private const string RequestTicket =
        "Your e-mail from Hamburg says the harness I ordered went out of stock. My trip to the Dolomites starts on Monday. " +
        "Please refund the item.";

    private readonly PassageIndex _index = new();

    public ChattyTicketRetrievalTests() => _index.Upsert(Corpus);

    public void Dispose() => _index.Dispose();

    [Fact]
    public async Task Answer_StoryAroundARequestWithoutQuestionMark_IsAnsweredFromThePageThatResolvesIt()
    {
        var draft = await new GroundedAnswerer(GroundingFixture.Manifest(abstainBelow: 0.40), _index, new ExtractiveChatClient(), new AnswerChecks { Similarity = null })
            .AnswerAsync(RequestTicket, Ct);

        Assert.False(draft.Abstained, draft.ReasonDetail + " " + draft.Confidence);
        Assert.Contains(draft.Citations, c => c.Document == "orders/out-of-stock.md");
        Assert.InRange(draft.Confidence, 0.40, 1.0);
    }

    [Fact]
    public void Search_StoryAroundARequest_WeighsTheStoryLessThanTheRequest()
    {
        // The same words told as a story alone (nothing asked) weigh fully: the request is what lifts confidence.
        var asked = _index.Search(RequestTicket, 3)[0];
        var told = _index.Search(RequestTicket.Replace(" Please refund the item.", " The item was refunded.", StringComparison.Ordinal), 3)[0];

        Assert.Equal("orders/out-of-stock.md", asked.Document.Path);
        Assert.True(asked.Coverage > told.Coverage, $"asked {asked.Coverage:0.00}, told {told.Coverage:0.00}");
    }

    [Fact]
    public async Task Search_TicketWithAStory_IsSearchedByMeaningWithWhatItAsks()
    {
        var recording = new RecordingEmbedder();
        using var index = new PassageIndex(new DenseRetrieval(recording));
        await index.UpsertAsync(Corpus, Ct);
        recording.Seen.Clear();

        index.Search(RequestTicket, 3);

        // The story's product, city and trip would pull the harness care page in by meaning; only the ask is embedded.
        var query = Assert.Single(recording.Seen);
        Assert.Contains("refund", query, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Dolomites", query, StringComparison.Ordinal);
        Assert.DoesNotContain("Hamburg", query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_QuestionWithoutAStory_IsSearchedByMeaningWhole()
    {
        var recording = new RecordingEmbedder();
        using var index = new PassageIndex(new DenseRetrieval(recording));
        await index.UpsertAsync(Corpus, Ct);
        recording.Seen.Clear();

        index.Search("How long do I have to return unused boots?", 3);

        Assert.Equal("How long do I have to return unused boots?", Assert.Single(recording.Seen));
    }

    /// <summary>A stand-in model that records what it embeds: words hashed into 64 buckets, normalised.</summary>
    private sealed class RecordingEmbedder : ISentenceEmbedder
    {
        public List<string> Seen { get; } = [];

        public string ModelId => "recording-" + GetHashCode();

        public int Dimension => 64;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
        {
            lock (Seen)
            {
                Seen.AddRange(texts);
            }

            return [.. texts.Select(t =>
            {
                var v = new float[64];
                foreach (var word in t.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    v[(word.GetHashCode(StringComparison.Ordinal) & 0x7fffffff) % 64] += 1;
                }

                var norm = MathF.Sqrt(v.Sum(x => x * x));
                return norm == 0 ? v : [.. v.Select(x => x / norm)];
            })];
        }
    }
}
