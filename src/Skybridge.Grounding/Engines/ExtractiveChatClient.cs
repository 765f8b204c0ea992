using System.Text.Json;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.TokenAttributes;
using Microsoft.Extensions.AI;
using Skybridge.Core.Grounding;

namespace Skybridge.Grounding.Engines;

/// <summary>
/// The built-in answer engine, needing no model: it reads the passages it is given, scores each sentence by the
/// IDF-weighted question terms it contains (English stemming, as retrieval uses), and answers with the best
/// sentences quoted verbatim, each citing its passage. It speaks <see cref="IChatClient"/> like any model, so the
/// pipeline around it is the same for every engine; no text leaves the process.
/// </summary>
public sealed class ExtractiveChatClient : IChatClient
{
    /// <summary>The engine's name in drafts and the ledger.</summary>
    public const string Name = "builtin-extractive";

    private const int MaxSentences = 3;
    private static readonly Analyzer Analyzer = Retrieval.GroundingAnalyzer.Create();

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text is { } text ? Read(text) : null;
        var answer = request is null ? new EngineAnswer([]) : Answer(request);
        var reply = new ChatMessage(ChatRole.Assistant, JsonSerializer.Serialize(answer, AnswerProtocol.Json));
        return Task.FromResult(new ChatResponse(reply) { ModelId = Name, FinishReason = ChatFinishReason.Stop });
    }

    private static AnswerRequest? Read(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<AnswerRequest>(json, AnswerProtocol.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The extractive answer for a request.</summary>
    internal static EngineAnswer Answer(AnswerRequest request)
    {
        var question = Terms(request.Question).ToHashSet(StringComparer.Ordinal);
        if (question.Count == 0 || request.Passages.Count == 0)
        {
            return new EngineAnswer([]);
        }

        var sentences = new List<(PromptPassage Passage, int Order, string Text, HashSet<string> Terms)>();
        foreach (var passage in request.Passages)
        {
            var order = 0;
            foreach (var span in SentenceSplitter.Split(passage.Text, new TextSpan(0, passage.Text.Length)))
            {
                var text = span.Of(passage.Text);
                var lineStart = passage.Text.LastIndexOf('\n', Math.Max(0, span.Start - 1)) + 1;
                // Headings name a topic; they state nothing a customer can rely on.
                if (!passage.Text.AsSpan(lineStart).TrimStart().StartsWith("#", StringComparison.Ordinal))
                {
                    sentences.Add((passage, order++, text, Terms(text).ToHashSet(StringComparer.Ordinal)));
                }
            }
        }

        // Rarer words among the candidates say more: "warranty" beats "order". Passages come best first from
        // retrieval, so a sentence of the first passage counts more than an equal one of the fifth.
        var weight = question.ToDictionary(t => t, t => Math.Log(1 + (sentences.Count / (1.0 + sentences.Count(s => s.Terms.Contains(t))))));
        var rank = request.Passages.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => 1.0 / (1 + (0.25 * x.i)));
        var matches = sentences.Select(s => s.Terms.Count(question.Contains)).ToList();
        // One shared word is chance; when some sentence shares two or more with the question, only those qualify.
        var needed = question.Count >= 2 && matches.Any(m => m >= 2) ? 2 : 1;
        var scored = sentences
            .Select((s, i) => (Sentence: s, Matches: matches[i], Score: rank[s.Passage] * s.Terms.Where(question.Contains).Sum(t => weight[t]) / Math.Sqrt(Math.Max(4, s.Terms.Count))))
            .Where(s => s.Matches >= needed && s.Score > 0)
            .OrderByDescending(s => s.Score)
            .ToList();
        if (scored.Count == 0)
        {
            return new EngineAnswer([]);
        }

        var best = scored[0].Score;
        var chosen = scored.Where(s => s.Score >= best * 0.6).Take(MaxSentences)
            .OrderBy(s => request.Passages.ToList().IndexOf(s.Sentence.Passage)).ThenBy(s => s.Sentence.Order)
            .Select(s => new EngineClaim(s.Sentence.Text, [new EngineCitation(s.Sentence.Passage.Id, s.Sentence.Text)]))
            .ToList();
        return new EngineAnswer(chosen);
    }

    private static List<string> Terms(string text)
    {
        var terms = new List<string>();
        using var stream = Analyzer.GetTokenStream("text", text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            terms.Add(term.ToString());
        }

        stream.End();
        return terms;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata(Name) : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
