using System.Collections.Concurrent;

namespace Skybridge.Grounding.Retrieval.Embeddings;

/// <summary>
/// Where passage vectors are kept between ingests, keyed by (model id, SHA-256 of the passage text): a passage whose
/// text did not change is never embedded twice. On a node it is the store (migration 0017); for a manifest read from
/// disk it is a folder (<see cref="FolderVectorCache"/>).
/// </summary>
public interface IPassageVectorCache
{
    /// <summary>The vectors known for <paramref name="digests"/> (missing ones are left out).</summary>
    Task<IReadOnlyDictionary<string, float[]>> GetAsync(string modelId, IReadOnlyCollection<string> digests, CancellationToken cancellationToken);

    /// <summary>Keeps <paramref name="vectors"/> (by digest); a digest already kept is left as it is.</summary>
    Task PutAsync(string modelId, IReadOnlyDictionary<string, float[]> vectors, CancellationToken cancellationToken);
}

/// <summary>
/// A process-wide cache in front of another: a process that builds several indexes over the same documents (a node's
/// workflows, an evaluation run, a test run that starts many nodes) embeds each passage once. Bounded: past
/// <see cref="Capacity"/> vectors it stops adding (about 150 MB at 384 dimensions).
/// </summary>
public sealed class MemoryVectorCache : IPassageVectorCache
{
    private const int Capacity = 100_000;
    private readonly ConcurrentDictionary<(string Model, string Digest), float[]> _vectors = new();
    private int _count;

    /// <summary>The one shared by everything in this process.</summary>
    public static MemoryVectorCache Shared { get; } = new();

    /// <summary>This cache in front of <paramref name="next"/>, sharing its vectors.</summary>
    public IPassageVectorCache Before(IPassageVectorCache? next) => next is null ? this : new Layered(this, next);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, float[]>> GetAsync(string modelId, IReadOnlyCollection<string> digests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(digests);
        var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var digest in digests)
        {
            if (_vectors.TryGetValue((modelId, digest), out var vector))
            {
                found[digest] = vector;
            }
        }

        return Task.FromResult<IReadOnlyDictionary<string, float[]>>(found);
    }

    /// <inheritdoc />
    public Task PutAsync(string modelId, IReadOnlyDictionary<string, float[]> vectors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        Remember(modelId, vectors);
        return Task.CompletedTask;
    }

    private void Remember(string modelId, IReadOnlyDictionary<string, float[]> vectors)
    {
        foreach (var (digest, vector) in vectors)
        {
            // Counted here, not by the dictionary's Count, which takes every one of its locks: asked once per vector, that
            // was about 0.1 s of an unchanged `skybridge ask` on the sqlite-docs sample. Two threads may pass the bound by a few.
            if (Volatile.Read(ref _count) >= Capacity)
            {
                return;
            }

            if (_vectors.TryAdd((modelId, digest), vector))
            {
                Interlocked.Increment(ref _count);
            }
        }
    }

    private sealed class Layered(MemoryVectorCache memory, IPassageVectorCache next) : IPassageVectorCache
    {
        public async Task<IReadOnlyDictionary<string, float[]>> GetAsync(string modelId, IReadOnlyCollection<string> digests, CancellationToken cancellationToken)
        {
            // The lasting cache first, then memory for what it lacks; what only memory had is written to the lasting
            // cache, so a store or folder is complete for the next process even when this one embedded nothing.
            var found = new Dictionary<string, float[]>(await next.GetAsync(modelId, digests, cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);
            memory.Remember(modelId, found);
            var missing = digests.Where(d => !found.ContainsKey(d)).ToList();
            if (missing.Count > 0)
            {
                var fromMemory = await memory.GetAsync(modelId, missing, cancellationToken).ConfigureAwait(false);
                if (fromMemory.Count > 0)
                {
                    await next.PutAsync(modelId, fromMemory, cancellationToken).ConfigureAwait(false);
                    foreach (var (digest, vector) in fromMemory)
                    {
                        found[digest] = vector;
                    }
                }
            }

            return found;
        }

        public async Task PutAsync(string modelId, IReadOnlyDictionary<string, float[]> vectors, CancellationToken cancellationToken)
        {
            memory.Remember(modelId, vectors);
            await next.PutAsync(modelId, vectors, cancellationToken).ConfigureAwait(false);
        }
    }
}
