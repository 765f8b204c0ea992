using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Embeddings;
using Skybridge.Core.Manifests;

namespace Skybridge.Grounding.Retrieval.Embeddings;

/// <summary>
/// A sentence-embedding model behind an OpenAI-compatible embeddings endpoint (<c>POST {endpoint}/embeddings</c>), as
/// vLLM, Ollama, text-embeddings-inference and OpenAI serve it, through the OpenAI client library: a bigger model than
/// the built-in one, run where the manifest says (<c>retrieval.embedding</c>). Its failures pass: an endpoint that is
/// down or slow means words only for a while (<see cref="DenseRetrieval"/>), not for the rest of the process.
/// </summary>
public sealed class OpenAICompatibleEmbedder : ISentenceEmbedder
{
    /// <summary>Where the endpoint's API key comes from: never the manifest.</summary>
    public const string ApiKeyVariable = "SKYBRIDGE_EMBEDDING_API_KEY";

    /// <summary>
    /// Texts sent in one request: servers cap a request's inputs (OpenAI at 2,048, text-embeddings-inference at 32 by
    /// default), and a smaller request is retried for less when it fails.
    /// </summary>
    public const int BatchSize = 32;

    private readonly EmbeddingClient _client;

    /// <summary>The endpoint <paramref name="settings"/> names; the key from <paramref name="apiKey"/> or <see cref="ApiKeyVariable"/>.</summary>
    public OpenAICompatibleEmbedder(EmbeddingSettings settings, string? apiKey = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Provider != EmbeddingProvider.OpenAICompatible || settings.Endpoint is null || settings.Model is null || settings.Dimensions <= 0)
        {
            throw new ArgumentException("An OpenAI-compatible embedding model needs an endpoint, a model name and its dimensions.", nameof(settings));
        }

        var key = apiKey ?? Environment.GetEnvironmentVariable(ApiKeyVariable) ?? "none";
        _client = new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = settings.Endpoint,
            // An answer waits for the question's vector: a hung endpoint must not hold it for the library's default of
            // 100 s. Two retries with back-off ride out a restart; after that the caller goes on by words.
            NetworkTimeout = TimeSpan.FromSeconds(15),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 2),
        }).GetEmbeddingClient(settings.Model);
        Dimension = settings.Dimensions;
        // The endpoint is part of the name: the same model name on another server may be another model, and vectors of
        // different models never mix in the cache. Without user name, password or query: the name is logged and stored.
        var where = new UriBuilder(settings.Endpoint) { UserName = string.Empty, Password = string.Empty, Query = string.Empty, Fragment = string.Empty }.Uri;
        ModelId = $"openai-compatible:{settings.Model}@{where.GetLeftPart(UriPartial.Path).TrimEnd('/')}";
    }

    /// <inheritdoc />
    public string ModelId { get; }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public bool FailuresPass => true;

    /// <inheritdoc />
    public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var vectors = new List<float[]>(texts.Count);
        foreach (var batch in texts.Chunk(BatchSize))
        {
            // An empty input is refused by some servers; a single space embeds as "nothing" everywhere.
            var inputs = batch.Select(t => string.IsNullOrWhiteSpace(t) ? " " : t).ToList();
            OpenAIEmbeddingCollection result = _client.GenerateEmbeddings(inputs, cancellationToken: cancellationToken);
            if (result.Count != inputs.Count)
            {
                throw new InvalidOperationException($"the endpoint returned {result.Count} vectors for {inputs.Count} texts");
            }

            foreach (var embedding in result.OrderBy(e => e.Index))
            {
                var vector = embedding.ToFloats().ToArray();
                if (vector.Length != Dimension)
                {
                    throw new InvalidOperationException(
                        $"the endpoint returned vectors of {vector.Length} dimensions, but the manifest declares {Dimension}: another model answers there, or the declaration is wrong");
                }

                vectors.Add(Normalized(vector));
            }
        }

        return vectors;
    }

    private static float[] Normalized(float[] vector)
    {
        var norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        if (norm > 0)
        {
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] = (float)(vector[i] / norm);
            }
        }

        return vector;
    }
}
