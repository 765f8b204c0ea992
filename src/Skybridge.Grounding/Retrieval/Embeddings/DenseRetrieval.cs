namespace Skybridge.Grounding.Retrieval.Embeddings;

/// <summary>
/// Retrieval by meaning for a <see cref="PassageIndex"/>: the embedding model, where passage vectors are kept, and what
/// to do when the model cannot be used. One instance per node (or per command) is shared by its indexes, so a model
/// that fails to load is tried once and reported once; from then on retrieval is by words only (BM25).
/// </summary>
public sealed class DenseRetrieval
{
    private readonly Action<string>? _warn;
    private readonly Action<EmbeddingProgress>? _progress;
    private int _failed;

    /// <summary>Retrieval by meaning with <paramref name="embedder"/>, vectors kept in <paramref name="cache"/>.</summary>
    /// <param name="embedder">The model.</param>
    /// <param name="cache">Where vectors are kept; the process-wide memory cache sits in front of it.</param>
    /// <param name="warn">Told once, in a sentence fit for a log or a terminal, when the model fails.</param>
    /// <param name="progress">Told how many of the passages to embed are done: first when the work starts (0 done),
    /// then after each <see cref="ChunkSize"/> passages, whose vectors are kept in the cache before the next are
    /// computed. A first ingest of a large corpus takes minutes; this is how a terminal or a log shows it moving.</param>
    public DenseRetrieval(ISentenceEmbedder embedder, IPassageVectorCache? cache = null, Action<string>? warn = null, Action<EmbeddingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        Embedder = embedder;
        Cache = MemoryVectorCache.Shared.Before(cache);
        _warn = warn;
        _progress = progress;
    }

    /// <summary>
    /// How many passages are embedded before their vectors are kept in the cache: an ingest stopped half-way (a killed
    /// process, a closed terminal) keeps what it computed, and the next run embeds only the rest. About 10-20 s of the
    /// built-in model's work on two cores; keeping them costs well under a second.
    /// </summary>
    public int ChunkSize { get; init; } = 1024;

    /// <summary>The model.</summary>
    public ISentenceEmbedder Embedder { get; }

    /// <summary>Where vectors are kept.</summary>
    public IPassageVectorCache Cache { get; }

    /// <summary>Why retrieval is by words only, once the model has failed; null while it works.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>
    /// Vectors for <paramref name="texts"/>, or null when the model fails (now or before): the caller falls back to
    /// words. Cancellation is passed on, never taken for a failure.
    /// </summary>
    internal IReadOnlyList<float[]>? TryEmbed(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _failed) != 0)
        {
            return null;
        }

        try
        {
            var vectors = Embedder.Embed(texts, cancellationToken);
            if (vectors.Count != texts.Count || vectors.Any(v => v.Length != Embedder.Dimension))
            {
                throw new InvalidOperationException($"it returned {vectors.Count} vectors for {texts.Count} texts, or vectors not of {Embedder.Dimension} dimensions");
            }

            return vectors;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Any failure of the model (missing file, corrupt model, native runtime error) means words only, never a crash.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Fail($"The sentence-embedding model '{Embedder.ModelId}' could not be used ({ex.GetType().Name}: {FirstLine(ex.Message)}); retrieval is by words only (BM25).");
            return null;
        }
    }

    /// <summary>Tells the progress listener, if any, how far the embedding of <paramref name="total"/> passages is.</summary>
    internal void Report(int done, int total) => _progress?.Invoke(new EmbeddingProgress(done, total));

    private void Fail(string message)
    {
        if (Interlocked.Exchange(ref _failed, 1) == 0)
        {
            Unavailable = message;
            _warn?.Invoke(message);
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] : line;
    }
}

/// <summary>How far an embedding of passages is: <paramref name="Done"/> of <paramref name="Total"/> passages have vectors.</summary>
/// <param name="Done">Passages embedded and kept so far.</param>
/// <param name="Total">Passages this ingest embeds (those whose vectors no cache had).</param>
public readonly record struct EmbeddingProgress(int Done, int Total);
