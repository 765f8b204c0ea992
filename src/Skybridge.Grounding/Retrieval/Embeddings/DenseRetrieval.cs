namespace Skybridge.Grounding.Retrieval.Embeddings;

/// <summary>
/// Retrieval by meaning for a <see cref="PassageIndex"/>: the embedding model, where passage vectors are kept, and what
/// to do when the model cannot be used. One instance per node (or per command) is shared by its indexes, so a model
/// that fails to load is tried once and reported once; from then on retrieval is by words only (BM25).
/// </summary>
public sealed class DenseRetrieval
{
    private readonly Action<string>? _warn;
    private int _failed;

    /// <summary>Retrieval by meaning with <paramref name="embedder"/>, vectors kept in <paramref name="cache"/>.</summary>
    /// <param name="embedder">The model.</param>
    /// <param name="cache">Where vectors are kept; the process-wide memory cache sits in front of it.</param>
    /// <param name="warn">Told once, in a sentence fit for a log or a terminal, when the model fails.</param>
    public DenseRetrieval(ISentenceEmbedder embedder, IPassageVectorCache? cache = null, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        Embedder = embedder;
        Cache = MemoryVectorCache.Shared.Before(cache);
        _warn = warn;
    }

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
