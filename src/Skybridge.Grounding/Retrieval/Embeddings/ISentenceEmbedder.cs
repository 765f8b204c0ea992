namespace Skybridge.Grounding.Retrieval.Embeddings;

/// <summary>
/// A sentence-embedding model: text in, one unit-length vector out per text. The built-in one runs on the CPU from a
/// model shipped inside a NuGet package (<see cref="MiniLmSentenceEmbedder"/>); a bigger model or a remote embedding
/// endpoint replaces it behind this interface. Vectors of different models never mix: <see cref="ModelId"/> keys the
/// vector cache.
/// </summary>
public interface ISentenceEmbedder
{
    /// <summary>Names the model and its version; a different model or version must have a different id.</summary>
    string ModelId { get; }

    /// <summary>The length of every vector.</summary>
    int Dimension { get; }

    /// <summary>
    /// True when a failure may pass (a remote endpoint that is down, slow or restarting): retrieval goes on by words
    /// for a while and then tries the model again. False (the default) for a model whose failure lasts (a model file
    /// that does not load): it is tried once per process.
    /// </summary>
    bool FailuresPass => false;

    /// <summary>
    /// One vector per text, in order, each of length <see cref="Dimension"/> and normalised to unit length (so the dot
    /// product is the cosine similarity). Throws when the model cannot be loaded or run; callers fall back to words.
    /// </summary>
    IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken);
}
