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
    /// <paramref name="skipped"/> with their reason) and drafts an answer with the manifest's engine.
    /// </summary>
    public static async Task<Draft> AnswerAsync(WorkflowManifest manifest, string manifestFolder, string question,
        Action<string, SkippedFile> skipped, CancellationToken cancellationToken, DenseRetrieval? dense = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(skipped);
        using var index = new PassageIndex(dense);
        foreach (var source in manifest.Sources)
        {
            var report = DocumentReader.ReadSource(source, Path.Combine(manifestFolder, source.Path));
            // Vectors come from the cache for every passage seen before: an unchanged corpus embeds nothing.
            await index.UpsertAsync(report.Documents, cancellationToken).ConfigureAwait(false);
            foreach (var file in report.Skipped)
            {
                skipped(source.Name, file);
            }
        }

        using var engine = AnswerEngines.Create(manifest.Model);
        return await new GroundedAnswerer(manifest, index, engine).AnswerAsync(question, cancellationToken).ConfigureAwait(false);
    }
}
