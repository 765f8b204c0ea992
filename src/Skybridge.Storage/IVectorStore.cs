namespace Skybridge.Storage;

/// <summary>
/// Sentence-embedding vectors of passages, keyed by (model id, SHA-256 of the passage text): a passage whose text did
/// not change is never embedded again, on this node or any other sharing the store. Vectors are derived data (they hold
/// nothing the passage text does not), written without a ledger event, never changed once written.
/// </summary>
public interface IVectorStore
{
    /// <summary>The vectors stored for <paramref name="digests"/> under <paramref name="modelId"/>; unknown digests are left out.</summary>
    Task<IReadOnlyDictionary<string, float[]>> GetPassageVectorsAsync(string modelId, IReadOnlyCollection<string> digests, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="vectors"/> (by digest) under <paramref name="modelId"/>. A digest already stored is left as
    /// it is (two nodes embedding the same passage at once both succeed). Returns how many were added.
    /// </summary>
    Task<int> PutPassageVectorsAsync(string modelId, IReadOnlyDictionary<string, float[]> vectors, CancellationToken cancellationToken = default);
}
