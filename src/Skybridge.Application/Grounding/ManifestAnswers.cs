using Skybridge.Core.Manifests;
using Skybridge.Grounding.Answering;
using Skybridge.Grounding.Documents;
using Skybridge.Grounding.Engines;
using Skybridge.Grounding.Retrieval;
using Skybridge.Grounding.Retrieval.Embeddings;

namespace Skybridge.Application.Grounding;

/// <summary>
/// Answers a question from a manifest file's own sources, read from disk, with nothing stored or recorded: how a
/// workflow owner tries a manifest before publishing it (<c>skybridge ask MANIFEST "..."</c>).
/// </summary>
public static class ManifestAnswers
{
    /// <summary>
    /// Reads every declared source under <paramref name="manifestFolder"/> (files that cannot be used go to
    /// <paramref name="skipped"/> with their reason) and drafts an answer with the manifest's engine. With
    /// <paramref name="indexCacheFolder"/>, the documents and their index come from there when nothing changed
    /// (<see cref="ManifestIndexCache"/>); <paramref name="phaseDone"/> is told as each phase ends (for profiling).
    /// </summary>
    public static async Task<Draft> AnswerAsync(WorkflowManifest manifest, string manifestFolder, string question,
        Action<string, SkippedFile> skipped, CancellationToken cancellationToken, DenseRetrieval? dense = null, Action<string>? phaseDone = null, string? indexCacheFolder = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(skipped);
        var (index, origin) = await ManifestIndexCache.OpenAsync(manifest, manifestFolder, indexCacheFolder, skipped, dense?.For(manifest.Retrieval.Embedding), cancellationToken).ConfigureAwait(false);
        using var _ = index;
        phaseDone?.Invoke(origin == IndexOrigin.Cached ? "documents and index (cached)" : "read documents and index them");
        using var engine = AnswerEngines.Create(manifest.Model);
        var draft = await new GroundedAnswerer(manifest, index, engine).AnswerAsync(question, cancellationToken).ConfigureAwait(false);
        phaseDone?.Invoke("answer");
        return draft;
    }
}
