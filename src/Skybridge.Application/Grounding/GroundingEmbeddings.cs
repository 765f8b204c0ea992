using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Skybridge.Grounding.Retrieval.Embeddings;
using Skybridge.Storage;

namespace Skybridge.Application.Grounding;

/// <summary>Retrieval by meaning for a node: the configured model, vectors kept in the store (migration 0017).</summary>
public static partial class GroundingEmbeddings
{
    /// <summary>
    /// The node's <see cref="DenseRetrieval"/>, or null when <see cref="SkybridgeNodeOptions.EmbeddingModel"/> is
    /// <c>none</c>. A model that fails is logged once as a warning and retrieval goes on by words.
    /// </summary>
    public static DenseRetrieval? ForNode(SkybridgeNodeOptions options, IVectorStore store, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        var embedder = SentenceEmbedders.Create(options.EmbeddingModel);
        if (embedder is null)
        {
            return null;
        }

        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("Skybridge.Grounding") ?? NullLogger.Instance;
        // A first ingest of a large corpus embeds for minutes: the log shows it moving, a chunk at a time.
        return new DenseRetrieval(embedder, new StoreVectorCache(store), message => LogWordsOnly(logger, message),
            progress => { if (progress.Done > 0) { LogEmbedded(logger, progress.Done, progress.Total, embedder.ModelId); } })
        {
            Back = message => LogMeaningBack(logger, message),
        };
    }

    [LoggerMessage(1200, LogLevel.Warning, "{Message}")]
    private static partial void LogWordsOnly(ILogger logger, string message);

    [LoggerMessage(1202, LogLevel.Information, "{Message}")]
    private static partial void LogMeaningBack(ILogger logger, string message);

    [LoggerMessage(1201, LogLevel.Information, "Embedded {Done} of {Total} passages with {Model}; their vectors are kept in the store")]
    private static partial void LogEmbedded(ILogger logger, int done, int total, string model);
}

/// <summary>Passage vectors in the node's store (<see cref="IVectorStore"/>).</summary>
public sealed class StoreVectorCache(IVectorStore store) : IPassageVectorCache
{
    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, float[]>> GetAsync(string modelId, IReadOnlyCollection<string> digests, CancellationToken cancellationToken) =>
        store.GetPassageVectorsAsync(modelId, digests, cancellationToken);

    /// <inheritdoc />
    public Task PutAsync(string modelId, IReadOnlyDictionary<string, float[]> vectors, CancellationToken cancellationToken) =>
        store.PutPassageVectorsAsync(modelId, vectors, cancellationToken);
}
